"""Journal replay: the gate memory (trips, trading state, session, peak) a journal implies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hydra.domain import BreakerName, InvalidInputError, TradingState
from hydra.domain.breakers import LatchedTrip

__all__ = ["JournalReplay", "replay_journal"]


@dataclass(frozen=True, slots=True)
class JournalReplay:
    """What a journal says the gate's memory was: trips, trading state, session, peak."""

    trips: tuple[LatchedTrip, ...]
    trading_state: TradingState
    session: tuple[datetime, float] | None
    peak_equity: float | None


def replay_journal(records: Iterable[Mapping[str, Any]]) -> JournalReplay:
    """Fold audit records into the gate memory they imply (later records win).

    Trips not followed by a reset stay latched (the breakers drop expired ones when
    restored); the last state change gives the trading state; the peak is the highest
    peak equity any decision recorded.

    Raises:
        InvalidInputError: a record that should carry gate memory is malformed (the
            field names the record by its position, counting from 1).
    """
    trips: dict[BreakerName, LatchedTrip] = {}
    state = TradingState.ACTIVE
    peak: float | None = None
    session: tuple[datetime, float] | None = None
    for number, record in enumerate(records, start=1):
        kind = record.get("kind")
        try:
            if kind == "trip":
                name = BreakerName(record["breaker"])
                trips[name] = LatchedTrip(
                    name,
                    datetime.fromisoformat(record["since"]),
                    float(record["value"]),
                    str(record["reason"]),
                )
            elif kind == "reset":
                trips.pop(BreakerName(record["breaker"]), None)
            elif kind == "state":
                state = TradingState(record["state"])
            elif kind == "session":
                session = (datetime.fromisoformat(record["start"]), float(record["equity"]))
            elif kind == "decision":
                recorded = (record.get("inputs") or {}).get("peak_equity")
                if isinstance(recorded, int | float) and not isinstance(recorded, bool):
                    peak = float(recorded) if peak is None else max(peak, float(recorded))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidInputError(
                f"journal record {number}", f"malformed {kind!r} record: {exc!r}"
            ) from None
    return JournalReplay(tuple(trips.values()), state, session, peak)
