"""The audit journal adapter: append-only JSON lines on disk, and its reader."""

from __future__ import annotations

from hydra.adapters.journal.jsonl import FsyncPolicy, JournalContents, JsonlJournal, read_journal
from hydra.adapters.journal.observed import CountingJournal, tail_journal

__all__ = [
    "CountingJournal",
    "FsyncPolicy",
    "JournalContents",
    "JsonlJournal",
    "read_journal",
    "tail_journal",
]
