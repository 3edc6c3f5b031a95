"""Putting a whole journal out of the way: set aside to start afresh, or a demo's discarded.

``set_aside`` (``JsonlJournal(..., new_journal=True)``) renames every segment and the
anchor with a UTC timestamp suffix, never deleting: the only way to start a new chain.
``discard_journal`` deletes a demo's journal, which the demo recreates each run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from hydra.adapters.journal.chain import anchor_path
from hydra.adapters.journal.lock import JournalLock
from hydra.adapters.journal.segments import list_segments

__all__ = ["discard_journal", "set_aside"]


def discard_journal(path: str | os.PathLike[str]) -> None:
    """Delete a journal, every segment and its anchor (a demo's, recreated each run).

    Raises:
        JournalLockedError: a writer holds it.
    """
    journal = Path(path)
    lock = JournalLock(journal)
    try:
        for segment in list_segments(journal):
            segment.path.unlink(missing_ok=True)
        anchor_path(journal).unlink(missing_ok=True)
    finally:
        lock.release()


def set_aside(path: Path, anchor: Path) -> tuple[Path, ...]:
    """Rename the journal's segments and anchor aside with a UTC timestamp suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    archived = []
    for source in (*(s.path for s in list_segments(path)), anchor):
        if not source.exists():
            continue
        target = source.with_name(f"{source.name}.{stamp}")
        copy = 1
        while target.exists():
            target = source.with_name(f"{source.name}.{stamp}-{copy}")
            copy += 1
        source.rename(target)
        archived.append(target)
    return tuple(archived)
