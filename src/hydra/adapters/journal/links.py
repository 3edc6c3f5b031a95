"""The chain, followed record by record: the first fault kept with its segment and line.

``Chain`` holds where the chain stands (the last jseq and digest, the account) and judges
each next line: on the common path by comparing the stamps expected next as bytes and
checking the digest (``run``: no JSON decoded), otherwise by its parsed stamps
(``follow``), naming what is wrong. ``JournalScan`` feeds it every line of a journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, NamedTuple

import orjson

from hydra.adapters.journal.chain import (
    GENESIS,
    SEAL_LENGTH,
    Anchor,
    Stamps,
    digest_of,
)

__all__ = ["Chain", "ChainState", "JournalDamage", "account_text", "parse_line"]


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


class Chain:
    """Follows the chain record by record and keeps the first fault.

    ``genesis``: the first record read must be the chain's first (jseq 1, prev GENESIS);
    otherwise the chain is followed from whatever the first record read says.
    """

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
        """Judge one line by its stamps; the first fault is kept, later ones ignored."""
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
        """Accept the next record on the common path (see ``run``); False for anything else."""
        return self.run((line,), 0) == 1

    def run(self, lines: Sequence[bytes], start: int) -> int:
        """Accept ``lines[start:]`` while each is the next record, sealed as expected.

        The common path: the stamps expected next (account, jseq + 1, prev) compared as
        bytes, and the digest checked with one BLAKE2b, no JSON decoded; ``verify`` runs at
        hash speed. Returns the index of the first line not accepted: the caller judges it
        by its stamps (``follow``).
        """
        if self.damage is not None or not self.jseq or self.account is None:
            return start
        head = b'"account":' + self.account + b',"jseq":'
        jseq, prev = self.jseq, self.prev
        anchored = self._anchor.jseq if self._anchor is not None else -1
        index, count = start, len(lines)
        while index < count:  # perf: journal_verify_made_rate
            line = lines[index]
            expected = b'%b%d,"prev":"%b","digest":"' % (head, jseq + 1, prev)
            end = len(line) - 34
            if (
                not line.endswith(expected, 0, end)
                or line[-2:] != b'"}'
                or line[end - len(expected) - 1] not in b"{,"
            ):
                break
            digest = line[end:-2]
            if blake2b(line[:-SEAL_LENGTH] + b"}", digest_size=16).hexdigest().encode() != digest:
                break
            jseq, prev = jseq + 1, digest
            if jseq == anchored:
                self.anchored_digest = digest.decode()
            index += 1
        self.jseq, self.prev = jseq, prev
        return index

    def unchained(self, segment: str, number: int) -> None:
        """A record without chain stamps: a fault (if it is the first)."""
        if self.damage is None:
            self.damage = JournalDamage(
                number, "not a chained record (no account, jseq, prev or digest)", segment
            )

    def gap(self, segment: str, reason: str) -> None:
        """A fault of a whole segment (missing before it, unreadable), if it is the first."""
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
                f"record of account {account_text(found.account)!r} in the journal of account "
                f"{account_text(self.account)!r}"
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

    def state(self) -> ChainState:
        """Where the chain read began and ended."""
        return ChainState(
            self.first_jseq,
            self.start_prev,
            self.jseq,
            self.prev,
            self.account,
            self.anchored_digest,
        )

    def join(self, part: ChainState, damage: JournalDamage | None, segment: str) -> None:
        """Continue with a part read separately (``segment`` its first): it must follow on.

        As in one pass, the chain stands still from its first fault on.
        """
        self.anchored_digest = part.anchored_digest or self.anchored_digest
        if self.damage is not None:
            return
        if self.jseq and part.first_jseq:
            if part.account != self.account:
                self.damage = JournalDamage(None, "another account's records", segment)
                return
            if part.first_jseq != self.jseq + 1 or part.start_prev.encode() != self.prev:
                self.damage = JournalDamage(
                    None,
                    f"chain broken: it resumes at jseq {part.first_jseq} after jseq {self.jseq}",
                    segment,
                )
                return
        self.damage = damage
        if not self.first_jseq:
            self.first_jseq, self.start_prev = part.first_jseq, part.start_prev
        if part.last_jseq:
            self.jseq, self.prev = part.last_jseq, part.last_prev
        self.account = self.account or part.account


class ChainState(NamedTuple):
    """Where a chain read of some segments began and ended (to join it to its neighbours)."""

    first_jseq: int
    start_prev: str
    last_jseq: int
    last_prev: bytes
    account: bytes | None
    anchored_digest: str | None


def account_text(account_json: bytes) -> str:
    """An account as the chain stamps it (JSON bytes), as text for a message."""
    try:
        value = orjson.loads(account_json)
    except orjson.JSONDecodeError:
        return account_json.decode(errors="replace")
    return value if isinstance(value, str) else str(value)
