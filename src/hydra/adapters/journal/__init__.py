"""The audit journal adapter: hash-chained JSON-lines segments, their writer and readers.

Names load on first use (PEP 562): importing a submodule (``hydra.adapters.journal.config``,
which ``hydra.settings`` reads) does not load the adapter itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES = {
    "CheckpointSource": ".jsonl",
    "CountingJournal": ".observed",
    "FsyncPolicy": ".jsonl",
    "GENESIS": ".chain",
    "HaltInbox": ".halt_request",
    "IsCheckpoint": ".scan",
    "JournalContents": ".reader",
    "JournalDamage": ".reader",
    "JournalLock": ".lock",
    "JournalScan": ".scan",
    "JsonlJournal": ".jsonl",
    "RESERVED_FIELDS": ".jsonl",
    "Segment": ".segments",
    "anchor_path": ".chain",
    "discard_journal": ".aside",
    "halt_request_path": ".halt_request",
    "journal_writer": ".lock",
    "list_segments": ".segments",
    "read_journal": ".reader",
    "restart_segments": ".scan",
    "tail_journal": ".observed",
    "write_halt_request": ".halt_request",
}


__getattr__ = lazy_exports(__name__, _HOMES)
