"""An in-memory audit journal for tests: the append contract of JsonlJournal, no file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from hydra.adapters.journal import RESERVED_FIELDS
from hydra.application.records import AuditRecord, parse_record
from hydra.domain import InvalidInputError

_R = TypeVar("_R")

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """Keeps appended records in a list, as the real journal would accept them.

    Like ``JsonlJournal.append`` it refuses a record carrying a field the journal stamps
    (``account``, ``jseq``, ``prev``, ``digest``) and raises instead of dropping a record:
    set ``failure`` to an exception to make every later append raise it (a full disk, a
    removed file), e.g. to test that the gate halts.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.failure: Exception | None = None

    def append(self, record: Mapping[str, Any]) -> None:
        """Keep a copy of the record, or raise ``failure`` if one is set."""
        if self.failure is not None:
            raise self.failure
        for name in RESERVED_FIELDS:
            if name in record:
                raise InvalidInputError(name, "is stamped by the journal; leave it out", record)
        self.records.append(dict(record))

    @property
    def typed(self) -> list[AuditRecord]:
        """Every record, read back as its typed record (as replay and the CLI read them)."""
        return [parse_record(record) for record in self.records]

    def of_type(self, cls: type[_R]) -> list[_R]:
        """The records of one type, e.g. ``journal.of_type(DecisionRecord)``, oldest first."""
        return [record for record in self.typed if isinstance(record, cls)]
