"""Journal replay: the gate memory (trips, trading state, session, peak) a journal implies.

``JournalFold`` takes records one at a time (``apply``), so a journal is replayed while it
streams, in constant memory. A ``Checkpoint`` resets the fold to its content: a restart
folds the last checkpoint and the records after it, never the history before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    BreakerTripped,
    Checkpoint,
    DecisionRecord,
    LedgerPosition,
    SessionStarted,
    StateChanged,
    decision_peak,
    is_decision,
    parse_record,
)
from hydra.domain import BreakerName, InvalidInputError, TradingState
from hydra.domain.breakers import LatchedTrip

__all__ = ["JournalFold", "JournalReplay", "replay_journal"]


@dataclass(frozen=True, slots=True)
class JournalReplay:
    """What a journal says the gate's memory was: trips, trading state, session, peak.

    ``records`` counts the records folded (0: an empty journal, nothing to restore).
    ``ledger`` and ``config_version`` are those of the last checkpoint folded (the ledger is
    the audit's view: a restarted gate takes exposure from the broker again).
    """

    trips: tuple[LatchedTrip, ...]
    trading_state: TradingState
    session: tuple[datetime, float] | None
    peak_equity: float | None
    records: int = 0
    ledger: tuple[LedgerPosition, ...] = ()
    config_version: str = ""


class JournalFold:
    """Folds audit records, one at a time, into the gate memory they imply (later wins).

    Trips not followed by a reset stay latched (the breakers drop expired ones when
    restored); the last state change gives the trading state; the peak is the highest peak
    equity any decision recorded; a checkpoint replaces all of it with its own content.
    """

    __slots__ = ("_config", "_count", "_ledger", "_peak", "_session", "_state", "_trips")

    def __init__(self) -> None:
        self._trips: dict[BreakerName, LatchedTrip] = {}
        self._state = TradingState.ACTIVE
        self._peak: float | None = None
        self._session: tuple[datetime, float] | None = None
        self._ledger: tuple[LedgerPosition, ...] = ()
        self._config = ""
        self._count = 0

    def apply(self, item: Mapping[str, Any] | AuditRecord) -> None:
        """Fold one record (its journal form, or the typed record).

        Raises:
            InvalidInputError: a record that should carry gate memory is malformed (the
                field names the record by its position in this fold, counting from 1).
        """
        self._count += 1
        try:
            # perf: journal_restart_gate_s (a dict is checked first: the ABC check costs ~0.4 us)
            if type(item) is dict or isinstance(item, Mapping):
                if is_decision(item):  # perf: journal_restart_gate_s (only the peak counts)
                    self._raise_peak(decision_peak(item))
                    return
                record = parse_record(item)
            else:
                record = item
        except InvalidInputError as exc:
            raise InvalidInputError(f"journal record {self._count}", exc.reason) from None
        self._fold(record)

    def _fold(self, record: AuditRecord) -> None:
        if isinstance(record, BreakerTripped):
            self._trips[record.breaker] = LatchedTrip(
                record.breaker, record.since, record.value, record.reason
            )
        elif isinstance(record, BreakerReset):
            self._trips.pop(record.breaker, None)
        elif isinstance(record, StateChanged):
            self._state = record.state
        elif isinstance(record, SessionStarted):
            self._session = (record.start, record.equity)
        elif isinstance(record, DecisionRecord):
            self._raise_peak(record.inputs.peak_equity if record.inputs is not None else None)
        elif isinstance(record, Checkpoint):
            self._trips = {trip.breaker: trip for trip in record.trips}
            self._state = record.state
            self._peak = record.peak_equity
            self._session = (
                (record.session_start, record.session_equity)
                if record.session_start is not None and record.session_equity is not None
                else None
            )
            self._ledger = record.ledger
            self._config = record.config_version

    def _raise_peak(self, recorded: float | None) -> None:
        if recorded is not None and (self._peak is None or recorded > self._peak):
            self._peak = recorded

    @property
    def records(self) -> int:
        """How many records were folded."""
        return self._count

    def snapshot(self) -> JournalReplay:
        """The memory folded so far."""
        return JournalReplay(
            tuple(self._trips.values()),
            self._state,
            self._session,
            self._peak,
            self._count,
            self._ledger,
            self._config,
        )

    def checkpoint(self, time: datetime, config_version: str = "") -> Checkpoint:
        """The memory folded so far as a checkpoint (what a restarted gate restores)."""
        session = self._session
        return Checkpoint(
            time=time,
            state=self._state,
            trips=tuple(self._trips.values()),
            session_start=session[0] if session is not None else None,
            session_equity=session[1] if session is not None else None,
            peak_equity=self._peak,
            config_version=config_version or self._config,
            ledger=self._ledger,
        )


def replay_journal(records: Iterable[Mapping[str, Any] | AuditRecord]) -> JournalReplay:
    """Fold audit records into the gate memory they imply (later records win).

    Takes the journal's JSON records (or typed ones), streamed or listed.

    Raises:
        InvalidInputError: a record that should carry gate memory is malformed (the
            field names the record by its position, counting from 1).
    """
    fold = JournalFold()
    for record in records:
        fold.apply(record)
    return fold.snapshot()
