"""Journal replay: the gate memory (trips, trading state, session, peak) a journal implies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    BreakerTripped,
    DecisionRecord,
    SessionStarted,
    StateChanged,
    parse_record,
)
from hydra.domain import BreakerName, InvalidInputError, TradingState
from hydra.domain.breakers import LatchedTrip

__all__ = ["JournalReplay", "replay_journal"]


@dataclass(frozen=True, slots=True)
class JournalReplay:
    """What a journal says the gate's memory was: trips, trading state, session, peak.

    ``records`` counts the records folded (0: an empty journal, nothing to restore).
    """

    trips: tuple[LatchedTrip, ...]
    trading_state: TradingState
    session: tuple[datetime, float] | None
    peak_equity: float | None
    records: int = 0


def replay_journal(records: Iterable[Mapping[str, Any] | AuditRecord]) -> JournalReplay:
    """Fold audit records into the gate memory they imply (later records win).

    Takes the journal's JSON records (or typed ones). Trips not followed by a reset stay
    latched (the breakers drop expired ones when restored); the last state change gives
    the trading state; the peak is the highest peak equity any decision recorded.

    Raises:
        InvalidInputError: a record that should carry gate memory is malformed (the
            field names the record by its position, counting from 1).
    """
    trips: dict[BreakerName, LatchedTrip] = {}
    state = TradingState.ACTIVE
    peak: float | None = None
    session: tuple[datetime, float] | None = None
    number = 0
    for number, item in enumerate(records, start=1):
        try:
            record = parse_record(item) if isinstance(item, Mapping) else item
        except InvalidInputError as exc:
            raise InvalidInputError(f"journal record {number}", exc.reason) from None
        if isinstance(record, BreakerTripped):
            trips[record.breaker] = LatchedTrip(
                record.breaker, record.since, record.value, record.reason
            )
        elif isinstance(record, BreakerReset):
            trips.pop(record.breaker, None)
        elif isinstance(record, StateChanged):
            state = record.state
        elif isinstance(record, SessionStarted):
            session = (record.start, record.equity)
        elif isinstance(record, DecisionRecord) and record.inputs is not None:
            recorded = record.inputs.peak_equity
            peak = recorded if peak is None else max(peak, recorded)
    return JournalReplay(tuple(trips.values()), state, session, peak, number)
