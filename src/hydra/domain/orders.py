"""Orders and what happens to them: requests, statuses, fills and order events."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from enum import Enum, StrEnum
from math import isfinite as _isfinite
from typing import Any, NamedTuple, TypeVar

from hydra.domain._slots import slot_init
from hydra.domain._validate import non_negative, positive, text
from hydra.domain.errors import InvalidInputError
from hydra.domain.instruments import Instrument

__all__ = [
    "Fill",
    "OrderEvent",
    "OrderLeg",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Side",
    "TimeInForce",
]


class Side(StrEnum):
    """Order side; ``sign`` is +1 for a buy and -1 for a sell."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL: the sign this side adds to a position."""
        return 1 if self is _BUY else -1


_BUY = Side.BUY  # perf: gate_pass (read on every order; see hydra.domain._members)


class OrderType(StrEnum):
    """Order types, by IB's codes.

    ========================  ==========  ================================================
    member                    IB code     prices it takes
    ========================  ==========  ================================================
    ``MARKET``                MKT         none
    ``LIMIT``                 LMT         ``limit_price``
    ``STOP``                  STP         ``stop_price`` (the trigger; then a market order)
    ``STOP_LIMIT``            STP LMT     ``stop_price`` and ``limit_price``
    ``TRAILING_STOP``         TRAIL       ``trailing_amount`` or ``trailing_percent``
    ``TRAILING_STOP_LIMIT``   TRAIL LIMIT the trail, and ``limit_offset`` from the stop
    ``MARKET_IF_TOUCHED``     MIT         ``stop_price`` (the touch price)
    ``LIMIT_IF_TOUCHED``      LIT         ``stop_price`` (touch) and ``limit_price``
    ``MARKET_ON_CLOSE``       MOC         none (fills in the closing auction)
    ``LIMIT_ON_CLOSE``        LOC         ``limit_price`` (in the closing auction)
    ========================  ==========  ================================================
    """

    MARKET = "MKT"
    LIMIT = "LMT"
    STOP = "STP"
    STOP_LIMIT = "STP LMT"
    TRAILING_STOP = "TRAIL"
    TRAILING_STOP_LIMIT = "TRAIL LIMIT"
    MARKET_IF_TOUCHED = "MIT"
    LIMIT_IF_TOUCHED = "LIT"
    MARKET_ON_CLOSE = "MOC"
    LIMIT_ON_CLOSE = "LOC"

    @property
    def has_limit(self) -> bool:
        """True for the types that carry a limit price."""
        return self in _WITH_LIMIT

    @property
    def has_stop(self) -> bool:
        """True for the types triggered at ``stop_price`` (STP, STP LMT, MIT, LIT)."""
        return self in _WITH_STOP

    @property
    def is_trailing(self) -> bool:
        """True for TRAIL and TRAIL LIMIT."""
        return self in _TRAILING


_WITH_LIMIT = frozenset(
    {OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIMIT_IF_TOUCHED, OrderType.LIMIT_ON_CLOSE}
)
_WITH_STOP = frozenset(
    {
        OrderType.STOP,
        OrderType.STOP_LIMIT,
        OrderType.MARKET_IF_TOUCHED,
        OrderType.LIMIT_IF_TOUCHED,
    }
)
_TRAILING = frozenset({OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT})


class TimeInForce(StrEnum):
    """How long an order rests (IB codes); GTD needs ``OrderRequest.good_till``."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    GTD = "GTD"
    OPG = "OPG"
    FOK = "FOK"


_E = TypeVar("_E", bound=Enum)


def _enum(field: str, enum: type[_E], value: object) -> _E:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(str(member.value) for member in enum)
        raise InvalidInputError(field, f"must be one of {known}", value) from None


def _price(field: str, value: object, *, wanted: bool, order_type: OrderType) -> float | None:
    """A price the order type takes (required), or must not take (refused)."""
    if wanted:
        if value is None:
            raise InvalidInputError(field, f"a {order_type.value} order needs it")
        return positive(field, value)
    if value is not None:
        raise InvalidInputError(field, f"a {order_type.value} order takes none", value)
    return None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What to trade: side, quantity (> 0, in shares/contracts), type and its prices, TIF.

    Each type validates its own fields (see ``OrderType``), naming the field it refuses.
    ``intentional_duplicate`` tells the duplicate-order guard that a repeat is meant.

    Keyword-only fields:
        stop_price: the trigger of STP, STP LMT (stop) and MIT, LIT (touch): IB's auxPrice.
        trailing_amount / trailing_percent: a trailing stop's distance, in price units or
            percent (exactly one).
        limit_offset: TRAIL LIMIT: the limit's distance from the trailing stop price.
        good_till: a timezone-aware datetime; required for GTD, refused otherwise.
        outside_rth: may trigger or fill outside regular trading hours.
        order_ref: a strategy or purpose tag (IB's orderRef), at most 64 characters.
        reduce_only: blocked by the gate if it could increase the absolute position,
            counting working orders.
    """

    side: Side
    quantity: float
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    tif: TimeInForce = TimeInForce.DAY
    intentional_duplicate: bool = False
    _: KW_ONLY
    stop_price: float | None = None
    trailing_amount: float | None = None
    trailing_percent: float | None = None
    limit_offset: float | None = None
    good_till: datetime | None = None
    outside_rth: bool = False
    order_ref: str = ""
    reduce_only: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "side", _enum("order.side", Side, self.side))
        set_(self, "quantity", positive("order.quantity", self.quantity))
        kind = _enum("order.order_type", OrderType, self.order_type)
        set_(self, "order_type", kind)
        set_(
            self,
            "limit_price",
            _price("order.limit_price", self.limit_price, wanted=kind.has_limit, order_type=kind),
        )
        set_(
            self,
            "stop_price",
            _price("order.stop_price", self.stop_price, wanted=kind.has_stop, order_type=kind),
        )
        self._check_trail(kind)
        tif = _enum("order.tif", TimeInForce, self.tif)
        set_(self, "tif", tif)
        good_till = self.good_till
        if tif is TimeInForce.GTD:
            if not isinstance(good_till, datetime) or good_till.tzinfo is None:
                raise InvalidInputError(
                    "order.good_till", "a GTD order needs a timezone-aware datetime", good_till
                )
        elif good_till is not None:
            raise InvalidInputError(
                "order.good_till", f"only a GTD order takes one (tif is {tif.value})", good_till
            )
        for name in ("intentional_duplicate", "outside_rth", "reduce_only"):
            if getattr(self, name).__class__ is not bool:
                raise InvalidInputError(f"order.{name}", "must be a bool", getattr(self, name))
        if not isinstance(self.order_ref, str) or len(self.order_ref) > _ORDER_REF_MAX:
            raise InvalidInputError(
                "order.order_ref", f"must be text of at most {_ORDER_REF_MAX} characters"
            )
        if self.order_ref and not self.order_ref.isprintable():
            raise InvalidInputError("order.order_ref", "must be printable text", self.order_ref)

    def _check_trail(self, kind: OrderType) -> None:
        amount, percent, offset = self.trailing_amount, self.trailing_percent, self.limit_offset
        if not kind.is_trailing:
            for name, value in (
                ("trailing_amount", amount),
                ("trailing_percent", percent),
                ("limit_offset", offset),
            ):
                if value is not None:
                    raise InvalidInputError(
                        f"order.{name}", f"a {kind.value} order takes none", value
                    )
            return
        if (amount is None) == (percent is None):
            raise InvalidInputError(
                "order.trailing_amount",
                "a trailing stop needs exactly one of trailing_amount and trailing_percent",
            )
        if amount is not None:
            object.__setattr__(self, "trailing_amount", positive("order.trailing_amount", amount))
        else:
            value = positive("order.trailing_percent", percent)
            if value >= 100.0:
                raise InvalidInputError("order.trailing_percent", "must be below 100", value)
            object.__setattr__(self, "trailing_percent", value)
        object.__setattr__(
            self,
            "limit_offset",
            _price(
                "order.limit_offset",
                offset,
                wanted=kind is OrderType.TRAILING_STOP_LIMIT,
                order_type=kind,
            )
            if offset is not None or kind is OrderType.TRAILING_STOP_LIMIT
            else None,
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def market(cls, side: Side | str, quantity: float, **fields: Any) -> OrderRequest:
        """A market order (day, unless ``tif=`` says otherwise)."""
        return cls(side, quantity, **fields)  # type: ignore[arg-type]

    @classmethod
    def limit(
        cls, side: Side | str, quantity: float, limit_price: float, **fields: Any
    ) -> OrderRequest:
        """A limit order."""
        return cls(side, quantity, OrderType.LIMIT, limit_price, **fields)  # type: ignore[arg-type]

    @classmethod
    def stop(
        cls, side: Side | str, quantity: float, stop_price: float, **fields: Any
    ) -> OrderRequest:
        """A stop order: a market order once the price trades through ``stop_price``."""
        return cls(
            side,  # type: ignore[arg-type]
            quantity,
            OrderType.STOP,
            stop_price=stop_price,
            **fields,
        )

    @classmethod
    def stop_limit(
        cls,
        side: Side | str,
        quantity: float,
        stop_price: float,
        limit_price: float,
        **fields: Any,
    ) -> OrderRequest:
        """A stop-limit order: a limit order at ``limit_price`` once ``stop_price`` trades."""
        return cls(
            side,  # type: ignore[arg-type]
            quantity,
            OrderType.STOP_LIMIT,
            limit_price,
            stop_price=stop_price,
            **fields,
        )

    @classmethod
    def trailing_stop(
        cls,
        side: Side | str,
        quantity: float,
        *,
        amount: float | None = None,
        percent: float | None = None,
        **fields: Any,
    ) -> OrderRequest:
        """A trailing stop ``amount`` (price units) or ``percent`` behind the best price."""
        return cls(
            side,  # type: ignore[arg-type]
            quantity,
            OrderType.TRAILING_STOP,
            trailing_amount=amount,
            trailing_percent=percent,
            **fields,
        )

    # ------------------------------------------------------------------ reads
    @property
    def signed_quantity(self) -> float:
        """Quantity with the side's sign: what the order adds to the position."""
        return self.quantity * self.side.sign

    @property
    def prices(self) -> tuple[float, ...]:
        """Every absolute price the order carries (limit, stop), for the tick check."""
        limit, stop = self.limit_price, self.stop_price
        if stop is None:
            return () if limit is None else (limit,)
        return (stop,) if limit is None else (stop, limit)

    def valued_at(self, reference: float | None) -> float | None:
        """The price the order is valued at (None: it has none and ``reference`` is None).

        Its limit, if it has one; a stop or touch order without a limit (STP, MIT) at the
        higher of its trigger and ``reference`` (a trigger the market has already passed
        fires at once, at the market); otherwise (MKT, TRAIL, MOC) ``reference``.
        """
        if self.limit_price is not None:
            return self.limit_price
        stop = self.stop_price
        if stop is not None and (reference is None or stop > reference):
            return stop
        return reference


_ORDER_REF_MAX = 64


class OrderStatus(StrEnum):
    """Where an order is in its life; FILLED, CANCELLED and REJECTED are final."""

    PENDING_SUBMIT = "PendingSubmit"
    SUBMITTED = "Submitted"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"

    @property
    def is_done(self) -> bool:
        """True for the final statuses."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})
"""The statuses ``is_done`` means, as a set: ``status in FINAL_STATUSES`` makes no call.

perf: sim_submit_fill, gate_pass (read on every order event by the handle, the simulator
and the exposure ledger).
"""


@slot_init
@dataclass(frozen=True, slots=True)
class Fill:
    """One execution: ``quantity`` (> 0) of ``symbol`` on ``side`` at ``price``."""

    order_id: int
    symbol: str
    side: Side
    quantity: float
    price: float
    time: datetime
    exec_id: str = ""
    commission: float = 0.0

    def __post_init__(self) -> None:
        q, p, c = self.quantity, self.price, self.commission
        # perf: sim_submit_fill (adapters build fills from plain floats and enum sides;
        # +14 % instructions on that row without it)
        if (
            type(q) is float
            and type(p) is float
            and type(c) is float
            and q > 0.0
            and p > 0.0
            and c >= 0.0
            and _isfinite(q + p + c)
            and self.side.__class__ is Side
            and type(self.symbol) is str
            and self.symbol
            and not self.symbol[0].isspace()
            and not self.symbol[-1].isspace()
        ):
            return
        object.__setattr__(self, "symbol", text("fill.symbol", self.symbol))
        object.__setattr__(self, "side", _enum("fill.side", Side, self.side))
        object.__setattr__(self, "quantity", positive("fill.quantity", self.quantity))
        object.__setattr__(self, "price", positive("fill.price", self.price))
        object.__setattr__(self, "commission", non_negative("fill.commission", self.commission))


class OrderEvent(NamedTuple):
    """A change in an order's life, as adapters publish it to subscribers.

    Immutable; a NamedTuple because adapters build one per status change (the hot path).
    """

    order_id: int
    symbol: str
    status: OrderStatus
    filled: float
    remaining: float
    avg_fill_price: float
    message: str = ""
    fill: Fill | None = None


class OrderLeg(NamedTuple):
    """One order of a list sent together: a bracket's legs, or an OCA group's members.

    ``parent`` is the index (in the list) of the leg this one waits for: a bracket's
    take-profit and stop-loss wait for their entry to fill. Members of one ``oca_group``
    cancel each other when one fills (a bracket's children always do).
    """

    instrument: Instrument
    order: OrderRequest
    parent: int | None = None
    oca_group: str = ""
