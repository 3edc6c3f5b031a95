"""The audit records: one typed record per kind, and the one place their JSON keys are spelled.

Every record the gate (or an operator path) makes is one of the types below, each with its
``KIND`` (stable, written to the journal), ``EVENT`` (the structlog event name) and
``LEVEL`` (the log level). Writers build the type; the audit trail logs it, journals
``as_json()`` and hands the typed record to listeners (the control server's event stream,
metrics). Readers (replay, the CLI, the control API) call ``parse_record`` on what a
journal holds and get the type back. No other module spells a record key, so a typo on
either side is a type error, not a silently missing metric.

JSON form: ``kind`` first, then the record's fields; empty fields (None, "", empty lists)
are left out. Journals written before the typed records (flat decision fields, the kinds
``order``/``ledger``/``alert`` shared by several events) are read too. ``reading`` reads
the few fields a restart or a listing needs without building the whole record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from hydra.application.records._codec import AuditRecord, iso_time, time_from
from hydra.application.records.checkpoint import Checkpoint, LedgerPosition, is_checkpoint
from hydra.application.records.decision import DecisionRecord, LegRecord
from hydra.application.records.events import (
    RECORD_TYPES,
    BreakerReset,
    BreakerTripped,
    BrokerErrorRecord,
    CancelRecord,
    DemoStarted,
    ForeignOrder,
    GateRestored,
    KillRecord,
    LedgerMismatch,
    LedgerReconciled,
    OrderSent,
    PriceRefused,
    SessionStarted,
    StateChanged,
)
from hydra.application.records.reading import (
    DecisionListing,
    config_version_of,
    decision_listing,
    decision_peak,
    is_decision,
    record_time,
)
from hydra.application.records.valuation import Valuation, compact_valuation
from hydra.domain import InvalidInputError

__all__ = [
    "RECORD_TYPES",
    "AuditRecord",
    "BreakerReset",
    "BreakerTripped",
    "BrokerErrorRecord",
    "CancelRecord",
    "Checkpoint",
    "DecisionListing",
    "DecisionRecord",
    "DemoStarted",
    "ForeignOrder",
    "GateRestored",
    "KillRecord",
    "LedgerMismatch",
    "LedgerPosition",
    "LedgerReconciled",
    "LegRecord",
    "OrderSent",
    "PriceRefused",
    "SessionStarted",
    "StateChanged",
    "UnknownRecord",
    "Valuation",
    "compact_valuation",
    "config_version_of",
    "decision_listing",
    "decision_peak",
    "is_checkpoint",
    "is_decision",
    "iso_time",
    "journal_form",
    "parse_record",
    "parse_records",
    "record_time",
]


@dataclass(frozen=True, slots=True)
class UnknownRecord:
    """A journal record of a kind this version does not know (kept whole, never dropped)."""

    data: Mapping[str, Any]
    LEVEL: ClassVar[str] = "info"

    @property
    def time(self) -> datetime:
        """The record's time, if it has a readable one (else the epoch)."""
        try:
            return time_from(self.data.get("time"))
        except (TypeError, ValueError):
            return datetime(1970, 1, 1, tzinfo=UTC)

    @property
    def kind(self) -> str:
        """The kind it names."""
        return str(self.data.get("kind"))

    @property
    def event(self) -> str:
        """Its event, as written (records before the typed ones carried one)."""
        return str(self.data.get("event") or self.kind)

    @property
    def level(self) -> str:
        """Always info."""
        return "info"

    def as_json(self) -> dict[str, Any]:
        """The record as it was read."""
        return dict(self.data)


# Records written before the typed ones shared a kind between events.
_LEGACY = {
    ("order", "order.sent"): OrderSent,
    ("order", "order.broker_error"): BrokerErrorRecord,
    ("alert", "order.foreign"): ForeignOrder,
    ("ledger", "ledger.mismatch"): LedgerMismatch,
    ("ledger", "ledger.reconciled"): LedgerReconciled,
}


def parse_record(data: Mapping[str, Any]) -> AuditRecord:
    """The typed record a journal line holds (an ``UnknownRecord`` for an unknown kind).

    Raises:
        InvalidInputError: the record is of a known kind but malformed (field "record").
    """
    kind = data.get("kind")
    cls = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        cls = _LEGACY.get((kind, data.get("event")))  # type: ignore[arg-type]
    if cls is None:
        return UnknownRecord(data)
    try:
        record: AuditRecord = cls.from_json(data)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidInputError(
            "record", f"malformed {kind!r} record: {type(exc).__name__}: {exc}"
        ) from None
    return record


def parse_records(
    records: Iterable[Mapping[str, Any]], *, strict: bool = True
) -> Iterable[AuditRecord]:
    """``parse_record`` over many; with ``strict=False`` a malformed one is kept as unknown."""
    for data in records:
        try:
            yield parse_record(data)
        except InvalidInputError:
            if strict:
                raise
            yield UnknownRecord(data)


def journal_form(record: AuditRecord, config_version: str) -> dict[str, Any]:
    """What the journal appends: the record's JSON form and the configuration version.

    A decision's valuation leaves out what its reader derives (``DecisionRecord.journal_json``).
    Decisions leave the version out: it changes only when a gate starts, and every run's
    first record before its decisions names it (the restore record, the journal's
    checkpoint, the session start), so a decision's version is the last one named before it.
    """
    if isinstance(record, DecisionRecord):
        return record.journal_json()
    data = record.as_json()
    if config_version:
        data["config_version"] = config_version
    return data
