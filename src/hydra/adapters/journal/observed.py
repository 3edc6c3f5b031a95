"""Journal health for operators: a counting wrapper and a cheap tail reader.

``CountingJournal`` wraps any ``AuditJournal`` and counts the appends that raised (the
gate halts on them; the control server exports the count as a metric). ``tail_journal``
reads the last records of a journal from the end of its live segment, so a status page
never reads a long journal whole.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from hydra.adapters.journal.scan import parse_line
from hydra.adapters.journal.segments import Segment, list_segments, read_lines

__all__ = ["CountingJournal", "tail_journal"]

_BLOCK = 64 * 1024


class _Appends(Protocol):
    def append(self, record: Mapping[str, Any]) -> None: ...


class CountingJournal:
    """An ``AuditJournal`` that forwards every append and counts the ones that failed."""

    def __init__(self, inner: _Appends) -> None:
        self.inner = inner
        self.failures = 0

    def append(self, record: Mapping[str, Any]) -> None:
        """Append through the wrapped journal; a failure is counted, then re-raised."""
        try:
            self.inner.append(record)
        except BaseException:
            self.failures += 1
            raise

    def close(self) -> None:
        """Close the wrapped journal, if it can be closed."""
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


def tail_journal(path: str | os.PathLike[str], count: int) -> list[dict[str, Any]]:
    """The last ``count`` readable records of a journal, oldest first (missing: none).

    Reads backwards from the end of the live segment, into the closed ones only if it
    holds fewer records.
    """
    if count <= 0:
        return []
    source = Path(path)
    if source.is_dir():
        return []
    records: list[dict[str, Any]] = []
    for segment in reversed(list_segments(source)):
        try:
            found = _tail(segment, count - len(records))
        except (OSError, EOFError):
            continue
        records[:0] = found
        if len(records) >= count:
            break
    return records[-count:]


def _tail(segment: Segment, count: int) -> list[dict[str, Any]]:
    """The last ``count`` readable records of one segment."""
    if segment.codec:
        kept: deque[bytes] = deque(maxlen=count)
        for _, line, _ in read_lines(segment):
            kept.append(line)
        lines = list(kept)
    else:
        lines = _last_lines(segment.path, count)
    records = [record for line in lines if line.strip() and (record := parse_line(line))]
    return records[-count:]


def _last_lines(path: Path, count: int) -> list[bytes]:
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        data = b""
        position = end
        while position > 0 and data.count(b"\n") <= count:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    lines = data.split(b"\n")
    return lines[1:] if position > 0 else lines  # the first may be cut in the middle
