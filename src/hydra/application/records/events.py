"""Every record other than the decision: state, trips, resets, sessions, kills, alerts.

Each is a frozen, slotted, keyword-only dataclass declared with ``_record(kind, event,
level)``, which also enters it in ``RECORD_TYPES``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from hydra.application.records._codec import encode, time_from
from hydra.application.records.decision import DecisionRecord
from hydra.domain import BreakerName, Side, TradingState

__all__ = [
    "RECORD_TYPES",
    "BreakerReset",
    "BreakerTripped",
    "BrokerErrorRecord",
    "CancelRecord",
    "DemoStarted",
    "ForeignOrder",
    "GateRestored",
    "KillRecord",
    "LedgerMismatch",
    "LedgerReconciled",
    "OrderSent",
    "PriceRefused",
    "SessionStarted",
    "StateChanged",
]

_R = TypeVar("_R")


def _record(kind: str, event: str, level: str = "info") -> Callable[[type[_R]], type[_R]]:
    """Declare a record type: its kind, event and level, and its place in the registry."""

    def register(cls: type[_R]) -> type[_R]:
        cls.KIND = kind  # type: ignore[attr-defined]
        cls.EVENT = event  # type: ignore[attr-defined]
        cls.LEVEL = level  # type: ignore[attr-defined]
        RECORD_TYPES[kind] = cls
        return cls

    return register


RECORD_TYPES: dict[str, type[Any]] = {"decision": DecisionRecord, "flatten": DecisionRecord}
"""Every record type by its kind."""


class _Fields:
    """The behaviour every dataclass record shares: kind, event, level, JSON both ways.

    ``_DECODE`` maps a field to the function that rebuilds it from JSON (fields not named
    there are taken as they are).
    """

    __slots__ = ()
    KIND: ClassVar[str]
    EVENT: ClassVar[str]
    LEVEL: ClassVar[str]
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    @property
    def kind(self) -> str:
        """The stable kind written to the journal."""
        return self.KIND

    @property
    def event(self) -> str:
        """The structlog event name."""
        return self.EVENT

    @property
    def level(self) -> str:
        """The structlog level."""
        return self.LEVEL

    def as_json(self) -> dict[str, Any]:
        """``kind`` and every non-empty field, JSON-ready."""
        data: dict[str, Any] = {"kind": self.KIND}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is None or value in ("", ()):
                continue
            data[item.name] = encode(value)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Any:
        """The record from its JSON form (unknown keys are ignored)."""
        decode = cls._DECODE
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            if item.name in data:
                raw = data[item.name]
                values[item.name] = decode[item.name](raw) if item.name in decode else raw
        return cls(**values)


def _tuple(convert: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], tuple[Any, ...]]:
    return lambda raw: tuple(convert(item) for item in raw or ())


def _state_or_none(raw: object) -> TradingState | None:
    return None if raw is None else TradingState(str(raw))


_TIME = {"time": time_from}


@_record("state", "gate.state_changed", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(_Fields):
    """The trading state changed: who did it and why (``path`` "broker": kill's fallback)."""

    time: datetime
    state: TradingState
    previous: TradingState | None = None
    who: str
    why: str
    path: str = ""
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        **_TIME,
        "state": TradingState,
        "previous": _state_or_none,
    }


@_record("trip", "breaker.tripped", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerTripped(_Fields):
    """A breaker latched: since when, the value that tripped it, and why."""

    time: datetime
    breaker: BreakerName
    since: datetime
    value: float
    reason: str
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        **_TIME,
        "breaker": BreakerName,
        "since": time_from,
        "value": float,
    }


@_record("reset", "breaker.reset")
@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerReset(_Fields):
    """A latched breaker was re-armed deliberately, by whom and why."""

    time: datetime
    breaker: BreakerName
    who: str
    why: str
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {**_TIME, "breaker": BreakerName}


@_record("session", "gate.session_start")
@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(_Fields):
    """A trading session began: its start and the equity it started with."""

    time: datetime
    start: datetime
    equity: float
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        **_TIME,
        "start": time_from,
        "equity": float,
    }


@_record("kill", "gate.kill_switch", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class KillRecord(_Fields):
    """The kill switch ran: what it cancelled, what failed, what it flattened or could not.

    ``path`` is "broker" (with ``emergency_client_id``) when ``hydra kill`` reached the
    broker without the trader.
    """

    time: datetime
    who: str
    why: str
    cancelled: tuple[int, ...] = ()
    failed: tuple[tuple[int, str], ...] = ()
    flattened: tuple[int, ...] = ()
    not_flattened: tuple[tuple[str, str], ...] = ()
    path: str = ""
    emergency_client_id: int | None = None
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        **_TIME,
        "cancelled": _tuple(int),
        "failed": _tuple(tuple),
        "flattened": _tuple(int),
        "not_flattened": _tuple(tuple),
    }


@_record("cancel", "order.cancel")
@dataclass(frozen=True, slots=True, kw_only=True)
class CancelRecord(_Fields):
    """The host asked the gate to cancel one order."""

    time: datetime
    order_id: int
    symbol: str
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME


@_record("restore", "gate.restored")
@dataclass(frozen=True, slots=True, kw_only=True)
class GateRestored(_Fields):
    """The gate's memory was rebuilt from its journal at start-up."""

    time: datetime
    state: TradingState
    latched: tuple[BreakerName, ...] = ()
    peak_equity: float | None = None
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        **_TIME,
        "state": TradingState,
        "latched": _tuple(BreakerName),
    }


@_record("order.sent", "order.sent", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSent(_Fields):
    """The broker used another order id than it reserved: the correction."""

    time: datetime
    seq: int
    symbol: str
    order_id: int
    reserved: int | None = None
    why: str = ""
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME


@_record("order.broker_error", "order.broker_error", "error")
@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerErrorRecord(_Fields):
    """An allowed order the broker failed to take (nothing was sent or queued)."""

    time: datetime
    seq: int
    symbol: str
    order_id: int | None = None
    error: str
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME


@_record("order.foreign", "order.foreign", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignOrder(_Fields):
    """An order this gate did not send (another client, TWS, a manual order)."""

    time: datetime
    order_id: int
    symbol: str
    con_id: int = 0
    side: Side
    quantity: float
    why: str = ""
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = {**_TIME, "side": Side}


@_record("ledger.mismatch", "ledger.mismatch", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerMismatch(_Fields):
    """The broker's position differs from the ledger's; the stricter view counts."""

    time: datetime
    symbol: str
    con_id: int = 0
    broker: float
    ledger: float
    why: str = ""
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME


@_record("ledger.reconciled", "ledger.reconciled", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerReconciled(_Fields):
    """The broker's position agrees with the ledger again."""

    time: datetime
    symbol: str
    con_id: int = 0
    position: float
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME


@_record("price", "price.refused", "warning")
@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRefused(_Fields):
    """A fed reference price was refused (too far from the broker's)."""

    time: datetime
    symbol: str
    con_id: int = 0
    price: float | str | None = None
    reason: str
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME


@_record("demo", "demo.start")
@dataclass(frozen=True, slots=True, kw_only=True)
class DemoStarted(_Fields):
    """Marks a journal the demo wrote (so ``demo --journal`` never overwrites another)."""

    time: datetime
    _DECODE: ClassVar[Mapping[str, Callable[[Any], Any]]] = _TIME
