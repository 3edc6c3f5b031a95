"""The per-order limits applied, order by order.

``OrderLimitChecker`` keeps what the rate and duplicate limits remember and answers which
limits of ``hydra.domain.limits`` an order breaches (the most specific ``LimitTable`` entry
for the order's instrument wins).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from hydra.domain._members import BUY, STOP_LIMIT, TRAILING_STOP_LIMIT
from hydra.domain.decisions import Reason
from hydra.domain.instruments import Instrument
from hydra.domain.limit_table import LimitTable
from hydra.domain.limits import OrderLimits, Quote, RestingOrder
from hydra.domain.orders import OrderRequest, OrderType, Side

__all__ = ["OrderLimitChecker"]

_Key = tuple[tuple[object, ...], Side, float, OrderType, tuple[float, ...]]
_CLOCK_SKEW = 1.0
"""Seconds a quote may be dated ahead of the gate's clock before it counts as invalid."""


class OrderLimitChecker:
    """Applies the limits to one order at a time, remembering recent sends.

    ``limits`` is one ``OrderLimits`` for every instrument, or a ``LimitTable`` (per
    security type and contract); each judgement takes the instrument's own limits
    (``for_instrument``). Memory is bounded: the throttle keeps at most the largest
    ``max_orders`` send times and the duplicate guard only the orders sent within the
    longest ``duplicate_window``.
    """

    __slots__ = (
        "_future",
        "_horizon",
        "_judged",
        "_last_sent",
        "_limits",
        "_modified_times",
        "_recent",
        "_sent_times",
        "_table",
    )

    def __init__(self, limits: OrderLimits | LimitTable) -> None:
        table = limits if isinstance(limits, LimitTable) else LimitTable(limits)
        self._table = table
        self._limits = table.base
        self._future = timedelta(seconds=-_CLOCK_SKEW)
        orders, modifies = table.largest_rate_memory
        self._sent_times: deque[datetime] = deque(maxlen=orders)
        self._modified_times: deque[datetime] = deque(maxlen=modifies)
        self._horizon = timedelta(seconds=table.longest_duplicate_window)
        # Sends within the longest duplicate window, oldest first, plus each order key's
        # latest send, so the duplicate check is one dict lookup however many were sent.
        self._recent: deque[tuple[datetime, _Key]] = deque()
        self._last_sent: dict[_Key, datetime] = {}
        # perf: gate_checks_only: the key the duplicate guard last built, with the
        # instrument and order it is of (both immutable), so ``record_sent`` of that order
        # does not build it again.
        self._judged: tuple[Instrument, OrderRequest, _Key] | None = None

    @property
    def limits(self) -> OrderLimits:
        """The base limits (an instrument's own: ``for_instrument``)."""
        return self._limits

    @property
    def table(self) -> LimitTable:
        """The limits per security type and contract."""
        return self._table

    def for_instrument(self, instrument: Instrument) -> OrderLimits:
        """The limits that apply to ``instrument`` (the most specific override wins)."""
        return self._table.for_instrument(instrument)

    @property
    def remembered(self) -> tuple[tuple[datetime, ...], tuple[datetime, ...]]:
        """What the checker remembers: the throttle's send times, the duplicate guard's.

        Both are bounded (the largest ``max_orders`` times; the sends within the longest
        ``duplicate_window``).
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
        limits = self.for_instrument(instrument)
        self._forget(now)  # a checker used alone may check long after its last send
        reference, problem = self.reference(instrument, quote, now, limits)
        found = (
            self.quantity(order, limits),
            problem,
            self.collar(order, reference, limits),
            self.notional(order, instrument.multiplier, reference, limits=limits),
            self.rate(now, 1, limits),
            self.duplicate(instrument, order, now, limits),
            self.self_cross(instrument, order, resting, limits),
        )
        return [reason for reason in found if reason is not None]

    def reference(
        self,
        instrument: Instrument,
        quote: Quote | None,
        now: datetime,
        limits: OrderLimits | None = None,
    ) -> tuple[float | None, Reason | None]:
        """The reference price, or why there is none: missing, from the future, or stale."""
        if quote is None:
            return None, _price_missing(instrument)
        age = now - quote.time
        if age < self._future:
            return None, _price_future(instrument, age.total_seconds())
        max_age = (limits or self._limits).max_price_age
        if age > max_age:
            return None, _price_stale(instrument, age.total_seconds(), max_age.total_seconds())
        return quote.price, None

    def quantity(self, order: OrderRequest, limits: OrderLimits | None = None) -> Reason | None:
        """``limit.max_quantity``: the order's quantity above the maximum."""
        largest = (limits or self._limits).max_quantity
        if order.quantity > largest:
            return _max_quantity(order.quantity, largest)
        return None

    def collar(
        self, order: OrderRequest, reference: float | None, limits: OrderLimits | None = None
    ) -> Reason | None:
        """``limit.price_collar``: the order's limit too far from where it becomes live.

        The collar judges the price the order can trade at once it is live, against the
        market price at that moment: LMT and LOC their limit against the reference; STP
        LMT and LIT their limit against their own stop or touch price (they only trade
        once it is reached, so a protective stop-limit far below today's price passes);
        TRAIL LIMIT its ``limit_offset`` against the trailing stop it starts at (the
        reference less, for a sell, or plus, for a buy, the trail). A bare trigger (STP,
        MIT, TRAIL) is not collared: once reached the order trades at the market, and it
        is valued at the higher of the trigger and the reference
        (``OrderRequest.valued_at``). Market and MOC orders have no price to collar.
        """
        judged = _collared(order, reference)
        if judged is None:
            return None
        price, anchor, anchor_name = judged
        collar = (limits or self._limits).price_collar
        distance = abs(price - anchor) / anchor
        if distance > collar:
            return _price_collar(price, anchor, anchor_name, distance, collar)
        return None

    def notional(
        self,
        order: OrderRequest,
        multiplier: float,
        reference: float | None,
        quantity: float | None = None,
        *,
        rate: float = 1.0,
        limits: OrderLimits | None = None,
    ) -> Reason | None:
        """``limit.max_notional``: quantity x price x multiplier above the maximum.

        An order is valued at ``OrderRequest.valued_at``: its limit price; a STP's or
        MIT's higher of trigger and reference; else the reference (a market, trailing or
        MOC order), in the account's currency (x
        ``rate``, one unit of the instrument's currency in it). ``quantity`` is what is
        judged (default the order's; an amendment judges only its growth).
        """
        price = order.valued_at(reference)
        if price is None:
            return None
        largest = (limits or self._limits).max_notional
        notional = (order.quantity if quantity is None else quantity) * price * multiplier * rate
        if notional > largest:
            return _max_notional(notional, largest)
        return None

    def rate(
        self, now: datetime, count: int = 1, limits: OrderLimits | None = None
    ) -> Reason | None:
        """``limit.rate``: ``count`` more orders would pass ``max_orders`` in the window.

        The send times are kept in order, so the ``max_orders - count + 1``-th most recent
        one tells: if it lies inside the window, there is no room for ``count`` more.
        """
        own = limits or self._limits
        room = own.max_orders - count + 1
        times = self._sent_times
        if room < 1 or (len(times) >= room and times[-room] > now - own.rate_window):
            return _rate(own.max_orders, own.rate_window)
        return None

    def modify_rate(self, now: datetime, limits: OrderLimits | None = None) -> Reason | None:
        """``limit.modify_rate``: ``max_modifies`` amendments already within the window."""
        own = limits or self._limits
        times = self._modified_times
        most = own.max_modifies
        if len(times) >= most and times[-most] > now - own.rate_window:
            return Reason(
                "limit.modify_rate",
                "modify_rate",
                f"{most} amendments already sent in the last {own.rate_window.total_seconds():g}s",
                float(most + 1),
                float(most),
            )
        return None

    def record_modified(self, now: datetime) -> None:
        """Remember an amendment that was sent (for the amendment rate)."""
        self._modified_times.append(now)

    def duplicate(
        self,
        instrument: Instrument,
        order: OrderRequest,
        now: datetime,
        limits: OrderLimits | None = None,
    ) -> Reason | None:
        """``limit.duplicate``: the same order was sent within the window (unless meant)."""
        if order.intentional_duplicate or not self._recent:
            return None
        # Sends older than the window may still be remembered (``record_sent`` and
        # ``check`` forget them): the comparison below decides, so nothing is forgotten
        # here. perf: gate_checks_only (one pass over the memory per decision, not two).
        key = _key(instrument, order)
        self._judged = (instrument, order, key)
        sent = self._last_sent.get(key)
        window = (limits or self._limits).duplicate_window
        if sent is not None and sent >= now - window:
            return _duplicate(instrument, order, window)
        return None

    def self_cross(
        self,
        instrument: Instrument,
        order: OrderRequest,
        resting: Iterable[RestingOrder],
        limits: OrderLimits | None = None,
    ) -> Reason | None:
        """``limit.self_cross``: the order could trade against one of our resting orders."""
        if (limits or self._limits).self_cross and any(_crosses(order, o) for o in resting):
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
        judged = self._judged
        if judged is not None and judged[0] is instrument and judged[1] is order:
            key = judged[2]
        else:
            key = _key(instrument, order)
        self._recent.append((now, key))
        self._last_sent[key] = now
        self._forget(now)

    def _forget(self, now: datetime) -> None:
        horizon = now - self._horizon
        recent = self._recent
        last = self._last_sent
        while recent and recent[0][0] < horizon:
            sent, key = recent.popleft()
            if last.get(key) == sent:
                del last[key]


def _key(instrument: Instrument, order: OrderRequest) -> _Key:
    """What makes two orders duplicates: instrument, side, quantity, type and prices."""
    con_id = instrument.con_id
    return (
        (con_id,) if con_id else instrument.key,
        order.side,
        order.quantity,
        order.order_type,
        order.prices,
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


def _collared(order: OrderRequest, reference: float | None) -> tuple[float, float, str] | None:
    """The limit the order trades within once live, what it is judged from, and its name.

    None: the order has no limit to collar, or the reference it needs is missing (the
    reference price check blocks that).
    """
    kind, limit = order.order_type, order.limit_price
    if limit is not None and order.stop_price is not None:  # STP LMT, LIT
        trigger = "stop" if kind is STOP_LIMIT else "trigger"
        return limit, order.stop_price, trigger
    if reference is None:
        return None
    if limit is not None:  # LMT, LOC
        return limit, reference, "reference"
    offset = order.limit_offset
    if kind is not TRAILING_STOP_LIMIT or offset is None:
        return None
    trail = order.trailing_amount
    if trail is None:
        trail = reference * (order.trailing_percent or 0.0) / 100.0
    sign = order.side.sign  # a buy's stop trails above the price, its limit above the stop
    stop = reference + sign * trail
    if stop <= 0.0:  # a sell trailing further than the price: judge from the price
        stop = reference
    return stop + sign * offset, stop, "trailing stop"


def _price_collar(
    price: float, anchor: float, anchor_name: str, distance: float, collar: float
) -> Reason:
    return Reason(
        "limit.price_collar",
        "price_collar",
        f"limit {price:g} is {distance:.2%} from {anchor_name} {anchor:g} (max {collar:.2%})",
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
    if order.side is BUY:
        return order.limit_price >= other.limit_price
    return order.limit_price <= other.limit_price
