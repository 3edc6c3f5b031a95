"""The audit journal adapter: append-only, hash-chained JSON lines on disk, and its reader."""

from __future__ import annotations

from hydra.adapters.journal.chain import GENESIS, anchor_path
from hydra.adapters.journal.jsonl import RESERVED_FIELDS, FsyncPolicy, JsonlJournal
from hydra.adapters.journal.reader import JournalContents, JournalDamage, read_journal

__all__ = [
    "GENESIS",
    "RESERVED_FIELDS",
    "FsyncPolicy",
    "JournalContents",
    "JournalDamage",
    "JsonlJournal",
    "anchor_path",
    "read_journal",
]
