"""Journal health for operators: a counting wrapper and a cheap tail reader.

``CountingJournal`` wraps any ``AuditJournal`` and counts the appends that raised (the
gate halts on them; the control server exports the count as a metric). ``tail_journal``
reads the last records of a JSON-lines journal from the end of the file, so a status
page never reads a long journal whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

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
    """The last ``count`` readable records of a journal, oldest first (missing: none)."""
    if count <= 0:
        return []
    source = Path(path)
    try:
        handle = source.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        return []
    with handle:
        end = handle.seek(0, os.SEEK_END)
        data = b""
        position = end
        while position > 0 and data.count(b"\n") <= count:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    lines = data.split(b"\n")
    if position > 0:
        lines = lines[1:]  # the first line may be cut in the middle
    records: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(value, dict):
            records.append(value)
    return records[-count:]
