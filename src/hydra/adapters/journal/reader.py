"""Reading a journal back whole: tolerant of a torn last line, strict about the chain.

``read_journal`` collects every readable record of every segment into a list, with a
damage report naming the first record that breaks the chain (removed, reordered, edited,
another account's) by segment and line, or the whole-journal fault (journal missing,
shorter than its anchor, anchor missing). It is for tests and small journals: a restart,
``hydra journal`` and ``verify`` stream (``JournalScan``) and never hold a journal whole.
``last_chained`` finds where a writer carries on, reading backwards from the end.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.adapters.journal.chain import Stamps, anchor_path, read_anchor, stamps
from hydra.adapters.journal.links import account_text
from hydra.adapters.journal.scan import JournalDamage, JournalScan, parse_line
from hydra.adapters.journal.segments import Segment, first_line, list_segments, read_lines

__all__ = [
    "JournalContents",
    "JournalDamage",
    "first_record",
    "journal_account",
    "last_chained",
    "read_journal",
]


@dataclass(frozen=True, slots=True)
class JournalContents:
    """What a journal holds: good records, a torn last record, corrupt lines, chain damage.

    ``damage`` is None when the chain is whole and agrees with the anchor. A torn last
    line alone (a crash mid-write) is not chain damage: it is ``torn_tail``.
    ``corrupt_lines`` are line numbers within their segment; ``corrupt`` names the
    segment of each.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    torn_tail: str | None = None
    corrupt_lines: tuple[int, ...] = ()
    damage: JournalDamage | None = None
    account: str | None = None
    last_jseq: int = 0
    corrupt: tuple[tuple[str, int], ...] = ()

    @property
    def damaged(self) -> bool:
        """True if anything may have been lost: chain damage, unreadable lines or a torn tail."""
        return self.damage is not None or self.torn_tail is not None or bool(self.corrupt_lines)


def read_journal(path: str | os.PathLike[str], account: str | None = None) -> JournalContents:
    """Read and verify every segment; a torn last line and corrupt lines are reported.

    ``account`` is the account the journal must belong to (None: whatever its anchor, or
    else its first record, says). Without an anchor, a missing journal reads as empty;
    with one, it is damage ("journal missing").

    Raises:
        JournalAccountError: the journal (its anchor, else its records) belongs to another
            account than ``account``.
    """
    scan = JournalScan(path, account)
    # Reading builds one dict per record and frees nothing: cyclic GC passes over the
    # growing list would triple the time, so they wait until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        records = list(scan)
    finally:
        if collecting:
            gc.enable()
    return JournalContents(
        records,
        scan.torn_tail,
        tuple(line for _, line in scan.corrupt),
        scan.damage,
        scan.account,
        scan.last_jseq,
        tuple(scan.corrupt),
    )


def journal_account(path: str | os.PathLike[str]) -> str | None:
    """The account a journal is for: its anchor's, else its last record's (None: neither).

    Reads the anchor, or the newest segment backwards: never the whole journal.
    """
    journal = Path(path)
    try:
        anchor = read_anchor(anchor_path(journal))
    except ValueError:
        anchor = None
    if anchor is not None:
        return anchor.account
    for segment in reversed(list_segments(journal)):
        found = last_chained(segment)
        if found is not None:
            return account_text(found.account)
    return None


def first_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The journal's first record (its oldest segment's first line); None when it has none.

    Raises:
        ValueError: the journal holds something, but its first line is not a record.
    """
    segments = [s for s in list_segments(Path(path)) if s.codec or s.path.stat().st_size]
    if not segments:
        return None
    line = first_line(segments[0])
    record = parse_line(line) if line is not None else None
    if record is None:
        raise ValueError(f"{segments[0].path}: the first line is not a record")
    return record


def last_chained(segment: Segment, block: int = 1 << 16) -> Stamps | None:
    """The stamps of the segment's last line that carries them (None: no such line).

    A plain segment is read backwards from its end, a block at a time, so opening a long
    journal is cheap; a compressed one is streamed.
    """
    if segment.codec:
        last: Stamps | None = None
        for _, line, _ in read_lines(segment):
            found = stamps(line)
            if found is not None:
                last = found
        return last
    return _last_in_file(segment.path, block)


def _last_in_file(path: Path, block: int) -> Stamps | None:
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
                found = stamps(line) if line else None
                if found is not None:
                    return found
            position = start
    return None
