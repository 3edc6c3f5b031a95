"""Orders and what happens to them: requests, statuses, fills and order events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from math import isfinite as _isfinite
from typing import NamedTuple, TypeVar

from hydra.domain._validate import non_negative, positive, text
from hydra.domain.errors import InvalidInputError

__all__ = [
    "Fill",
    "OrderEvent",
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
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    """Order types (IB codes): market and limit."""

    MARKET = "MKT"
    LIMIT = "LMT"


class TimeInForce(StrEnum):
    """How long an order rests (IB codes)."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    GTD = "GTD"
    OPG = "OPG"
    FOK = "FOK"


_E = TypeVar("_E", bound=Enum)


def _enum(field: str, enum: type[_E], value: object) -> _E:
    if value.__class__ is enum:  # already a member: the common case, and the fast one
        return value
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(str(member.value) for member in enum)
        raise InvalidInputError(field, f"must be one of {known}", value) from None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What to trade: side, quantity (> 0, in shares/contracts), type, limit price, TIF.

    A LIMIT order needs a finite ``limit_price`` > 0; a MARKET order must have none.
    ``intentional_duplicate`` tells the duplicate-order guard that a repeat is meant.
    """

    side: Side
    quantity: float
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    tif: TimeInForce = TimeInForce.DAY
    intentional_duplicate: bool = False

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        side = _enum("order.side", Side, self.side)
        if side is not self.side:
            setattr_(self, "side", side)
        quantity = positive("order.quantity", self.quantity)
        if quantity is not self.quantity:
            setattr_(self, "quantity", quantity)
        order_type = _enum("order.order_type", OrderType, self.order_type)
        if order_type is not self.order_type:
            setattr_(self, "order_type", order_type)
        if order_type is OrderType.LIMIT:
            if self.limit_price is None:
                raise InvalidInputError("order.limit_price", "a LIMIT order needs a limit price")
            object.__setattr__(self, "limit_price", positive("order.limit_price", self.limit_price))
        elif self.limit_price is not None:
            raise InvalidInputError(
                "order.limit_price", "a MARKET order takes no limit price", self.limit_price
            )
        tif = _enum("order.tif", TimeInForce, self.tif)
        if tif is not self.tif:
            setattr_(self, "tif", tif)
        if self.intentional_duplicate.__class__ is not bool:
            raise InvalidInputError(
                "order.intentional_duplicate", "must be a bool", self.intentional_duplicate
            )

    @classmethod
    def market(cls, side: Side | str, quantity: float) -> OrderRequest:
        """A day market order."""
        return cls(side, quantity)  # type: ignore[arg-type]

    @classmethod
    def limit(cls, side: Side | str, quantity: float, limit_price: float) -> OrderRequest:
        """A day limit order."""
        return cls(side, quantity, OrderType.LIMIT, limit_price)  # type: ignore[arg-type]

    @property
    def signed_quantity(self) -> float:
        """Quantity with the side's sign: what the order adds to the position."""
        return self.quantity * self.side.sign


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
        return self in _DONE


_DONE = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})


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
        if (  # fast path: adapters build fills from plain floats and enum sides
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
