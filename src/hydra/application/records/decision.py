"""The decision record: the gate's decision on one order, journaled ahead of its hand-off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from hydra.application.records._codec import (
    inputs_from,
    inputs_json,
    instrument_from,
    instrument_json,
    iso_time,
    order_from,
    order_json,
    reason_from,
    reason_json,
    time_from,
)
from hydra.application.records.valuation import Valuation
from hydra.domain import (
    BreakerInputs,
    Instrument,
    OrderRequest,
    OrderType,
    Reason,
    Side,
    TradingState,
)
from hydra.domain._slots import tuple_maker

if TYPE_CHECKING:
    from hydra.application.orders import OrderHandle

__all__ = ["DecisionRecord", "LegRecord", "make_record"]


class LegRecord(NamedTuple):
    """One further order of a decision on an order list: its role, order and broker id.

    ``role`` is ``take_profit`` or ``stop_loss`` (a bracket's children) or ``oca`` (a
    member of an OCA group after the first).
    """

    role: str
    order: OrderRequest
    order_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The leg's JSON form."""
        data: dict[str, Any] = {"role": self.role, "order": order_json(self.order)}
        if self.order_id is not None:
            data["order_id"] = self.order_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LegRecord | None:
        """The leg a JSON form holds (None when its order is not readable)."""
        order = order_from(data.get("order"))
        order_id = data.get("order_id")
        if order is None:
            return None
        return cls(str(data.get("role")), order, order_id if isinstance(order_id, int) else None)


# A decision's trading state as the journal writes it: ACTIVE, the default, left out. Keyed
# by the plain value: an Enum member's own hash is a Python-level call.
_STATE_JSON = {
    state.value: {} if state is TradingState.ACTIVE else {"trading_state": state.value}
    for state in TradingState
}


class DecisionRecord(NamedTuple):
    """The gate's decision on one order attempt: its journal record and its answer.

    The same object is what ``gate.last_decision`` and ``submit_with_decision`` return
    (``OrderDecision`` is this type).

    ``instrument`` is None when the contract was not a HYDRA Instrument (``symbol`` then
    shows what it was); ``order`` is None when the order was not an OrderRequest.
    ``order_id`` is the broker order id (reserved before the write-ahead record);
    ``exemption`` says why an order was sent outside the checks (the kill switch's
    flatten). ``amends`` is the broker order id an amendment changes (``order`` is then
    the order as amended); ``legs`` are a bracket's or OCA group's further orders, each
    with its reserved broker id. ``valuation`` is what the order was valued at, in the
    instrument's and the account's currency (margin and exposure included).
    ``handle`` is the live order (allowed and sent only; never journaled).
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
    amends: int | None = None
    legs: tuple[LegRecord, ...] = ()
    valuation: Valuation | None = None
    handle: OrderHandle | None = None

    def handed_off(self, order_id: int, handle: OrderHandle) -> DecisionRecord:
        """This decision as sent: the broker's order id and the live order.

        The same as ``_replace(order_id=..., handle=...)``, without its keyword walk.
        perf: gate_pass (one per sent order).
        """
        return make_record((*self[:7], order_id, *self[8:16], handle))

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
        """The decision's JSON form (the control API's; the journal's is ``journal_json``)."""
        return self._json(compact=False)

    def journal_json(self) -> dict[str, Any]:
        """The journal form, written ahead of the hand-off for an allowed order.

        ``as_json`` with the valuation compact (``Valuation.compact_json``).
        """
        return self._json(compact=True)

    def _json(self, *, compact: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "flatten" if self.exemption else "decision",
            "seq": self.seq,
            "time": iso_time(self.time),
            "outcome": "allowed" if self.allowed else "blocked",
        }
        instrument = self.instrument
        if instrument is not None:
            data["instrument"] = instrument_json(instrument)
        else:
            data["contract"] = self.symbol
        if self.order is not None:
            data["order"] = order_json(self.order)
        if self.order_id is not None:
            data["order_id"] = self.order_id
        if self.reasons:
            data["reasons"] = [reason_json(reason) for reason in self.reasons]
        if self.inputs is not None:
            data["inputs"] = inputs_json(self.inputs)
        if self.caller_inputs is not None:
            data["caller_inputs"] = inputs_json(self.caller_inputs)
        data.update(_STATE_JSON[self.trading_state._value_])
        if self.latency_s is not None:
            # 0.1 us: finer is timer noise. perf: gate_pass (round(x, 7) costs ~0.5 us)
            data["latency_s"] = int(self.latency_s * 1e7) / 1e7
        if self.exemption:
            data["exemption"] = self.exemption
        if self.amends is not None:
            data["amends"] = self.amends
        if self.legs:
            data["legs"] = [leg.as_json() for leg in self.legs]
        valuation = self.valuation
        if valuation is not None:
            data["valuation"] = valuation.compact_json() if compact else valuation.as_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionRecord:
        """A decision read back from a journal (today's form, or the flat one before it)."""
        if "instrument" in data or "order" in data or "contract" in data:
            instrument = instrument_from(data.get("instrument"))
            order = order_from(data.get("order"))
            symbol = instrument.symbol if instrument is not None else str(data.get("contract"))
        else:  # the flat form written before the typed records
            symbol = str(data.get("symbol"))
            con_id = data.get("con_id")
            instrument = instrument_from(
                {"symbol": symbol, "con_id": con_id} if isinstance(con_id, int) else None
            )
            order = order_from(
                {
                    "side": data.get("side"),
                    "quantity": data.get("quantity"),
                    "order_type": data.get("order_type") or OrderType.MARKET.value,
                    "limit_price": data.get("limit_price"),
                }
            )
        latency = data.get("latency_s")
        order_id = data.get("order_id")
        amends = data.get("amends")
        legs = (LegRecord.from_json(leg) for leg in data.get("legs") or () if isinstance(leg, dict))
        return cls(
            seq=int(data.get("seq") or 0),
            time=time_from(data["time"]),
            symbol=symbol,
            allowed=data.get("outcome") == "allowed",
            reasons=tuple(reason_from(r) for r in data.get("reasons") or ()),
            instrument=instrument,
            order=order,
            order_id=order_id if isinstance(order_id, int) else None,
            inputs=inputs_from(data.get("inputs")),
            caller_inputs=inputs_from(data.get("caller_inputs")),
            trading_state=TradingState(str(data.get("trading_state") or TradingState.ACTIVE.value)),
            latency_s=float(latency) if isinstance(latency, int | float) else None,
            exemption=str(data.get("exemption") or ""),
            amends=amends if isinstance(amends, int) else None,
            legs=tuple(leg for leg in legs if leg is not None),
            valuation=Valuation.from_json(data.get("valuation")),
        )


make_record = tuple_maker(DecisionRecord)
"""A DecisionRecord from all 17 fields, in order (perf: gate_pass: one or two per order)."""
