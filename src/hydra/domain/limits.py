"""Per-order limits: size, notional, price collar, stale prices, rate, duplicates, self-cross.

Each limit has a documented default, blocks only the order that breaches it, and is
reported by a stable reason code:

=====================  ==========================================  ==========  ===========
limit                  blocks an order when                         default     code
=====================  ==========================================  ==========  ===========
``max_quantity``       quantity > max                               10,000      limit.max_quantity
``max_notional``       quantity x price x multiplier > max          250,000     limit.max_notional
                       (market orders: the reference price)
``price_collar``       limit price more than this fraction away     0.05        limit.price_collar
                       from the reference price
``max_price_age``      the reference price is older than this       60 s        price.stale
                       (no reference price at all:                              price.missing)
``max_orders`` /       more than ``max_orders`` orders sent in any  20 per 1 s  limit.rate
``rate_window``        rolling ``rate_window`` (a bracket or OCA group
                       counts each of its orders)
``max_modifies``       more than ``max_modifies`` amendments in     20 per 1 s  limit.modify_rate
                       any rolling ``rate_window``
``duplicate_window``   same instrument, side, quantity and price    2 s         limit.duplicate
                       as an order sent within the window (unless
                       ``intentional_duplicate``)
``self_cross``         the order could trade against one of our     on          limit.self_cross
                       own resting orders in the instrument
=====================  ==========================================  ==========  ===========
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hydra.domain._validate import positive
from hydra.domain.decisions import Reason
from hydra.domain.errors import InvalidInputError
from hydra.domain.instruments import Instrument
from hydra.domain.orders import OrderRequest, Side

__all__ = ["OrderLimitChecker", "OrderLimits", "Quote", "RestingOrder"]

_Key = tuple[tuple[object, ...], bool, float, float | None]
_CLOCK_SKEW = 1.0
"""Seconds a quote may be dated ahead of the gate's clock before it counts as invalid."""


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

    max_quantity: float = 10_000.0
    max_notional: float = 250_000.0
    price_collar: float = 0.05
    max_price_age: timedelta = timedelta(seconds=60)
    max_orders: int = 20
    rate_window: timedelta = timedelta(seconds=1)
    max_modifies: int = 20
    duplicate_window: timedelta = timedelta(seconds=2)
    self_cross: bool = True

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


class OrderLimitChecker:
    """Applies ``OrderLimits`` to one order at a time, remembering recent sends.

    Memory is bounded: the throttle keeps at most ``max_orders`` send times and the
    duplicate guard only the orders sent within ``duplicate_window``. The limits are read
    into plain attributes once, and time is compared as ``timedelta``s, so a check that
    passes builds nothing but the duplicate key.
    """

    __slots__ = (
        "_collar",
        "_dup_window",
        "_future",
        "_limits",
        "_max_age",
        "_max_modifies",
        "_max_notional",
        "_max_orders",
        "_max_quantity",
        "_modified_times",
        "_rate_window",
        "_recent",
        "_recent_keys",
        "_self_cross",
        "_sent_times",
    )

    def __init__(self, limits: OrderLimits) -> None:
        self._limits = limits
        self._max_quantity = float(limits.max_quantity)
        self._max_notional = float(limits.max_notional)
        self._collar = float(limits.price_collar)
        self._max_age = limits.max_price_age
        self._future = timedelta(seconds=-_CLOCK_SKEW)
        self._max_orders = limits.max_orders
        self._rate_window = limits.rate_window
        self._dup_window = limits.duplicate_window
        self._self_cross = limits.self_cross
        self._sent_times: deque[datetime] = deque(maxlen=limits.max_orders)
        self._max_modifies = limits.max_modifies
        self._modified_times: deque[datetime] = deque(maxlen=limits.max_modifies)
        # Sends within the duplicate window, oldest first, plus a count per order key so
        # the duplicate check is one dict lookup however many orders are in the window.
        self._recent: deque[tuple[datetime, _Key]] = deque()
        self._recent_keys: dict[_Key, int] = {}

    @property
    def limits(self) -> OrderLimits:
        """The settings in force."""
        return self._limits

    @property
    def remembered(self) -> tuple[tuple[datetime, ...], tuple[datetime, ...]]:
        """What the checker remembers: the throttle's send times, the duplicate guard's.

        Both are bounded (``max_orders`` times; the sends within ``duplicate_window``).
        """
        return tuple(self._sent_times), tuple(sent for sent, _ in self._recent)

    def check(
        self,
        instrument: Instrument,
        order: OrderRequest,
        quote: Quote | None,
        now: datetime,
        resting: Iterable[RestingOrder] = (),
    ) -> list[Reason]:
        """Every limit this order breaches, in the table's order (empty: within limits).

        The gate runs each limit as a check of its own (``hydra.application.checks``);
        this is the same judgement in one call, for using the limits without a gate.
        """
        reference, problem = self.reference(instrument, quote, now)
        found = (
            self.quantity(order),
            problem,
            self.collar(order, reference),
            self.notional(order, instrument.multiplier, reference),
            self.rate(now),
            self.duplicate(instrument, order, now),
            self.self_cross(instrument, order, resting),
        )
        return [reason for reason in found if reason is not None]

    def reference(
        self, instrument: Instrument, quote: Quote | None, now: datetime
    ) -> tuple[float | None, Reason | None]:
        """The reference price, or why there is none: missing, from the future, or stale."""
        if quote is None:
            return None, _price_missing(instrument)
        age = now - quote.time
        if age < self._future:
            return None, _price_future(instrument, age.total_seconds())
        if age > self._max_age:
            return None, _price_stale(
                instrument, age.total_seconds(), self._max_age.total_seconds()
            )
        return quote.price, None

    def quantity(self, order: OrderRequest) -> Reason | None:
        """``limit.max_quantity``: the order's quantity above the maximum."""
        if order.quantity > self._max_quantity:
            return _max_quantity(order.quantity, self._max_quantity)
        return None

    def collar(self, order: OrderRequest, reference: float | None) -> Reason | None:
        """``limit.price_collar``: a limit price too far from the reference price."""
        limit_price = order.limit_price
        if limit_price is None or reference is None:
            return None
        distance = abs(limit_price - reference) / reference
        if distance > self._collar:
            return _price_collar(limit_price, reference, distance, self._collar)
        return None

    def notional(
        self,
        order: OrderRequest,
        multiplier: float,
        reference: float | None,
        quantity: float | None = None,
    ) -> Reason | None:
        """``limit.max_notional``: quantity x price x multiplier above the maximum.

        An order is valued at its limit price, else its trigger (stop or touch) price,
        else the reference (a market or trailing order). ``quantity`` is what is judged
        (default the order's; an amendment judges only its growth).
        """
        price = order.valued_at(reference)
        if price is None:
            return None
        notional = (order.quantity if quantity is None else quantity) * price * multiplier
        if notional > self._max_notional:
            return _max_notional(notional, self._max_notional)
        return None

    def rate(self, now: datetime, count: int = 1) -> Reason | None:
        """``limit.rate``: ``count`` more orders would pass ``max_orders`` in the window.

        The send times are kept in order, so the ``max_orders - count + 1``-th most recent
        one tells: if it lies inside the window, there is no room for ``count`` more.
        """
        room = self._max_orders - count + 1
        times = self._sent_times
        if room < 1 or (len(times) >= room and times[-room] > now - self._rate_window):
            return _rate(self._max_orders, self._rate_window)
        return None

    def modify_rate(self, now: datetime) -> Reason | None:
        """``limit.modify_rate``: ``max_modifies`` amendments already within the window."""
        times = self._modified_times
        if len(times) == self._max_modifies and times[0] > now - self._rate_window:
            return Reason(
                "limit.modify_rate",
                "modify_rate",
                f"{self._max_modifies} amendments already sent in the last "
                f"{self._rate_window.total_seconds():g}s",
                float(self._max_modifies + 1),
                float(self._max_modifies),
            )
        return None

    def record_modified(self, now: datetime) -> None:
        """Remember an amendment that was sent (for the amendment rate)."""
        self._modified_times.append(now)

    def duplicate(
        self, instrument: Instrument, order: OrderRequest, now: datetime
    ) -> Reason | None:
        """``limit.duplicate``: the same order was sent within the window (unless meant)."""
        if order.intentional_duplicate:
            return None
        if self._recent:
            self._forget(now)
            if _key(instrument, order) in self._recent_keys:
                return _duplicate(instrument, order, self._dup_window)
        return None

    def self_cross(
        self, instrument: Instrument, order: OrderRequest, resting: Iterable[RestingOrder]
    ) -> Reason | None:
        """``limit.self_cross``: the order could trade against one of our resting orders."""
        if self._self_cross and any(_crosses(order, other) for other in resting):
            return Reason(
                "limit.self_cross",
                "self_cross",
                f"{order.side.value} {instrument.symbol} could trade against our own "
                "resting order (wash trade)",
            )
        return None

    def record_sent(self, instrument: Instrument, order: OrderRequest, now: datetime) -> None:
        """Remember an order that was sent (for the throttle and the duplicate guard)."""
        self._sent_times.append(now)
        key = _key(instrument, order)
        self._recent.append((now, key))
        keys = self._recent_keys
        keys[key] = keys.get(key, 0) + 1
        self._forget(now)

    def _forget(self, now: datetime) -> None:
        horizon = now - self._dup_window
        recent = self._recent
        keys = self._recent_keys
        while recent and recent[0][0] < horizon:
            _, key = recent.popleft()
            left = keys[key] - 1
            if left:
                keys[key] = left
            else:
                del keys[key]


def _key(instrument: Instrument, order: OrderRequest) -> _Key:
    """What makes two orders duplicates: instrument, side, quantity and price."""
    con_id = instrument.con_id
    return (
        (con_id,) if con_id else instrument.key,
        order.side is Side.BUY,  # a bool hashes in C; an Enum member hashes in Python
        order.quantity,
        order.limit_price,
    )


# The reasons, built only when an order breaches a limit.
def _max_quantity(quantity: float, limit: float) -> Reason:
    return Reason(
        "limit.max_quantity",
        "max_quantity",
        f"quantity {quantity:g} above max {limit:g}",
        quantity,
        limit,
    )


def _price_missing(instrument: Instrument) -> Reason:
    return Reason("price.missing", "price_missing", f"no reference price for {instrument.symbol}")


def _price_future(instrument: Instrument, age: float) -> Reason:
    return Reason(
        "price.future",
        "price_future",
        f"reference price for {instrument.symbol} is dated {-age:.1f}s in the future",
        age,
        -_CLOCK_SKEW,
    )


def _price_stale(instrument: Instrument, age: float, max_age: float) -> Reason:
    return Reason(
        "price.stale",
        "price_stale",
        f"reference price for {instrument.symbol} is {age:.1f}s old (max {max_age:g}s)",
        age,
        max_age,
    )


def _price_collar(limit_price: float, reference: float, distance: float, collar: float) -> Reason:
    return Reason(
        "limit.price_collar",
        "price_collar",
        f"limit {limit_price:g} is {distance:.2%} from reference {reference:g} (max {collar:.2%})",
        distance,
        collar,
    )


def _max_notional(notional: float, limit: float) -> Reason:
    return Reason(
        "limit.max_notional",
        "max_notional",
        f"notional {notional:,.2f} above max {limit:,.2f}",
        notional,
        limit,
    )


def _rate(max_orders: int, window: timedelta) -> Reason:
    return Reason(
        "limit.rate",
        "rate",
        f"{max_orders} orders already sent in the last {window.total_seconds():g}s",
        float(max_orders + 1),
        float(max_orders),
    )


def _duplicate(instrument: Instrument, order: OrderRequest, window: timedelta) -> Reason:
    return Reason(
        "limit.duplicate",
        "duplicate",
        f"same {order.side.value} {order.quantity:g} {instrument.symbol} "
        f"@ {order.limit_price or 'MKT'} sent within "
        f"{window.total_seconds():g}s "
        "(mark intentional_duplicate=True if meant)",
    )


def _crosses(order: OrderRequest, other: RestingOrder) -> bool:
    """Could ``order`` trade against our resting ``other``? Market prices cross anything."""
    if order.side is other.side:
        return False
    if order.limit_price is None or other.limit_price is None:
        return True
    if order.side is Side.BUY:
        return order.limit_price >= other.limit_price
    return order.limit_price <= other.limit_price
