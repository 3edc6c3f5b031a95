"""An in-memory AuditJournal for tests (a fake of our own port, like import-linter's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MemoryJournal:
    """Keeps appended records in a list, JSON-ready as the real journal writes them."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def append(self, record: Mapping[str, Any]) -> None:
        """Keep a copy of the record."""
        self.records.append(dict(record))

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Records of one kind (decision, state, trip, reset, kill, session, restore)."""
        return [r for r in self.records if r["kind"] == kind]
