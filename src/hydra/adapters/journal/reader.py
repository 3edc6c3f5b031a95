"""Reading a journal back: tolerant of a torn last line, strict about the chain.

``read_journal`` returns every readable record, and a damage report naming the first
record that breaks the chain (removed, reordered, edited, another account's) by line
number, or the whole-file fault (journal missing, shorter than its anchor, anchor missing).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from hydra.adapters.journal.chain import GENESIS, Anchor, anchor_path, read_anchor, sealed_digest
from hydra.domain import JournalAccountError

__all__ = ["JournalContents", "JournalDamage", "last_chained", "read_journal"]


@dataclass(frozen=True, slots=True)
class JournalDamage:
    """The first fault found: the line it is on (None: the file as a whole) and why."""

    line: int | None
    reason: str

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class JournalContents:
    """What a journal holds: good records, a torn last record, corrupt lines, chain damage.

    ``damage`` is None when the chain is whole and agrees with the anchor. A torn last
    line alone (a crash mid-write) is not chain damage: it is ``torn_tail``.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    torn_tail: str | None = None
    corrupt_lines: tuple[int, ...] = ()
    damage: JournalDamage | None = None
    account: str | None = None
    last_jseq: int = 0

    @property
    def damaged(self) -> bool:
        """True if anything may have been lost: chain damage, unreadable lines or a torn tail."""
        return self.damage is not None or self.torn_tail is not None or bool(self.corrupt_lines)

    def filtered(
        self, *, since: datetime | None = None, outcome: str | None = None
    ) -> list[dict[str, Any]]:
        """Records at or after ``since`` (by their ``time``) and/or with ``outcome``."""
        selected = []
        for record in self.records:
            if outcome is not None and record.get("outcome") != outcome:
                continue
            if since is not None:
                stamp = _record_time(record.get("time"))
                if stamp is None or stamp < since:
                    continue
            selected.append(record)
        return selected


class _Chain:
    """Follows the chain record by record and keeps the first fault."""

    def __init__(self, account: str | None, anchor: Anchor | None) -> None:
        self.account = account
        self.prev = GENESIS
        self.jseq = 0
        self.damage: JournalDamage | None = None
        self._anchor = anchor
        self.anchored_digest: str | None = None  # digest of the record at the anchor's jseq

    def follow(self, number: int, line: bytes, record: dict[str, Any]) -> None:
        jseq = record.get("jseq")
        if self._anchor is not None and jseq == self._anchor.jseq:
            self.anchored_digest = record.get("digest")
        if self.damage is not None:
            return
        fault = self._fault(line, record)
        if fault is not None:
            self.damage = JournalDamage(number, fault)
            return
        self.prev, self.jseq = record["digest"], record["jseq"]

    def _fault(self, line: bytes, record: dict[str, Any]) -> str | None:
        jseq, prev, account = record.get("jseq"), record.get("prev"), record.get("account")
        if not (
            isinstance(jseq, int)
            and not isinstance(jseq, bool)
            and isinstance(prev, str)
            and isinstance(account, str)
            and isinstance(record.get("digest"), str)
        ):
            return "not a chained record (no account, jseq, prev or digest)"
        if sealed_digest(line) != record["digest"]:
            return f"edited: the digest of jseq {jseq} does not match its contents"
        if self.account is None:
            self.account = account
        if account != self.account:
            return f"record of account {account!r} in the journal of account {self.account!r}"
        expected = self.jseq + 1
        if prev == self.prev and jseq == expected:
            return None
        if self.jseq == 0 and prev != GENESIS:
            return f"records missing: the chain starts at jseq {jseq}, not at the genesis"
        if jseq <= self.jseq:
            return f"reordered or duplicated: jseq {jseq} after jseq {self.jseq}"
        if jseq > expected:
            return f"records removed or reordered: jseq {jseq} where {expected} was due"
        return f"chain broken: prev of jseq {jseq} is not the digest of jseq {self.jseq}"


def read_journal(path: str | os.PathLike[str], account: str | None = None) -> JournalContents:
    """Read and verify a journal; a torn last line and corrupt lines are reported, never raised.

    ``account`` is the account the journal must belong to (None: whatever its anchor, or
    else its first record, says). Without an anchor, a missing file reads as an empty
    journal; with one, it is damage ("journal missing").

    Raises:
        JournalAccountError: the journal (its anchor, else its last record) belongs to
            another account than ``account``.
    """
    source = Path(path)
    damage: JournalDamage | None = None
    try:
        anchor = read_anchor(anchor_path(source))
    except ValueError as exc:
        anchor, damage = None, JournalDamage(None, str(exc))
    if anchor is not None and account is not None and anchor.account != account:
        raise JournalAccountError(str(source), account, anchor.account)
    owner = account if account is not None else anchor.account if anchor else None
    if not source.exists():
        if anchor is not None:
            damage = JournalDamage(
                None,
                f"journal missing: its anchor (created {anchor.created}) says jseq "
                f"{anchor.jseq} was written; start a new journal only deliberately",
            )
        return JournalContents(damage=damage, account=owner)
    if not source.is_file():  # e.g. /dev/null: nothing to read back
        return JournalContents(damage=damage, account=owner)
    # Reading builds one dict per record and frees nothing: cyclic GC passes over the
    # growing list would triple the time (12 vs 4 us a record), so they wait until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify(source, account, anchor, owner, damage)
    finally:
        if collecting:
            gc.enable()


def _verify(
    source: Path,
    account: str | None,
    anchor: Anchor | None,
    owner: str | None,
    damage: JournalDamage | None,
) -> JournalContents:
    lines = source.read_bytes().split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    chain = _Chain(owner, anchor)
    records: list[dict[str, Any]] = []
    corrupt: list[int] = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        parsed = _parse(line)
        if parsed is None:
            corrupt.append(number)  # a torn line closed off by a restart, or worse
            continue
        records.append(parsed)
        chain.follow(number, line, parsed)
    torn: str | None = None
    if tail.strip():
        parsed = _parse(tail)
        if parsed is None:
            torn = tail.decode(errors="replace")
        else:
            records.append(parsed)  # complete record, only its newline was lost
            chain.follow(len(complete) + 1, tail, parsed)
    if (
        account is not None
        and anchor is None
        and records
        and records[-1].get("account") not in (None, account)
    ):
        raise JournalAccountError(str(source), account, str(records[-1]["account"]))
    damage = damage or chain.damage or _anchor_fault(anchor, chain, bool(records))
    return JournalContents(records, torn, tuple(corrupt), damage, chain.account, chain.jseq)


def _anchor_fault(anchor: Anchor | None, chain: _Chain, any_records: bool) -> JournalDamage | None:
    if anchor is None:
        if any_records:
            return JournalDamage(None, "anchor file missing: cannot tell whether records are lost")
        return None
    if chain.jseq < anchor.jseq:
        return JournalDamage(
            None,
            f"journal truncated: its anchor says jseq {anchor.jseq} was written, "
            f"the journal ends at jseq {chain.jseq}",
        )
    if anchor.jseq and chain.anchored_digest != anchor.digest:
        return JournalDamage(
            None, f"journal replaced: jseq {anchor.jseq} is not the record its anchor recorded"
        )
    return None


def last_chained(path: Path, block: int = 1 << 16) -> dict[str, Any] | None:
    """The last complete record of ``path`` that carries a chain (jseq and digest), or None.

    Reads backwards from the end, a block at a time, so opening a long journal is cheap.
    """
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        carry = b""
        position = end
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            data = handle.read(position - start) + carry
            lines = data.split(b"\n")
            carry = lines[0] if start > 0 else b""
            for line in reversed(lines[1:] if start > 0 else lines):
                record = _parse(line) if line.strip() else None
                if record is not None and isinstance(record.get("jseq"), int):
                    return record
            position = start
    return None


def _record_time(value: object) -> datetime | None:
    """A record's time as an aware datetime (naive means UTC); None if unusable."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
