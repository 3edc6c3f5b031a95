"""Per-order limits: each limit's threshold, reason code, memory and the throttle's promise."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydra.domain import (
    Instrument,
    InvalidInputError,
    OrderLimits,
    OrderRequest,
    OrderType,
    Quote,
    Reason,
    SecurityType,
    Side,
)
from hydra.domain.limit_checker import OrderLimitChecker
from hydra.domain.limits import RestingOrder

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
AAPL = Instrument("AAPL")
ES = Instrument("ES", sec_type=SecurityType.FUTURE, exchange="CME", multiplier=50.0)
QUOTE = Quote(100.0, NOW)
ROOMY = {"max_quantity": 1e9, "max_notional": 1e12}
"""Size limits too large to matter, for tests about the other limits."""


def codes(reasons: list[Reason]) -> list[str]:
    """The reason codes, in the order the checker reported them."""
    return [reason.code for reason in reasons]


def checker(**settings_: Any) -> OrderLimitChecker:
    """A checker over ``OrderLimits(**settings_)``."""
    return OrderLimitChecker(OrderLimits(**settings_))


# ---------------------------------------------------------------- size and notional


def test_max_quantity_passes_at_the_limit_and_blocks_above() -> None:
    """An order of exactly max_quantity passes; one more blocks with limit.max_quantity."""
    limits = checker(max_quantity=100.0, max_notional=1e12)
    assert limits.check(AAPL, OrderRequest.market(Side.BUY, 100), QUOTE, NOW) == []
    reasons = limits.check(AAPL, OrderRequest.market(Side.BUY, 101), QUOTE, NOW)
    assert codes(reasons) == ["limit.max_quantity"]
    assert (reasons[0].value, reasons[0].limit) == (101.0, 100.0)


def test_default_limits_match_the_documented_table() -> None:
    """Defaults: 10,000 qty, 250,000 notional, 10 % collar, 60 s, 20/1 s, 2 s dup, self-cross."""
    assert OrderLimits() == OrderLimits(
        max_quantity=10_000.0,
        max_notional=250_000.0,
        price_collar=0.10,
        max_price_age=timedelta(seconds=60),
        max_orders=20,
        rate_window=timedelta(seconds=1),
        duplicate_window=timedelta(seconds=2),
        self_cross=True,
    )


def test_limit_order_notional_uses_the_limit_price_not_the_quote() -> None:
    """LIMIT notional is quantity x limit price: judged at the limit, even against the quote."""
    limits = checker(max_notional=10_000.0)
    # 101 x 99 = 9,999 passes although 101 x quote 100 = 10,100 would not.
    assert limits.check(AAPL, OrderRequest.limit(Side.BUY, 101, 99.0), QUOTE, NOW) == []
    # 100 x 101 = 10,100 blocks although 100 x quote 100 = 10,000 would pass.
    reasons = limits.check(AAPL, OrderRequest.limit(Side.BUY, 100, 101.0), QUOTE, NOW)
    assert codes(reasons) == ["limit.max_notional"]
    assert reasons[0].value == pytest.approx(10_100.0)
    assert reasons[0].limit == 10_000.0


def test_limit_order_notional_exactly_at_the_limit_passes() -> None:
    """A LIMIT order whose notional equals max_notional passes (only exceeding blocks)."""
    limits = checker(max_notional=10_000.0)
    assert limits.check(AAPL, OrderRequest.limit(Side.SELL, 100, 100.0), QUOTE, NOW) == []


def test_market_order_notional_uses_the_quote() -> None:
    """MARKET notional is quantity x reference price: at the limit passes, a cent above blocks."""
    limits = checker(max_notional=10_000.0)
    order = OrderRequest.market(Side.BUY, 100)
    assert limits.check(AAPL, order, Quote(100.0, NOW), NOW) == []
    assert codes(limits.check(AAPL, order, Quote(100.01, NOW), NOW)) == ["limit.max_notional"]


def test_notional_counts_the_multiplier() -> None:
    """Notional is quantity x price x multiplier: 3 ES at 100 x 50 = 15,000 breaches 10,000."""
    limits = checker(max_notional=10_000.0)
    assert limits.check(ES, OrderRequest.market(Side.BUY, 2), QUOTE, NOW) == []
    reasons = limits.check(ES, OrderRequest.market(Side.BUY, 3), QUOTE, NOW)
    assert codes(reasons) == ["limit.max_notional"]
    assert reasons[0].value == pytest.approx(15_000.0)
    # The same order on a multiplier-1 stock is far inside the limit.
    assert limits.check(AAPL, OrderRequest.market(Side.BUY, 3), QUOTE, NOW) == []


def test_every_breached_limit_is_reported() -> None:
    """An order breaching several limits gets one reason for each, not just the first."""
    limits = checker(max_quantity=10.0, max_notional=100.0)
    reasons = limits.check(AAPL, OrderRequest.limit(Side.BUY, 11, 200.0), QUOTE, NOW)
    assert sorted(codes(reasons)) == [
        "limit.max_notional",
        "limit.max_quantity",
        "limit.price_collar",
    ]


# ---------------------------------------------------------------- price collar


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
@pytest.mark.parametrize(
    ("limit_price", "blocked"),
    [
        (104.99, False),
        (105.0, False),
        (105.01, True),
        (95.01, False),
        (95.0, False),
        (94.99, True),
    ],
)
def test_price_collar_both_directions(side: Side, limit_price: float, blocked: bool) -> None:
    """Within a 5 % collar of the quote (above or below, either side) passes; outside blocks."""
    limits = checker(**ROOMY, price_collar=0.05)
    reasons = limits.check(AAPL, OrderRequest.limit(side, 10, limit_price), QUOTE, NOW)
    assert codes(reasons) == (["limit.price_collar"] if blocked else [])


def test_price_collar_reason_carries_the_distance() -> None:
    """The collar reason reports the fractional distance and the collar it was compared with."""
    reasons = checker(**ROOMY).check(AAPL, OrderRequest.limit(Side.BUY, 1, 115.0), QUOTE, NOW)
    assert codes(reasons) == ["limit.price_collar"]
    assert reasons[0].value == pytest.approx(0.15)
    assert reasons[0].limit == 0.10


def test_market_orders_have_no_collar() -> None:
    """A MARKET order has no limit price, so the collar never blocks it."""
    assert checker(**ROOMY).check(AAPL, OrderRequest.market(Side.SELL, 10), QUOTE, NOW) == []


REF_200 = Quote(200.0, NOW)


@pytest.mark.parametrize(
    ("order", "blocked_from"),
    [
        # A protective stop-limit trades only once its stop is reached: judged from there.
        (OrderRequest.stop_limit(Side.SELL, 10, 180.0, 179.0), None),
        (OrderRequest.stop_limit(Side.SELL, 10, 180.0, 160.0), "stop 180"),
        (OrderRequest.stop_limit(Side.BUY, 10, 220.0, 243.0), "stop 220"),
        (OrderRequest(Side.SELL, 10, OrderType.LIMIT_IF_TOUCHED, 225.0, stop_price=230.0), None),
        (
            OrderRequest(Side.SELL, 10, OrderType.LIMIT_IF_TOUCHED, 260.0, stop_price=230.0),
            "trigger 230",
        ),
        # LMT and LOC: their limit from the reference price.
        (OrderRequest.limit(Side.SELL, 10, 179.0), "reference 200"),
        (OrderRequest(Side.BUY, 10, OrderType.LIMIT_ON_CLOSE, 225.0), "reference 200"),
        # TRAIL LIMIT: its limit (the stop less the offset) from the stop it starts at (195).
        (
            OrderRequest(
                Side.SELL, 10, OrderType.TRAILING_STOP_LIMIT, trailing_amount=5.0, limit_offset=1.0
            ),
            None,
        ),
        (
            OrderRequest(
                Side.SELL, 10, OrderType.TRAILING_STOP_LIMIT, trailing_amount=5.0, limit_offset=30.0
            ),
            "trailing stop 195",
        ),
        (
            OrderRequest(
                Side.BUY, 10, OrderType.TRAILING_STOP_LIMIT, trailing_percent=5.0, limit_offset=25.0
            ),
            "trailing stop 210",
        ),
        # A bare trigger trades at the market once reached: nothing to collar.
        (OrderRequest.stop(Side.SELL, 10, 150.0), None),
        (OrderRequest(Side.BUY, 10, OrderType.MARKET_IF_TOUCHED, stop_price=150.0), None),
        (OrderRequest.trailing_stop(Side.SELL, 10, percent=40.0), None),
    ],
    ids=lambda v: getattr(getattr(v, "order_type", None), "value", v),
)
def test_the_collar_judges_the_limit_from_where_the_order_becomes_live(
    order: OrderRequest, blocked_from: str | None
) -> None:
    """STP LMT/LIT limits from their trigger, TRAIL LIMIT from its stop, LMT from the reference."""
    reasons = checker(**ROOMY).check(AAPL, order, REF_200, NOW)
    if blocked_from is None:
        assert reasons == []
    else:
        assert codes(reasons) == ["limit.price_collar"]
        assert f"from {blocked_from} (max 10.00%)" in reasons[0].message


def test_a_stop_limit_is_collared_without_a_reference_price() -> None:
    """A stop-limit's collar needs no reference: its limit is judged from its own stop."""
    order = OrderRequest.stop_limit(Side.SELL, 10, 180.0, 100.0)
    reasons = checker(**ROOMY).check(AAPL, order, None, NOW)
    assert codes(reasons) == ["price.missing", "limit.price_collar"]


@pytest.mark.parametrize(
    "order",
    [
        OrderRequest.stop(Side.BUY, 2_000, 1.0),  # through the market: fires at once
        OrderRequest(Side.SELL, 2_000, OrderType.MARKET_IF_TOUCHED, stop_price=1.0),
    ],
    ids=["STP", "MIT"],
)
def test_a_trigger_the_market_has_passed_is_valued_at_the_reference(order: OrderRequest) -> None:
    """2,000 at a passed trigger of 1.00 fires at once at 200: 400k, over a 250k notional."""
    reasons = checker(max_quantity=1e9).check(AAPL, order, REF_200, NOW)
    assert codes(reasons) == ["limit.max_notional"]
    assert reasons[0].value == pytest.approx(400_000.0)
    assert order.valued_at(200.0) == 200.0
    assert order.valued_at(None) == 1.0


# ---------------------------------------------------------------- missing and stale prices


def test_missing_quote_blocks_with_price_missing() -> None:
    """No reference price: price.missing, and nothing else is judged against a price."""
    limits = checker(**ROOMY)
    assert codes(limits.check(AAPL, OrderRequest.market(Side.BUY, 10), None, NOW)) == [
        "price.missing"
    ]
    # A limit far from any plausible price is not collared without a reference.
    reasons = limits.check(AAPL, OrderRequest.limit(Side.BUY, 10, 1_000.0), None, NOW)
    assert codes(reasons) == ["price.missing"]


def test_missing_quote_still_judges_limit_notional_by_the_limit_price() -> None:
    """A LIMIT order's notional needs no quote: without one it is still judged at the limit."""
    reasons = checker(max_notional=1_000.0).check(
        AAPL, OrderRequest.limit(Side.BUY, 100, 50.0), None, NOW
    )
    assert sorted(codes(reasons)) == ["limit.max_notional", "price.missing"]


def test_quote_exactly_max_age_old_is_fresh() -> None:
    """A quote exactly max_price_age old is still usable; only older is stale."""
    quote = Quote(100.0, NOW - timedelta(seconds=60))
    assert checker().check(AAPL, OrderRequest.market(Side.BUY, 10), quote, NOW) == []


def test_stale_quote_blocks_with_price_stale() -> None:
    """A quote older than max_price_age blocks with price.stale, reporting its age."""
    quote = Quote(100.0, NOW - timedelta(seconds=61))
    reasons = checker().check(AAPL, OrderRequest.market(Side.BUY, 10), quote, NOW)
    assert codes(reasons) == ["price.stale"]
    assert (reasons[0].value, reasons[0].limit) == (61.0, 60.0)


def test_stale_quote_is_not_used_for_notional() -> None:
    """A MARKET order that would breach notional at the stale price is judged stale only."""
    stale = Quote(1_000.0, NOW - timedelta(minutes=5))
    reasons = checker(max_notional=1_000.0).check(
        AAPL, OrderRequest.market(Side.BUY, 100), stale, NOW
    )
    assert codes(reasons) == ["price.stale"]


def test_stale_quote_is_not_used_for_the_collar() -> None:
    """A limit 50 % away from a stale quote is not collared: the stale price is not a reference."""
    stale = Quote(100.0, NOW - timedelta(minutes=5))
    reasons = checker(**ROOMY).check(AAPL, OrderRequest.limit(Side.BUY, 10, 150.0), stale, NOW)
    assert codes(reasons) == ["price.stale"]


def test_custom_max_price_age_is_honoured() -> None:
    """max_price_age=5 s makes a 6 s old quote stale while the default would accept it."""
    quote = Quote(100.0, NOW - timedelta(seconds=6))
    order = OrderRequest.market(Side.BUY, 10)
    assert checker().check(AAPL, order, quote, NOW) == []
    short = checker(max_price_age=timedelta(seconds=5))
    assert codes(short.check(AAPL, order, quote, NOW)) == ["price.stale"]


# ---------------------------------------------------------------- rate throttle


def _order(n: int) -> OrderRequest:
    """Distinct orders (by quantity) so the duplicate guard never interferes."""
    return OrderRequest.market(Side.BUY, n + 1)


def test_throttle_allows_max_orders_then_blocks_the_next() -> None:
    """Exactly max_orders sends within the window pass; the next one is blocked by limit.rate."""
    limits = checker(max_orders=3, rate_window=timedelta(seconds=1))
    for n in range(3):
        now = NOW + timedelta(milliseconds=100 * n)
        assert limits.check(AAPL, _order(n), QUOTE, now) == []
        limits.record_sent(AAPL, _order(n), now)
    reasons = limits.check(AAPL, _order(3), QUOTE, NOW + timedelta(milliseconds=300))
    assert codes(reasons) == ["limit.rate"]
    assert (reasons[0].value, reasons[0].limit) == (4.0, 3.0)


def test_throttle_only_counts_recorded_sends() -> None:
    """check() alone never uses up the rate: many checks without record_sent all pass."""
    limits = checker(max_orders=2, rate_window=timedelta(seconds=1))
    for n in range(10):
        assert limits.check(AAPL, _order(n), QUOTE, NOW) == []


def test_throttle_frees_one_slot_as_the_window_slides() -> None:
    """Blocked attempts do not count; once the oldest send leaves the window one more passes."""
    limits = checker(max_orders=3, rate_window=timedelta(seconds=1))
    for n in range(3):
        limits.record_sent(AAPL, _order(n), NOW + timedelta(milliseconds=100 * n))
    # Repeated blocked attempts inside the window: none of them is remembered.
    for ms in range(300, 1000, 100):
        now = NOW + timedelta(milliseconds=ms)
        assert codes(limits.check(AAPL, _order(9), QUOTE, now)) == ["limit.rate"]
    # The first send (at NOW) has slid out of the window; exactly one slot is free.
    now = NOW + timedelta(milliseconds=1_050)
    assert limits.check(AAPL, _order(3), QUOTE, now) == []
    limits.record_sent(AAPL, _order(3), now)
    later = NOW + timedelta(milliseconds=1_060)
    assert codes(limits.check(AAPL, _order(4), QUOTE, later)) == ["limit.rate"]
    # After a full quiet window everything is available again.
    quiet = NOW + timedelta(seconds=3)
    assert limits.check(AAPL, _order(5), QUOTE, quiet) == []


# ---------------------------------------------------------------- duplicate guard


BUY_100_AT_100 = OrderRequest.limit(Side.BUY, 100, 100.0)


def test_same_order_within_the_window_is_a_duplicate() -> None:
    """Same symbol, side, quantity and price as an order sent 1 s ago blocks: limit.duplicate."""
    limits = checker()
    limits.record_sent(AAPL, BUY_100_AT_100, NOW)
    reasons = limits.check(AAPL, BUY_100_AT_100, QUOTE, NOW + timedelta(seconds=1))
    assert codes(reasons) == ["limit.duplicate"]


def test_same_market_order_within_the_window_is_a_duplicate() -> None:
    """Two identical MARKET orders within the window: the second is a duplicate."""
    limits = checker()
    limits.record_sent(AAPL, OrderRequest.market(Side.SELL, 5), NOW)
    reasons = limits.check(AAPL, OrderRequest.market(Side.SELL, 5), QUOTE, NOW)
    assert codes(reasons) == ["limit.duplicate"]


@pytest.mark.parametrize(
    ("instrument", "order"),
    [
        (AAPL, OrderRequest.limit(Side.BUY, 100, 100.5)),
        (AAPL, OrderRequest.limit(Side.SELL, 100, 100.0)),
        (AAPL, OrderRequest.limit(Side.BUY, 101, 100.0)),
        (AAPL, OrderRequest.market(Side.BUY, 100)),
        (Instrument("MSFT"), BUY_100_AT_100),
        (AAPL, OrderRequest(Side.BUY, 100, OrderType.LIMIT, 100.0, intentional_duplicate=True)),
    ],
    ids=["price", "side", "quantity", "market", "symbol", "intentional"],
)
def test_differing_or_intentional_orders_are_not_duplicates(
    instrument: Instrument, order: OrderRequest
) -> None:
    """A different price, side, quantity, type or symbol, or intentional_duplicate=True, passes."""
    limits = checker()
    limits.record_sent(AAPL, BUY_100_AT_100, NOW)
    assert limits.check(instrument, order, QUOTE, NOW + timedelta(seconds=1)) == []


def test_duplicate_passes_again_after_the_window() -> None:
    """Once duplicate_window has passed since the send, the same order is no longer a duplicate."""
    limits = checker()
    limits.record_sent(AAPL, BUY_100_AT_100, NOW)
    later = NOW + timedelta(seconds=2, milliseconds=1)
    assert limits.check(AAPL, BUY_100_AT_100, QUOTE, later) == []


def test_blocked_duplicate_does_not_extend_the_window() -> None:
    """A blocked duplicate attempt is not remembered: the window runs from the real send."""
    limits = checker()
    limits.record_sent(AAPL, BUY_100_AT_100, NOW)
    at_1_9s = NOW + timedelta(milliseconds=1_900)
    assert codes(limits.check(AAPL, BUY_100_AT_100, QUOTE, at_1_9s)) == ["limit.duplicate"]
    at_2_1s = NOW + timedelta(milliseconds=2_100)
    assert limits.check(AAPL, BUY_100_AT_100, QUOTE, at_2_1s) == []


def test_zero_duplicate_window_remembers_nothing_older_than_now() -> None:
    """duplicate_window=0 is allowed; an identical order a millisecond later passes."""
    limits = checker(duplicate_window=timedelta(0))
    limits.record_sent(AAPL, BUY_100_AT_100, NOW)
    assert limits.check(AAPL, BUY_100_AT_100, QUOTE, NOW + timedelta(milliseconds=1)) == []


# ---------------------------------------------------------------- self-cross


@pytest.mark.parametrize(
    ("order", "resting", "crosses"),
    [
        (OrderRequest.limit(Side.BUY, 10, 100.0), RestingOrder(Side.SELL, 100.0), True),
        (OrderRequest.limit(Side.BUY, 10, 100.5), RestingOrder(Side.SELL, 100.0), True),
        (OrderRequest.limit(Side.BUY, 10, 99.99), RestingOrder(Side.SELL, 100.0), False),
        (OrderRequest.limit(Side.SELL, 10, 100.0), RestingOrder(Side.BUY, 100.0), True),
        (OrderRequest.limit(Side.SELL, 10, 99.5), RestingOrder(Side.BUY, 100.0), True),
        (OrderRequest.limit(Side.SELL, 10, 100.01), RestingOrder(Side.BUY, 100.0), False),
        (OrderRequest.market(Side.BUY, 10), RestingOrder(Side.SELL, 104.0), True),
        (OrderRequest.market(Side.SELL, 10), RestingOrder(Side.BUY, 96.0), True),
        (OrderRequest.limit(Side.BUY, 10, 96.0), RestingOrder(Side.SELL, None), True),
        (OrderRequest.limit(Side.BUY, 10, 104.0), RestingOrder(Side.BUY, 96.0), False),
        (OrderRequest.market(Side.SELL, 10), RestingOrder(Side.SELL, None), False),
    ],
    ids=[
        "buy-at-our-ask",
        "buy-through-our-ask",
        "buy-below-our-ask",
        "sell-at-our-bid",
        "sell-through-our-bid",
        "sell-above-our-bid",
        "market-buy-vs-resting-sell",
        "market-sell-vs-resting-buy",
        "limit-buy-vs-resting-market-sell",
        "same-side-buy-ignored",
        "same-side-market-ignored",
    ],
)
def test_self_cross(order: OrderRequest, resting: RestingOrder, crosses: bool) -> None:
    """An order that could trade against our own opposite resting order blocks: limit.self_cross."""
    reasons = checker(**ROOMY).check(AAPL, order, QUOTE, NOW, [resting])
    assert codes(reasons) == (["limit.self_cross"] if crosses else [])


def test_self_cross_checks_every_resting_order() -> None:
    """One crossing order among several non-crossing ones is enough to block."""
    resting = [RestingOrder(Side.BUY, 99.0), RestingOrder(Side.SELL, 103.0)]
    limits = checker(**ROOMY)
    assert limits.check(AAPL, OrderRequest.limit(Side.BUY, 1, 102.0), QUOTE, NOW, resting) == []
    reasons = limits.check(AAPL, OrderRequest.limit(Side.BUY, 1, 103.0), QUOTE, NOW, resting)
    assert codes(reasons) == ["limit.self_cross"]


def test_self_cross_can_be_switched_off() -> None:
    """self_cross=False never blocks, even a market order against our resting opposite order."""
    limits = checker(self_cross=False, **ROOMY)
    resting = [RestingOrder(Side.SELL, 100.0)]
    assert limits.check(AAPL, OrderRequest.market(Side.BUY, 10), QUOTE, NOW, resting) == []


# ---------------------------------------------------------------- settings validation


@pytest.mark.parametrize(
    ("settings_", "field"),
    [
        ({"max_quantity": 0.0}, "limits.max_quantity"),
        ({"max_quantity": -1.0}, "limits.max_quantity"),
        ({"max_quantity": math.nan}, "limits.max_quantity"),
        ({"max_quantity": math.inf}, "limits.max_quantity"),
        ({"max_notional": 0.0}, "limits.max_notional"),
        ({"max_notional": "1000"}, "limits.max_notional"),
        ({"price_collar": 0.0}, "limits.price_collar"),
        ({"price_collar": 1.0}, "limits.price_collar"),
        ({"price_collar": 5.0}, "limits.price_collar"),
        ({"price_collar": math.nan}, "limits.price_collar"),
        ({"max_price_age": timedelta(0)}, "limits.max_price_age"),
        ({"max_price_age": timedelta(seconds=-1)}, "limits.max_price_age"),
        ({"max_price_age": 60}, "limits.max_price_age"),
        ({"rate_window": timedelta(0)}, "limits.rate_window"),
        ({"rate_window": 1.0}, "limits.rate_window"),
        ({"duplicate_window": timedelta(seconds=-1)}, "limits.duplicate_window"),
        ({"duplicate_window": 2}, "limits.duplicate_window"),
        ({"max_orders": 0}, "limits.max_orders"),
        ({"max_orders": -5}, "limits.max_orders"),
        ({"max_orders": 2.5}, "limits.max_orders"),
        ({"max_orders": True}, "limits.max_orders"),
        ({"self_cross": 1}, "limits.self_cross"),
        ({"self_cross": "yes"}, "limits.self_cross"),
    ],
)
def test_bad_settings_are_rejected_naming_the_field(settings_: dict[str, Any], field: str) -> None:
    """Each invalid setting raises InvalidInputError naming exactly that setting."""
    with pytest.raises(InvalidInputError) as caught:
        OrderLimits(**settings_)
    assert caught.value.field == field


# ---------------------------------------------------------------- bounded memory


def test_memory_stays_bounded_over_a_long_run() -> None:
    """After 10,000 sends over 100 s the checker holds max_orders times and 2 s of orders."""
    limits = checker()  # 20 per 1 s, duplicate window 2 s
    step = timedelta(milliseconds=10)
    now = NOW
    for n in range(10_000):
        now = NOW + step * n
        limits.record_sent(AAPL, OrderRequest.market(Side.BUY, n % 500 + 1), now)
    throttle, recent = limits.remembered
    assert len(throttle) == 20
    assert throttle[-1] == now
    # Sends within [now - 2 s, now] at 10 ms spacing: 201 of them, and nothing older.
    assert len(recent) == 201
    assert min(recent) >= now - timedelta(seconds=2)


def test_checks_alone_prune_the_duplicate_memory() -> None:
    """A check long after the last send forgets the old sends instead of keeping them."""
    limits = checker()
    for n in range(50):
        limits.record_sent(AAPL, _order(n), NOW)
    limits.check(AAPL, _order(0), QUOTE, NOW + timedelta(minutes=1))
    assert limits.remembered[1] == ()


# ---------------------------------------------------------------- throttle property


steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=700),  # clock advance, milliseconds
        st.integers(min_value=1, max_value=3),  # quantity
        st.sampled_from([Side.BUY, Side.SELL]),
    ),
    max_size=80,
)


@given(
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=1_000),
    steps,
)
@settings(max_examples=150, deadline=None)
def test_throttle_never_allows_more_than_max_orders_in_any_window(
    max_orders: int, window_ms: int, moves: list[tuple[int, int, Side]]
) -> None:
    """Sending whenever limit.rate is absent never puts > max_orders sends in any (t-W, t]."""
    window = timedelta(milliseconds=window_ms)
    limits = checker(max_orders=max_orders, rate_window=window, **ROOMY)
    sent: list[datetime] = []
    now = NOW
    for advance_ms, quantity, side in moves:
        now += timedelta(milliseconds=advance_ms)
        order = OrderRequest.market(side, quantity)
        in_window = sum(1 for t in sent if t > now - window)
        if "limit.rate" in codes(limits.check(AAPL, order, Quote(100.0, now), now)):
            # Blocked only when the window really is full (never over-restrictive).
            assert in_window == max_orders
            continue
        assert in_window < max_orders
        limits.record_sent(AAPL, order, now)
        sent.append(now)
    for end in sent:
        assert sum(1 for t in sent if end - window < t <= end) <= max_orders
