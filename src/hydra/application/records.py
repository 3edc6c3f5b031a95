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
``order``/``ledger``/``alert`` shared by several events) are read too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar

from hydra.domain import (
    BreakerInputs,
    BreakerName,
    Instrument,
    InvalidInputError,
    OrderRequest,
    OrderType,
    Reason,
    SecurityType,
    Side,
    TimeInForce,
    TradingState,
)
from hydra.domain.breakers import LatchedTrip

if TYPE_CHECKING:
    from hydra.application.orders import OrderHandle

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
    "OrderSent",
    "PriceRefused",
    "SessionStarted",
    "StateChanged",
    "UnknownRecord",
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


class AuditRecord(Protocol):
    """What every record offers: its kind, log event and level, time, and JSON form."""

    @property
    def time(self) -> datetime:
        """When it happened (timezone-aware)."""
        ...

    @property
    def kind(self) -> str:
        """The stable kind written to the journal."""
        ...

    @property
    def event(self) -> str:
        """The structlog event name."""
        ...

    @property
    def level(self) -> str:
        """The structlog level (info, warning, error)."""
        ...

    def as_json(self) -> dict[str, Any]:
        """The JSON-ready form (``kind`` and every non-empty field)."""
        ...


# ---------------------------------------------------------------------------- values
class _Stamps:
    """ISO 8601 times for records, the seconds part formatted once per second (UTC only).

    The cached second and its text are one tuple, replaced in one store: gates in other
    threads never see a second paired with another second's text.
    """

    __slots__ = ("_cached",)

    def __init__(self) -> None:
        self._cached: tuple[float, str] = (-1.0, "")

    def __call__(self, now: datetime) -> str:
        micro = now.microsecond
        if not micro or now.tzinfo is not UTC:
            return now.isoformat()
        second = now.timestamp() // 1
        cached = self._cached
        if cached[0] != second:
            cached = self._cached = (second, now.replace(microsecond=0).isoformat()[:-6])
        return "%s.%06d+00:00" % (cached[1], micro)  # noqa: UP031  (the fastest here)


iso_time = _Stamps()
"""``datetime.isoformat()``, cheaper on the decision path: same text, byte for byte."""


def _number(value: object) -> float | str | None:
    """A number as JSON holds it (a non-finite one as its repr)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def _encode(value: Any) -> Any:
    """JSON-ready form of one field value."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, Reason):
        return _reason_json(value)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return str(value)  # never lose a record over an odd value: keep its text


def _reason_json(reason: Reason) -> dict[str, Any]:
    data: dict[str, Any] = {"code": reason.code, "name": reason.name, "message": reason.message}
    if reason.value is not None:
        data["value"] = _number(reason.value)
    if reason.limit is not None:
        data["limit"] = _number(reason.limit)
    return data


def _reason(data: Mapping[str, Any]) -> Reason:
    return Reason(
        str(data["code"]),
        str(data["name"]),
        str(data.get("message", "")),
        _float_or_none(data.get("value")),
        _float_or_none(data.get("limit")),
    )


def _float_or_none(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_INPUTS = ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss")


def _inputs_json(inputs: BreakerInputs) -> dict[str, float]:
    return {
        "daily_pnl": inputs.daily_pnl,
        "peak_equity": inputs.peak_equity,
        "current_equity": inputs.current_equity,
        "position_value": inputs.position_value,
        "trade_loss": inputs.trade_loss,
    }


def _inputs(data: object) -> BreakerInputs | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return BreakerInputs(*(data[name] for name in _INPUTS))
    except (KeyError, InvalidInputError, TypeError):
        return None


def _order_json(order: OrderRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "side": order.side.value,
        "quantity": order.quantity,
        "type": order.order_type.value,
    }
    if order.limit_price is not None:
        data["limit_price"] = order.limit_price
    if order.tif is not TimeInForce.DAY:
        data["tif"] = order.tif.value
    if order.intentional_duplicate:
        data["intentional_duplicate"] = True
    return data


def _order(data: object) -> OrderRequest | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return OrderRequest(
            Side(data["side"]),
            float(data["quantity"]),
            OrderType(data.get("type", OrderType.MARKET.value)),
            data.get("limit_price"),
            TimeInForce(data.get("tif", TimeInForce.DAY.value)),
            intentional_duplicate=bool(data.get("intentional_duplicate", False)),
        )
    except (KeyError, ValueError, TypeError, InvalidInputError):
        return None


def _instrument_json(instrument: Instrument) -> dict[str, Any]:
    data: dict[str, Any] = {"symbol": instrument.symbol}
    if instrument.con_id:
        data["con_id"] = instrument.con_id
    if instrument.sec_type is not SecurityType.STOCK:
        data["sec_type"] = instrument.sec_type.value
    if instrument.currency != "USD":
        data["currency"] = instrument.currency
    if instrument.multiplier != 1.0:
        data["multiplier"] = instrument.multiplier
    return data


def _instrument(data: object) -> Instrument | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return Instrument(
            str(data["symbol"]),
            SecurityType(data.get("sec_type", SecurityType.STOCK.value)),
            currency=str(data.get("currency", "USD")),
            con_id=int(data.get("con_id", 0)),
            multiplier=float(data.get("multiplier", 1.0)),
        )
    except (KeyError, ValueError, TypeError, InvalidInputError):
        return None


def _time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    stamp = datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------- the decision
class DecisionRecord(NamedTuple):
    """The gate's decision on one order attempt: its journal record and its answer.

    The same object is what ``gate.last_decision`` and ``submit_with_decision`` return
    (``OrderDecision`` is this type).

    ``instrument`` is None when the contract was not a HYDRA Instrument (``symbol`` then
    shows what it was); ``order`` is None when the order was not an OrderRequest.
    ``order_id`` is the broker order id (reserved before the write-ahead record);
    ``exemption`` says why an order was sent outside the checks (the kill switch's
    flatten). ``handle`` is the live order (allowed and sent only; never journaled).
    A NamedTuple: one is built per order, so it is the cheapest immutable shape.
    """

    seq: int
    time: datetime
    symbol: str
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    instrument: Instrument | None = None
    order: OrderRequest | None = None
    order_id: int | None = None
    inputs: BreakerInputs | None = None
    caller_inputs: BreakerInputs | None = None
    trading_state: TradingState = TradingState.ACTIVE
    latency_s: float | None = None
    exemption: str = ""
    handle: OrderHandle | None = None

    @property
    def kind(self) -> str:
        """``flatten`` for the kill switch's exempt orders, else ``decision``."""
        return "flatten" if self.exemption else "decision"

    @property
    def event(self) -> str:
        """``order.allowed`` or ``order.blocked``."""
        return "order.allowed" if self.allowed else "order.blocked"

    @property
    def level(self) -> str:
        """``info`` when allowed, ``warning`` when blocked."""
        return "info" if self.allowed else "warning"

    @property
    def outcome(self) -> str:
        """``"allowed"`` or ``"blocked"``."""
        return "allowed" if self.allowed else "blocked"

    @property
    def triggered(self) -> tuple[str, ...]:
        """Names of everything that blocked the order (empty when allowed)."""
        return tuple(reason.name for reason in self.reasons)

    @property
    def con_id(self) -> int:
        """The broker's contract id (0 when unknown)."""
        return self.instrument.con_id if self.instrument is not None else 0

    @property
    def side(self) -> Side | None:
        """The order's side (None for an invalid order)."""
        return self.order.side if self.order is not None else None

    @property
    def quantity(self) -> float | None:
        """The order's quantity (None for an invalid order)."""
        return self.order.quantity if self.order is not None else None

    @property
    def order_type(self) -> OrderType | None:
        """The order's type (None for an invalid order)."""
        return self.order.order_type if self.order is not None else None

    @property
    def limit_price(self) -> float | None:
        """The order's limit price, if any."""
        return self.order.limit_price if self.order is not None else None

    def as_json(self) -> dict[str, Any]:
        """The journal form (written ahead of the hand-off for an allowed order)."""
        data: dict[str, Any] = {
            "kind": "flatten" if self.exemption else "decision",
            "seq": self.seq,
            "time": iso_time(self.time),
            "outcome": "allowed" if self.allowed else "blocked",
        }
        instrument = self.instrument
        if instrument is not None:
            data["instrument"] = _instrument_json(instrument)
        else:
            data["contract"] = self.symbol
        if self.order is not None:
            data["order"] = _order_json(self.order)
        if self.order_id is not None:
            data["order_id"] = self.order_id
        if self.reasons:
            data["reasons"] = [_reason_json(reason) for reason in self.reasons]
        if self.inputs is not None:
            data["inputs"] = _inputs_json(self.inputs)
        if self.caller_inputs is not None:
            data["caller_inputs"] = _inputs_json(self.caller_inputs)
        if self.trading_state is not TradingState.ACTIVE:  # ACTIVE is the default: left out
            data["trading_state"] = self.trading_state.value
        if self.latency_s is not None:
            data["latency_s"] = round(self.latency_s, 7)  # 0.1 us: finer is timer noise
        if self.exemption:
            data["exemption"] = self.exemption
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionRecord:
        """A decision read back from a journal (today's form, or the flat one before it)."""
        if "instrument" in data or "order" in data or "contract" in data:
            instrument = _instrument(data.get("instrument"))
            order = _order(data.get("order"))
            symbol = instrument.symbol if instrument is not None else str(data.get("contract"))
        else:  # the flat form written before the typed records
            symbol = str(data.get("symbol"))
            con_id = data.get("con_id")
            instrument = _instrument(
                {"symbol": symbol, "con_id": con_id} if isinstance(con_id, int) else None
            )
            order = _order(
                {
                    "side": data.get("side"),
                    "quantity": data.get("quantity"),
                    "type": data.get("order_type") or OrderType.MARKET.value,
                    "limit_price": data.get("limit_price"),
                }
            )
        latency = data.get("latency_s")
        order_id = data.get("order_id")
        return cls(
            seq=int(data.get("seq") or 0),
            time=_time(data["time"]),
            symbol=symbol,
            allowed=data.get("outcome") == "allowed",
            reasons=tuple(_reason(r) for r in data.get("reasons") or ()),
            instrument=instrument,
            order=order,
            order_id=order_id if isinstance(order_id, int) else None,
            inputs=_inputs(data.get("inputs")),
            caller_inputs=_inputs(data.get("caller_inputs")),
            trading_state=TradingState(str(data.get("trading_state") or TradingState.ACTIVE.value)),
            latency_s=float(latency) if isinstance(latency, int | float) else None,
            exemption=str(data.get("exemption") or ""),
        )


# ---------------------------------------------------------------------------- the others
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
            data[item.name] = _encode(value)
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


_TIME = {"time": _time}


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
        "since": _time,
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
        "start": _time,
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
                    "value": _number(trip.value),
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
            time=_time(data["time"]),
            state=TradingState(data["state"]),
            trips=tuple(
                LatchedTrip(
                    BreakerName(trip["breaker"]),
                    _time(trip["since"]),
                    float(trip["value"]),
                    str(trip["reason"]),
                )
                for trip in data.get("trips") or ()
            ),
            session_start=_time(session["start"]) if "start" in session else None,
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


_DECISION_KINDS = frozenset(("decision", "flatten"))


def is_decision(data: Mapping[str, Any]) -> bool:
    """True for a decision's journal form (kinds ``decision`` and ``flatten``)."""
    return data.get("kind") in _DECISION_KINDS


def decision_peak(data: Mapping[str, Any]) -> float | None:
    """The peak equity a journaled decision saw (None: it recorded no inputs).

    A decision's only part in a replay is that number, so a restart reads it alone instead
    of the whole decision (``parse_record``: ~15 us a decision; this: ~0.3 us).

    Raises:
        InvalidInputError: the decision's inputs are malformed (field "record").
    """
    inputs = data.get("inputs")  # perf: journal_restart
    if inputs is None:
        return None
    try:
        peak = inputs["peak_equity"]
        if isinstance(peak, bool) or not isinstance(peak, int | float):
            raise TypeError(f"peak_equity is {peak!r}")
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(
            "record", f"malformed {data.get('kind')!r} record: inputs: {exc}"
        ) from None
    return float(peak)


@dataclass(frozen=True, slots=True)
class UnknownRecord:
    """A journal record of a kind this version does not know (kept whole, never dropped)."""

    data: Mapping[str, Any]
    LEVEL: ClassVar[str] = "info"

    @property
    def time(self) -> datetime:
        """The record's time, if it has a readable one (else the epoch)."""
        try:
            return _time(self.data.get("time"))
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


class DecisionListing(NamedTuple):
    """What a listing shows of a journaled decision, read without building the decision.

    ``hydra journal`` prints thousands of rows; the typed decision (``parse_record``)
    builds and validates the instrument, the order and both sets of inputs (~15 us), of
    which a row shows a few names and numbers (this: ~3 us).
    """

    time: datetime
    kind: str
    seq: int
    symbol: str
    side: str | None
    quantity: float | None
    outcome: str
    triggered: tuple[str, ...]
    exemption: str
    order_id: int | None


def decision_listing(data: Mapping[str, Any]) -> DecisionListing | None:
    """A journaled decision as a listing shows it (None: not a decision, or unreadable).

    Decisions written before the typed records (flat fields) give None too: the caller
    then builds the typed record.
    """
    if not is_decision(data):
        return None
    try:  # perf: journal_read
        instrument = data.get("instrument")
        order = data.get("order")
        if not isinstance(instrument, Mapping) and "contract" not in data:
            return None  # the flat form of older journals
        symbol = instrument["symbol"] if isinstance(instrument, Mapping) else data["contract"]
        seq = data.get("seq") or 0
        order_id = data.get("order_id")
        quantity = order.get("quantity") if isinstance(order, Mapping) else None
        return DecisionListing(
            _time(data["time"]),
            str(data["kind"]),
            seq if isinstance(seq, int) else 0,
            str(symbol),
            str(order["side"]) if isinstance(order, Mapping) else None,
            float(quantity) if isinstance(quantity, int | float) else None,
            "allowed" if data.get("outcome") == "allowed" else "blocked",
            tuple(str(reason["name"]) for reason in data.get("reasons") or ()),
            str(data.get("exemption") or ""),
            order_id if isinstance(order_id, int) else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def record_time(data: Mapping[str, Any]) -> datetime | None:
    """A journaled record's time, read alone (None: it has no readable time).

    A filtered read (``hydra journal --since``) tests the time of every record it streams
    and builds the typed record only for those inside the window.
    """
    try:
        return _time(data["time"])  # perf: journal_read
    except (KeyError, TypeError, ValueError):
        return None


def config_version_of(data: Mapping[str, Any]) -> str:
    """The configuration version a journaled record names ("" when none: decisions)."""
    version = data.get("config_version")
    return version if isinstance(version, str) else ""


def journal_form(record: AuditRecord, config_version: str) -> dict[str, Any]:
    """What the journal appends: the record's JSON form and the configuration version.

    Decisions leave the version out: it changes only when a gate starts, and every run's
    first record before its decisions names it (the restore record, the journal's
    checkpoint, the session start), so a decision's version is the last one named before it.
    """
    data = record.as_json()
    if config_version and not isinstance(record, DecisionRecord):
        data["config_version"] = config_version
    return data
