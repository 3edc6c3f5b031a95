"""The audit journal adapter: an append-only, hash-chained JSON-lines file and its reader."""

from __future__ import annotations

from hydra.adapters.journal.chain import GENESIS, anchor_path
from hydra.adapters.journal.halt_request import HaltInbox, halt_request_path, write_halt_request
from hydra.adapters.journal.jsonl import RESERVED_FIELDS, FsyncPolicy, JsonlJournal
from hydra.adapters.journal.observed import CountingJournal, tail_journal
from hydra.adapters.journal.reader import JournalContents, JournalDamage, read_journal

__all__ = [
    "GENESIS",
    "RESERVED_FIELDS",
    "CountingJournal",
    "FsyncPolicy",
    "HaltInbox",
    "JournalContents",
    "JournalDamage",
    "JsonlJournal",
    "anchor_path",
    "halt_request_path",
    "read_journal",
    "tail_journal",
    "write_halt_request",
]
