"""Per-order limits: size, notional, price collar, stale prices, rate, duplicates, self-cross.

Each limit has a documented default, blocks only the order that breaches it, and is
reported by a stable reason code:

=====================  ==========================================  ==========  ===========
limit                  blocks an order when                         default     code
=====================  ==========================================  ==========  ===========
``max_quantity``       quantity > max                               10,000      limit.max_quantity
``max_notional``       quantity x price x multiplier > max, in the  250,000     limit.max_notional
                       account's currency (``OrderRequest.valued_at``:
                       the limit; a STP's or MIT's higher of
                       trigger and reference; else the reference)
``price_collar``       the limit the order trades within once live  0.10        limit.price_collar
                       more than this fraction from the price there:
                       LMT, LOC from the reference; STP LMT, LIT
                       from their own stop / trigger; TRAIL LIMIT
                       from the trailing stop it starts at (bare
                       triggers are not collared)
``max_price_age``      the reference price is older than this       60 s        price.stale
                       (no reference price at all:                              price.missing)
``max_orders`` /       more than ``max_orders`` orders sent in any  20 per 1 s  limit.rate
``rate_window``        rolling ``rate_window`` (a bracket or OCA group
                       counts each of its orders)
``max_modifies``       more than ``max_modifies`` amendments in     20 per 1 s  limit.modify_rate
                       any rolling ``rate_window``
``duplicate_window``   same instrument, side, quantity, type and    2 s         limit.duplicate
                       prices as an order sent within the window (unless
                       ``intentional_duplicate``)
``self_cross``         the order could trade against one of our     on          limit.self_cross
                       own resting orders in the instrument
``max_position_``      the position after the order above this      breakers'   position_size
``fraction``           fraction of equity (the position-size        0.20
                       breaker's threshold for this instrument)
=====================  ==========================================  ==========  ===========

The price collar's default follows IB's price bands: 10 % for stocks; ``LimitTable``
sets 20 % for options. Every field can be set per security type and per contract
(``hydra.domain.LimitTable``): the most specific wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hydra.domain._validate import positive
from hydra.domain.errors import InvalidInputError
from hydra.domain.orders import Side

__all__ = ["OrderLimits", "Quote", "RestingOrder"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A reference price and when it was observed."""

    price: float
    time: datetime

    def __post_init__(self) -> None:
        price = positive("quote.price", self.price)
        if price is not self.price:
            object.__setattr__(self, "price", price)
        if not isinstance(self.time, datetime) or self.time.tzinfo is None:
            raise InvalidInputError("quote.time", "must be a timezone-aware datetime", self.time)


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """One of our working orders, as the self-cross guard sees it."""

    side: Side
    limit_price: float | None


@dataclass(frozen=True, slots=True)
class OrderLimits:
    """Per-order limit settings; see the module docstring for the table of defaults."""

    max_quantity: float = field(default=10_000.0, metadata={"doc": "max order quantity"})
    max_notional: float = field(
        default=250_000.0,
        metadata={"doc": "max order notional (qty x price x multiplier, base currency)"},
    )
    price_collar: float = field(
        default=0.10,
        metadata={"doc": "max distance of a limit price from the reference (options: 0.20)"},
    )
    max_price_age: timedelta = field(
        default=timedelta(seconds=60),
        metadata={"doc": "a reference price older than this is stale"},
    )
    max_orders: int = field(default=20, metadata={"doc": "orders allowed per rate window"})
    rate_window: timedelta = field(
        default=timedelta(seconds=1), metadata={"doc": "the rate limits' rolling window"}
    )
    max_modifies: int = field(default=20, metadata={"doc": "amendments allowed per rate window"})
    duplicate_window: timedelta = field(
        default=timedelta(seconds=2), metadata={"doc": "window of the duplicate-order guard"}
    )
    self_cross: bool = field(
        default=True, metadata={"doc": "block orders that could trade against our own resting ones"}
    )
    max_position_fraction: float | None = field(
        default=None,
        metadata={"doc": "this instrument's position-size threshold (None: [breakers]')"},
    )

    def __post_init__(self) -> None:
        positive("limits.max_quantity", self.max_quantity)
        positive("limits.max_notional", self.max_notional)
        collar = positive("limits.price_collar", self.price_collar)
        if collar >= 1.0:
            raise InvalidInputError("limits.price_collar", "must be a fraction in (0, 1)", collar)
        for name in ("max_price_age", "rate_window"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise InvalidInputError(f"limits.{name}", "must be a positive duration", value)
        if not isinstance(self.duplicate_window, timedelta) or self.duplicate_window < timedelta(0):
            raise InvalidInputError(
                "limits.duplicate_window", "must be a non-negative duration", self.duplicate_window
            )
        for name in ("max_orders", "max_modifies"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInputError(f"limits.{name}", "must be an integer", value)
            if value < 1:
                raise InvalidInputError(f"limits.{name}", "must be at least 1", value)
        if not isinstance(self.self_cross, bool):
            raise InvalidInputError("limits.self_cross", "must be a bool", self.self_cross)
        if self.max_position_fraction is not None:
            positive("limits.max_position_fraction", self.max_position_fraction)
