"""The checkpoint: the gate's memory where a journal segment begins.

A restart folds the last checkpoint and the records after it (``replay.JournalFold``), so
its time and memory do not depend on the journal's history. The gate builds it
(``RiskGate.checkpoint``); the journal writes it first in each new segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hydra.application.records._codec import iso_time, number, time_from
from hydra.application.records.events import _Fields, _record
from hydra.domain import BreakerName, TradingState
from hydra.domain.breakers import LatchedTrip

__all__ = ["Checkpoint", "LedgerPosition", "is_checkpoint"]


@dataclass(frozen=True, slots=True)
class LedgerPosition:
    """One contract in a checkpoint: the ledger's position and its working buys and sells."""

    con_id: int
    position: float = 0.0
    buying: float = 0.0
    selling: float = 0.0


@_record("checkpoint", "journal.checkpoint")
@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint(_Fields):
    """The gate's memory where a journal segment begins; a restart folds what follows it.

    Trading state, latched trips (breaker, since, value, reason), the session's start and
    its equity, the peak equity, the configuration version, and the exposure ledger's view
    (position and working orders by contract id; a restart takes exposure from the broker
    again, the checkpoint keeps it for the audit).
    """

    time: datetime
    state: TradingState
    trips: tuple[LatchedTrip, ...] = ()
    session_start: datetime | None = None
    session_equity: float | None = None
    peak_equity: float | None = None
    config_version: str = ""
    ledger: tuple[LedgerPosition, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """``kind``, the state, and every non-empty part (trips and ledger as objects)."""
        data: dict[str, Any] = {"kind": self.KIND, "time": iso_time(self.time)}
        data["state"] = self.state.value
        if self.trips:
            data["trips"] = [
                {
                    "breaker": trip.breaker.value,
                    "since": iso_time(trip.since),
                    "value": number(trip.value),
                    "reason": trip.reason,
                }
                for trip in self.trips
            ]
        if self.session_start is not None and self.session_equity is not None:
            data["session"] = {
                "start": self.session_start.isoformat(),
                "equity": self.session_equity,
            }
        if self.peak_equity is not None:
            data["peak_equity"] = self.peak_equity
        if self.config_version:
            data["config_version"] = self.config_version
        if self.ledger:
            data["ledger"] = [
                {
                    key: value
                    for key, value in (
                        ("con_id", line.con_id),
                        ("position", line.position),
                        ("buying", line.buying),
                        ("selling", line.selling),
                    )
                    if value or key == "con_id"
                }
                for line in self.ledger
            ]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        """The checkpoint from its journal form."""
        session = data.get("session") or {}
        peak = data.get("peak_equity")
        return cls(
            time=time_from(data["time"]),
            state=TradingState(data["state"]),
            trips=tuple(
                LatchedTrip(
                    BreakerName(trip["breaker"]),
                    time_from(trip["since"]),
                    float(trip["value"]),
                    str(trip["reason"]),
                )
                for trip in data.get("trips") or ()
            ),
            session_start=time_from(session["start"]) if "start" in session else None,
            session_equity=float(session["equity"]) if "equity" in session else None,
            peak_equity=float(peak) if peak is not None else None,
            config_version=str(data.get("config_version") or ""),
            ledger=tuple(
                LedgerPosition(
                    int(line["con_id"]),
                    float(line.get("position", 0.0)),
                    float(line.get("buying", 0.0)),
                    float(line.get("selling", 0.0)),
                )
                for line in data.get("ledger") or ()
            ),
        )


def is_checkpoint(data: Mapping[str, Any]) -> bool:
    """True for a checkpoint's journal form (the journal's readers look for the last one)."""
    return data.get("kind") == Checkpoint.KIND
