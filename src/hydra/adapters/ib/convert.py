"""Converters between ib_async objects and HYDRA's domain values (the adapter's boundary).

Public so users holding ib_async ``Contract``/``Order`` objects can hand them to the gate:
``gate.submit(instrument_from_ib(contract), order_request_from_ib(order), ...)``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from ib_async import Contract, LimitOrder, MarketOrder, Order, Trade
from ib_async import Fill as IBFill
from ib_async import OrderStatus as IBStatus
from ib_async import Position as IBPosition

from hydra.domain import (
    Fill,
    Instrument,
    InvalidInputError,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Right,
    SecurityType,
    Side,
    TimeInForce,
)

__all__ = [
    "REDUCE_ONLY_REF",
    "fill_from_ib",
    "instrument_from_ib",
    "market_equivalent_from_ib",
    "order_request_from_ib",
    "position_from_ib",
    "status_from_trade",
    "to_ib_contract",
    "to_ib_order",
]

REDUCE_ONLY_REF = "reduce-only|"
"""How a reduce-only order's ``orderRef`` starts at IB (then its ``order_ref``, if any)."""

_CANCELLED_BY_REQUEST = frozenset({0, 202})
"""Error codes that mean "cancelled as asked"; any other error on a dead order is a reject."""


def to_ib_contract(instrument: Instrument) -> Contract:
    """The ib_async Contract for a domain instrument (conId set once qualified)."""
    contract = Contract(
        secType=instrument.sec_type.value,
        conId=instrument.con_id,
        symbol=instrument.symbol,
        exchange=instrument.exchange,
        primaryExchange=instrument.primary_exchange,
        currency=instrument.currency,
    )
    if instrument.sec_type is not SecurityType.STOCK and instrument.multiplier != 1.0:
        contract.multiplier = f"{instrument.multiplier:g}"
    if instrument.expiry:
        contract.lastTradeDateOrContractMonth = instrument.expiry
    if instrument.strike is not None:
        contract.strike = instrument.strike
    if instrument.right is not None:
        contract.right = instrument.right.value
    if instrument.local_symbol:
        contract.localSymbol = instrument.local_symbol
    if instrument.trading_class:
        contract.tradingClass = instrument.trading_class
    return contract


def instrument_from_ib(contract: Contract) -> Instrument:
    """A domain instrument from an ib_async Contract.

    Raises:
        InvalidInputError: the contract lacks a symbol or has an unsupported secType.
    """
    multiplier = 1.0
    raw = getattr(contract, "multiplier", "") or ""
    if raw:
        try:
            multiplier = float(raw)
        except ValueError:
            raise InvalidInputError("contract.multiplier", "must be numeric", raw) from None
    return Instrument(
        symbol=contract.symbol,
        # A plain string on purpose: Instrument validates it and names the bad field.
        sec_type=contract.secType or SecurityType.STOCK,  # type: ignore[arg-type]
        exchange=contract.exchange or "SMART",
        currency=contract.currency or "USD",
        primary_exchange=contract.primaryExchange or "",
        con_id=int(contract.conId or 0),
        multiplier=multiplier,
        expiry=contract.lastTradeDateOrContractMonth or "",
        strike=float(contract.strike) if contract.strike else None,
        right=_RIGHTS.get(contract.right or ""),
        local_symbol=contract.localSymbol or "",
        trading_class=contract.tradingClass or "",
    )


_RIGHTS = {"C": Right.CALL, "CALL": Right.CALL, "P": Right.PUT, "PUT": Right.PUT}


_ORDER_DEFAULTS = Order().__dict__.copy()
_ORDER_FRESH = tuple(
    (f.name, f.default_factory)
    for f in dataclasses.fields(Order)
    if f.default_factory is not dataclasses.MISSING
)
"""Order's ~140 defaults, and the mutable ones (lists, SoftDollarTier) built anew per order."""


def _ib_order(kind: type[Order], order_type: str, order: OrderRequest) -> Order:
    """``kind(action, quantity, ...)`` as ib_async builds it, from a copy of the defaults.

    The dataclass ``__init__`` sets ~140 fields one keyword at a time (about 5 us); copying
    the defaults and building only the mutable ones afresh gives the same object in ~1 us.
    """
    ib_order = kind.__new__(kind)
    fields = ib_order.__dict__
    fields.update(_ORDER_DEFAULTS)
    for name, factory in _ORDER_FRESH:
        fields[name] = factory()
    fields["orderType"] = order_type
    fields["action"] = order.side.value
    fields["totalQuantity"] = order.quantity
    fields["tif"] = order.tif.value
    return ib_order


def to_ib_order(order: OrderRequest) -> Order:
    """The ib_async Order for a domain order request (every type, every field).

    MKT and LMT are ib_async's own MarketOrder and LimitOrder; the other types are Orders
    with IB's fields: ``auxPrice`` the stop or touch price (or a TRAIL's amount),
    ``trailingPercent``, ``lmtPriceOffset`` (TRAIL LIMIT), ``goodTillDate`` (GTD, in
    UTC), ``outsideRth`` and ``orderRef``. IB has no reduce-only flag: a ``reduce_only``
    order's ``orderRef`` starts with ``REDUCE_ONLY_REF``, so the flag comes back when the
    order is adopted after a restart (``intentional_duplicate`` only matters to a new
    order's duplicate check and is not sent).
    """
    kind = order.order_type
    if kind is OrderType.LIMIT:
        ib_order = _ib_order(LimitOrder, "LMT", order)
    elif kind is OrderType.MARKET:
        ib_order = _ib_order(MarketOrder, "MKT", order)
    else:
        ib_order = _ib_order(Order, kind.value, order)
    if order.limit_price is not None:
        ib_order.lmtPrice = order.limit_price
    if order.stop_price is not None:
        ib_order.auxPrice = order.stop_price
    if order.trailing_amount is not None:
        ib_order.auxPrice = order.trailing_amount
    if order.trailing_percent is not None:
        ib_order.trailingPercent = order.trailing_percent
    if order.limit_offset is not None:
        ib_order.lmtPriceOffset = order.limit_offset
    if order.good_till is not None:
        ib_order.goodTillDate = order.good_till.astimezone(UTC).strftime("%Y%m%d %H:%M:%S UTC")
    if order.outside_rth:
        ib_order.outsideRth = True
    if order.reduce_only:
        ib_order.orderRef = REDUCE_ONLY_REF + order.order_ref
    elif order.order_ref:
        ib_order.orderRef = order.order_ref
    return ib_order


def order_request_from_ib(order: Order) -> OrderRequest:
    """A domain order request from an ib_async Order, of any type HYDRA knows.

    An ``orderRef`` that starts with ``REDUCE_ONLY_REF`` is a reduce-only order's (see
    ``to_ib_order``): the prefix is taken off and ``reduce_only`` set.

    Raises:
        InvalidInputError: an unsupported order type or an invalid field, named.
    """
    try:
        kind = OrderType(order.orderType)
    except ValueError:
        known = ", ".join(t.value for t in OrderType)
        raise InvalidInputError(
            "order.orderType", f"must be one of {known}", order.orderType
        ) from None
    aux = _price(order.auxPrice)
    percent = _price(order.trailingPercent)
    ref = order.orderRef or ""
    reduce_only = ref.startswith(REDUCE_ONLY_REF)
    # Plain strings on purpose: OrderRequest validates them and names the bad field.
    return OrderRequest(
        order.action,  # type: ignore[arg-type]
        float(order.totalQuantity),
        kind,
        _price(order.lmtPrice) if kind.has_limit else None,
        order.tif or TimeInForce.DAY,  # type: ignore[arg-type]
        stop_price=aux if kind.has_stop else None,
        trailing_amount=aux if kind.is_trailing and percent is None else None,
        trailing_percent=percent if kind.is_trailing else None,
        limit_offset=(
            _price(order.lmtPriceOffset) if kind is OrderType.TRAILING_STOP_LIMIT else None
        ),
        good_till=_good_till(order.goodTillDate),
        outside_rth=bool(order.outsideRth),
        order_ref=ref.removeprefix(REDUCE_ONLY_REF),
        reduce_only=reduce_only,
    )


def market_equivalent_from_ib(order: Order) -> OrderRequest:
    """A market order of ``order``'s side and quantity: how an adopted order counts.

    Used when ``order_request_from_ib`` refuses it (a type HYDRA lacks: REL, VWAP, PEG...;
    a field it refuses: a DTC time in force...).

    Counting it as a market order is the conservative reading: its whole remaining
    quantity may trade at any moment, valued at the reference price. IB's short-sale
    action ``SSHORT`` is a sell.

    Raises:
        InvalidInputError: not even a side and a positive quantity can be read, named.
    """
    action = "SELL" if order.action == "SSHORT" else order.action
    # A plain string on purpose: OrderRequest validates it and names the bad field.
    return OrderRequest(action, float(order.totalQuantity or 0.0))  # type: ignore[arg-type]


def _price(value: object) -> float | None:
    """An IB price field: None when unset (IB's UNSET_DOUBLE or 0 means "not given")."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number == 0.0 or number >= _UNSET else number


_UNSET = 1.7e308  # ib_async's UNSET_DOUBLE is the largest double


def _good_till(text: str) -> datetime | None:
    """IB's goodTillDate ("YYYYMMDD HH:MM:SS [zone]"), as an aware datetime (UTC if unzoned)."""
    if not text:
        return None
    parts = text.split()
    try:
        stamp = datetime.strptime(" ".join(parts[:2]), "%Y%m%d %H:%M:%S")
    except ValueError:
        raise InvalidInputError("order.goodTillDate", "must be YYYYMMDD HH:MM:SS", text) from None
    if len(parts) > 2 and parts[2] not in ("UTC", "GMT"):
        from zoneinfo import ZoneInfo  # noqa: PLC0415  (rare: a zone other than UTC)

        return stamp.replace(tzinfo=ZoneInfo(parts[2]))
    return stamp.replace(tzinfo=UTC)


def position_from_ib(position: IBPosition) -> Position:
    """A domain position from an ib_async Position (avgCost is per contract at IB)."""
    instrument = instrument_from_ib(position.contract)
    return Position(
        instrument, float(position.position), float(position.avgCost) / instrument.multiplier
    )


def fill_from_ib(fill: IBFill) -> Fill:
    """A domain fill from an ib_async Fill."""
    execution = fill.execution
    commission = fill.commissionReport.commission if fill.commissionReport else 0.0
    return Fill(
        order_id=execution.orderId,
        symbol=fill.contract.symbol,
        side=Side.BUY if execution.side == "BOT" else Side.SELL,
        quantity=float(execution.shares),
        price=float(execution.price),
        time=execution.time,
        exec_id=execution.execId,
        commission=max(0.0, float(commission or 0.0)),
    )


def status_from_trade(trade: Trade) -> tuple[OrderStatus, str]:
    """Map an ib_async Trade's state to a domain status and the broker's message.

    ib_async marks an order Cancelled both when we cancel it and when the broker rejects it
    (error 201 etc.); the error code in the trade's log tells the two apart.
    """
    status = trade.orderStatus.status
    if status == IBStatus.Filled:
        return OrderStatus.FILLED, ""
    if status in (IBStatus.Cancelled, IBStatus.ApiCancelled, IBStatus.Inactive):
        error = next((e for e in reversed(trade.log) if e.errorCode), None)
        if error is not None and error.errorCode not in _CANCELLED_BY_REQUEST:
            return OrderStatus.REJECTED, error.message
        if status == IBStatus.Inactive:
            return OrderStatus.REJECTED, "order inactive at the broker"
        return OrderStatus.CANCELLED, error.message if error else ""
    if status in (IBStatus.PendingSubmit, IBStatus.ApiPending, ""):
        return OrderStatus.PENDING_SUBMIT, ""
    return OrderStatus.SUBMITTED, ""
