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
from pathlib import Path
from typing import Any, NamedTuple

from hydra.adapters.journal.chain import anchor_path, read_anchor, stamps
from hydra.adapters.journal.links import (
    Chain,
    ChainState,
    JournalDamage,
    account_text,
    parse_line,
)
from hydra.adapters.journal.segments import (
    Segment,
    first_line,
    follow_blocks,
    list_segments,
    read_blocks,
)
from hydra.domain import JournalAccountError

__all__ = [
    "IsCheckpoint",
    "JournalDamage",
    "JournalScan",
    "ScanPart",
    "parse_line",
    "restart_segments",
]

IsCheckpoint = Callable[[Mapping[str, Any]], bool]
"""Tells a checkpoint record from the others (the journal does not read record kinds)."""


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
        self._chain = Chain(owner, self.anchor, genesis=genesis)
        self.torn_tail: str | None = None
        self.corrupt: list[tuple[str, int]] = []
        self.records = 0
        self.finished = False

    # ------------------------------------------------------------------ results
    @property
    def account(self) -> str | None:
        """The journal's account (the anchor's, the expected one, or the first record's)."""
        found = self._chain.account
        return account_text(found) if found is not None else None

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

    def part(self) -> ScanPart:
        """What this scan of some segments found, to be joined to its neighbours' (``adopt``)."""
        return ScanPart(
            self._chain.state(),
            self._chain.damage,
            self.records,
            tuple(self.corrupt),
            self.torn_tail,
            self.segments[0].name if self.segments else "",
            self.segments[0].number if self.segments else 0,
            self.segments[-1].number if self.segments else 0,
        )

    def adopt(self, parts: Sequence[ScanPart]) -> int:
        """Finish this scan from its segments read in parts, in order (``verify_journal``).

        Each part must follow on from the one before (jseq, prev, account, no segment
        missing between them); then the anchor is checked as after a whole read.
        """
        chain = self._chain
        previous: int | None = None
        for index, part in enumerate(parts):
            first = part.first_number
            if previous is not None and first and first != previous + 1:
                chain.gap(part.first_segment, f"segment(s) {previous + 1} missing before this one")
            previous = part.last_number
            chain.join(part.state, part.damage, part.first_segment)
            self.records += part.records
            self.corrupt += part.corrupt
            if part.torn_tail is not None and index < len(parts) - 1:
                self.corrupt.append((part.first_segment, 0))  # torn inside the journal
            self.torn_tail = part.torn_tail
        self._finish()
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
            if not decode:  # verify: whole runs of lines on the common path at once
                index, count = 0, len(lines)
                while index < count:
                    accepted = chain.run(lines, index)
                    self.records += accepted - index
                    number += accepted - index
                    if accepted == count:
                        break
                    line, index = lines[accepted], accepted + 1
                    number += 1
                    if line.strip():
                        yield from self._judge(segment, name, number, line, ended, decode=False)
                continue
            for line in lines:
                number += 1
                if fast(line):  # the common case: the next record, sealed as expected
                    self.records += 1
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
            and account_text(chain.account) != self._account
        ):
            raise JournalAccountError(str(self.path), self._account, account_text(chain.account))
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


class ScanPart(NamedTuple):
    """What a scan of some of a journal's segments found (``JournalScan.part``)."""

    state: ChainState
    damage: JournalDamage | None
    records: int
    corrupt: tuple[tuple[str, int], ...]
    torn_tail: str | None
    first_segment: str
    first_number: int
    last_number: int


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
