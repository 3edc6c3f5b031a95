"""Streaming a journal: every segment in order, the chain followed line by line.

``JournalScan`` reads segment after segment in fixed chunks (memory does not grow with the
journal) and follows the chain across them: each line's digest, its account, ``jseq`` one
more than the last, ``prev`` the last digest, no segment missing between two it reads, and
at the end the anchor. The first fault is kept with the segment and line it is on; torn
and unreadable lines are listed. Iterating yields each readable record (a dict); ``run()``
checks the chain without decoding a single record (``hydra journal verify``).

A scan may start at a later segment than the first (a read from ``--since``, a restart from
its checkpoint, a journal whose oldest segments were archived elsewhere or removed): the
chain is then followed from the first record it reads, and ``origin`` says where that was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

import orjson

from hydra.adapters.journal.chain import (
    GENESIS,
    SEAL_LENGTH,
    Anchor,
    Stamps,
    anchor_path,
    digest_of,
    read_anchor,
    stamps,
)
from hydra.adapters.journal.segments import (
    Segment,
    first_line,
    follow_blocks,
    list_segments,
    read_blocks,
)
from hydra.domain import JournalAccountError

__all__ = ["IsCheckpoint", "JournalDamage", "JournalScan", "parse_line", "restart_segments"]

IsCheckpoint = Callable[[Mapping[str, Any]], bool]
"""Tells a checkpoint record from the others (the journal does not read record kinds)."""


@dataclass(frozen=True, slots=True)
class JournalDamage:
    """The first fault: the segment and line it is on (None: the journal as a whole), why."""

    line: int | None
    reason: str
    segment: str | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.reason if self.segment is None else f"{self.segment}: {self.reason}"
        where = f"line {self.line}" if self.segment is None else f"{self.segment} line {self.line}"
        return f"{where}: {self.reason}"


def parse_line(line: bytes) -> dict[str, Any] | None:
    """A line's record, or None when it is not a JSON object."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class _Chain:
    """Follows the chain record by record and keeps the first fault."""

    __slots__ = (
        "_anchor",
        "_expect_genesis",
        "account",
        "anchored_digest",
        "damage",
        "first_jseq",
        "jseq",
        "prev",
        "start_prev",
    )

    def __init__(self, account: str | None, anchor: Anchor | None, *, genesis: bool) -> None:
        self.account: bytes | None = orjson.dumps(account) if account is not None else None
        self.prev = GENESIS.encode()
        self.jseq = 0
        self.first_jseq = 0
        self.start_prev = GENESIS
        self.damage: JournalDamage | None = None
        self._anchor = anchor
        self._expect_genesis = genesis
        self.anchored_digest: str | None = None  # digest of the record at the anchor's jseq

    def follow(self, segment: str, number: int, line: bytes, found: Stamps) -> None:
        if self._anchor is not None and found.jseq == self._anchor.jseq:
            self.anchored_digest = found.digest
        if self.damage is not None:
            return
        fault = self._fault(line, found)
        if fault is not None:
            self.damage = JournalDamage(number, fault, segment)
            return
        if not self.first_jseq:
            self.first_jseq, self.start_prev = found.jseq, found.prev
        self.prev, self.jseq = found.digest.encode(), found.jseq

    def fast(self, line: bytes) -> bool:
        """Accept the next record on the common path: the stamps expected next, its digest.

        Returns False for anything else, and the caller judges the line by its stamps
        (``follow``). One comparison and one BLAKE2b a line: ``verify`` runs at hash speed.
        """
        if self.damage is not None or not self.jseq or self.account is None:
            return False
        jseq = self.jseq + 1
        expected = b'"account":%b,"jseq":%d,"prev":"%b","digest":"' % (
            self.account,
            jseq,
            self.prev,
        )
        end = len(line) - 34
        if (
            not line.endswith(expected, 0, end)
            or line[-2:] != b'"}'
            or line[end - len(expected) - 1] not in b"{,"
        ):
            return False
        digest = line[end:-2]
        if blake2b(line[:-SEAL_LENGTH] + b"}", digest_size=16).hexdigest().encode() != digest:
            return False
        self.jseq, self.prev = jseq, digest
        anchor = self._anchor
        if anchor is not None and jseq == anchor.jseq:
            self.anchored_digest = digest.decode()
        return True

    def unchained(self, segment: str, number: int) -> None:
        if self.damage is None:
            self.damage = JournalDamage(
                number, "not a chained record (no account, jseq, prev or digest)", segment
            )

    def gap(self, segment: str, reason: str) -> None:
        if self.damage is None:
            self.damage = JournalDamage(None, reason, segment)

    def _fault(self, line: bytes, found: Stamps) -> str | None:
        jseq, prev = found.jseq, found.prev
        if digest_of(line[:-SEAL_LENGTH] + b"}") != found.digest:
            return f"edited: the digest of jseq {jseq} does not match its contents"
        if self.account is None:
            self.account = found.account
        elif found.account != self.account:
            return (
                f"record of account {_text(found.account)!r} in the journal of account "
                f"{_text(self.account)!r}"
            )
        if not self.jseq:
            if not self._expect_genesis or (prev == GENESIS and jseq == 1):
                return None
            return f"records missing: the chain starts at jseq {jseq}, not at the genesis"
        expected = self.jseq + 1
        if prev.encode() == self.prev and jseq == expected:
            return None
        if jseq <= self.jseq:
            return f"reordered or duplicated: jseq {jseq} after jseq {self.jseq}"
        if jseq > expected:
            return f"records removed or reordered: jseq {jseq} where {expected} was due"
        return f"chain broken: prev of jseq {jseq} is not the digest of jseq {self.jseq}"


class JournalScan:
    """One pass over a journal's segments, following the chain; its findings fill as it goes.

    Args:
        path: the journal (the live segment's path, the prefix of the others).
        account: the account the journal must belong to (None: whatever it says).
        segments: the segments to read, oldest first (default: all of them).
        follow: keep reading the live segment as it grows (and the ones after it) until
            this returns True (``hydra journal --follow``); None: stop at the end.
        poll: seconds between looks at a live segment that has not grown (with follow).

    Raises:
        JournalAccountError: the anchor (or, without one, the first record) belongs to
            another account than ``account``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        account: str | None = None,
        *,
        segments: Sequence[Segment] | None = None,
        follow: Callable[[], bool] | None = None,
        poll: float = 0.25,
    ) -> None:
        self.path = Path(path)
        self._follow = follow
        self._poll = poll
        self.damage: JournalDamage | None = None
        try:
            self.anchor = read_anchor(anchor_path(self.path))
        except ValueError as exc:
            self.anchor, self.damage = None, JournalDamage(None, str(exc))
        if self.anchor is not None and account is not None and self.anchor.account != account:
            raise JournalAccountError(str(self.path), account, self.anchor.account)
        self._account = account
        every = list_segments(self.path) if not self.path.is_dir() else []
        self.segments: list[Segment] = list(every if segments is None else segments)
        self._newest = every[-1].number if every else 0
        genesis = not self.segments or self.segments[0].number == 1
        owner = account if account is not None else self.anchor.account if self.anchor else None
        self._chain = _Chain(owner, self.anchor, genesis=genesis)
        self.torn_tail: str | None = None
        self.corrupt: list[tuple[str, int]] = []
        self.records = 0
        self.finished = False

    # ------------------------------------------------------------------ results
    @property
    def account(self) -> str | None:
        """The journal's account (the anchor's, the expected one, or the first record's)."""
        found = self._chain.account
        return _text(found) if found is not None else None

    @property
    def first_jseq(self) -> int:
        """The jseq of the first chained record read (0: none)."""
        return self._chain.first_jseq

    @property
    def last_jseq(self) -> int:
        """The jseq of the last record the chain accepted (0: none)."""
        return self._chain.jseq

    @property
    def origin(self) -> Segment | None:
        """The first segment read when it is not the chain's first (None: from the genesis)."""
        if self.segments and self.segments[0].number > 1:
            return self.segments[0]
        return None

    @property
    def chain_damage(self) -> JournalDamage | None:
        """The first fault found so far (while reading; ``damage`` once finished)."""
        return self._chain.damage

    @property
    def damaged(self) -> bool:
        """True if anything may have been lost: chain damage, unreadable lines or a torn tail."""
        return self.damage is not None or self.torn_tail is not None or bool(self.corrupt)

    # ------------------------------------------------------------------ reading
    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every readable record, oldest first (chained or not: the chain judges them)."""
        for _, record in self.entries():
            yield record

    def entries(self) -> Iterator[tuple[int | None, dict[str, Any]]]:
        """Every readable record with its jseq (None: a record without chain stamps)."""
        for jseq, record in self._scan(decode=True):
            assert record is not None  # noqa: S101  (decode=True decodes every record)
            yield jseq, record

    def run(self) -> int:
        """Follow the whole chain without decoding records; the number of records checked."""
        for _ in self._scan(decode=False):
            pass
        return self.records

    def _blocks(self) -> Iterator[tuple[Segment | None, str, list[bytes], bool]]:
        """(segment, its name, lines, all ended by a newline), block after block, in order.

        The line numbers of a segment follow from the blocks' order; a new segment starts
        with the block whose segment differs from the last.
        """
        chain = self._chain
        previous: int | None = None
        for segment in self.segments:
            if self._follow is not None and segment.live:
                break  # followed below, as it grows
            if previous is not None and segment.number != previous + 1:
                missing = ", ".join(str(n) for n in range(previous + 1, segment.number))
                chain.gap(segment.name, f"segment(s) {missing} missing before this one")
            previous = segment.number
            try:
                for lines, ended in read_blocks(segment):
                    yield segment, segment.name, lines, ended
            except (OSError, EOFError) as exc:  # e.g. a damaged archive
                chain.gap(segment.name, f"unreadable: {exc}")
        if self._follow is not None:
            start = previous + 1 if previous is not None else 1
            for number, lines in follow_blocks(
                self.path, start, stop=self._follow, poll=self._poll
            ):
                yield None, f"{self.path.name} (segment {number})", lines, True

    def _scan(self, *, decode: bool) -> Iterator[tuple[int | None, dict[str, Any] | None]]:
        chain = self._chain
        fast = chain.fast
        current, number = "", 0
        for segment, name, lines, ended in self._blocks():
            if name != current:
                current, number = name, 0
            for line in lines:
                number += 1
                if fast(line):  # the common case: the next record, sealed as expected
                    self.records += 1
                    if not decode:
                        continue
                    record = parse_line(line)
                    if record is None:
                        self.corrupt.append((name, number))  # a digest over invalid JSON
                        continue
                    yield chain.jseq, record
                elif line.strip():
                    yield from self._judge(segment, name, number, line, ended, decode=decode)
        self._finish()

    def _judge(
        self,
        segment: Segment | None,
        name: str,
        number: int,
        line: bytes,
        ended: bool,
        *,
        decode: bool,
    ) -> Iterator[tuple[int | None, dict[str, Any] | None]]:
        """Any line off the common path: the first record, a fault, a torn or corrupt line."""
        found = stamps(line)
        record = parse_line(line) if decode or found is None else None
        if found is None and record is None:
            if not ended and segment is not None and segment is self.segments[-1]:
                self.torn_tail = line.decode(errors="replace")
            else:
                self.corrupt.append((name, number))
            return
        self.records += 1
        if found is None:
            self._chain.unchained(name, number)
        else:
            self._chain.follow(name, number, line, found)
        if not decode:
            yield None, None
        elif record is not None:
            yield (found.jseq if found is not None else None), record
        else:
            self.corrupt.append((name, number))  # a digest over invalid JSON

    def _finish(self) -> None:
        self.finished = True
        chain = self._chain
        if (
            self._account is not None
            and self.anchor is None
            and chain.account is not None
            and _text(chain.account) != self._account
        ):
            raise JournalAccountError(str(self.path), self._account, _text(chain.account))
        if self.damage is None:
            self.damage = chain.damage or self._anchor_fault()

    def _anchor_fault(self) -> JournalDamage | None:
        anchor, chain = self.anchor, self._chain
        reaches_end = not self.segments or self.segments[-1].number == self._newest
        if not reaches_end:
            return None
        if anchor is None:
            if self.records:
                return JournalDamage(
                    None, "anchor file missing: cannot tell whether records are lost"
                )
            return None
        if not self.segments:
            return JournalDamage(
                None,
                f"journal missing: its anchor (created {anchor.created}) says jseq "
                f"{anchor.jseq} was written; start a new journal only deliberately",
            )
        if anchor.segment is not None and anchor.segment > self._newest:
            return JournalDamage(
                None,
                f"segments missing: the anchor says segment {anchor.segment} is being "
                f"written, the newest here is {self._newest}",
            )
        if chain.jseq < anchor.jseq:
            return JournalDamage(
                None,
                f"journal truncated: its anchor says jseq {anchor.jseq} was written, "
                f"the journal ends at jseq {chain.jseq}",
            )
        if anchor.jseq and chain.first_jseq and anchor.jseq == chain.first_jseq - 1:
            matches = chain.start_prev == anchor.digest
        elif anchor.jseq and (not chain.first_jseq or anchor.jseq < chain.first_jseq):
            matches = True  # vouched for a record behind this scan: verify reads it
        else:
            matches = not anchor.jseq or chain.anchored_digest == anchor.digest
        if not matches:
            return JournalDamage(
                None, f"journal replaced: jseq {anchor.jseq} is not the record its anchor recorded"
            )
        return None


def restart_segments(
    path: str | os.PathLike[str], is_checkpoint: IsCheckpoint
) -> tuple[list[Segment], bool]:
    """The segments a restart reads: from the newest one opened by a checkpoint, to the end.

    Only each segment's first line is read, newest first, until one holds a chained
    checkpoint. Returns the segments and whether they start with a checkpoint (False: no
    segment does, so they are all of them).
    """
    segments = list_segments(Path(path))
    for index in range(len(segments) - 1, -1, -1):
        line = first_line(segments[index])
        if line is None or stamps(line) is None:
            continue
        record = parse_line(line)
        if record is not None and is_checkpoint(record):
            return segments[index:], True
    return segments, False


def _text(account_json: bytes) -> str:
    try:
        value = orjson.loads(account_json)
    except orjson.JSONDecodeError:
        return account_json.decode(errors="replace")
    return value if isinstance(value, str) else str(value)
