"""The audit journal adapter: append-only JSON lines on disk, and its reader."""

from __future__ import annotations

from hydra.adapters.journal.jsonl import FsyncPolicy, JournalContents, JsonlJournal, read_journal

__all__ = ["FsyncPolicy", "JournalContents", "JsonlJournal", "read_journal"]
