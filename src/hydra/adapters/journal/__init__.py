"""The audit journal adapter: hash-chained JSON-lines segments, their writer and readers."""

from __future__ import annotations

from hydra.adapters.journal.aside import discard_journal
from hydra.adapters.journal.chain import GENESIS, anchor_path
from hydra.adapters.journal.halt_request import HaltInbox, halt_request_path, write_halt_request
from hydra.adapters.journal.jsonl import (
    RESERVED_FIELDS,
    CheckpointSource,
    FsyncPolicy,
    JsonlJournal,
)
from hydra.adapters.journal.lock import JournalLock, journal_writer
from hydra.adapters.journal.observed import CountingJournal, tail_journal
from hydra.adapters.journal.reader import JournalContents, JournalDamage, read_journal
from hydra.adapters.journal.scan import IsCheckpoint, JournalScan, restart_segments
from hydra.adapters.journal.segments import Segment, list_segments

__all__ = [
    "GENESIS",
    "RESERVED_FIELDS",
    "CheckpointSource",
    "CountingJournal",
    "FsyncPolicy",
    "HaltInbox",
    "IsCheckpoint",
    "JournalContents",
    "JournalDamage",
    "JournalLock",
    "JournalScan",
    "JsonlJournal",
    "Segment",
    "anchor_path",
    "discard_journal",
    "halt_request_path",
    "journal_writer",
    "list_segments",
    "read_journal",
    "restart_segments",
    "tail_journal",
    "write_halt_request",
]
