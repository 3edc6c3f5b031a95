"""Amendments judged as the order they become: REDUCING, growth only, done orders, brackets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import OrderHandle, RiskGate
from hydra.domain import (
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    Side,
    TradingState,
)

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
AAPL = Instrument("AAPL")
DAILY_LOSS = BreakerInputs(-50_000.0, 1e6, 1e6, 0.0, 0.0)
"""A 5 % daily loss on a 1M account: past the 2 % daily-loss breaker."""


async def _desk(**limits: bool) -> tuple[SimulatedBroker, RiskGate]:
    clock = ManualClock(NOW)
    broker = SimulatedBroker(clock=clock, cash=1e6)
    await broker.connect()
    gate = RiskGate(
        broker, CircuitBreakerManager(clock=clock), limits=OrderLimits(**limits), clock=clock
    )
    broker.set_price("AAPL", 200.0)
    return broker, gate


async def _long(gate: RiskGate, quantity: float) -> None:
    bought = await gate.submit(AAPL, OrderRequest.market(Side.BUY, quantity))
    assert bought is not None
    assert bought.status is OrderStatus.FILLED


async def _resting_bracket_stop(gate: RiskGate) -> OrderHandle:
    """The stop-loss of a bracket whose entry (buy 10 at 195) rests unfilled."""
    bracket = await gate.submit_bracket(
        AAPL,
        OrderRequest.limit(Side.BUY, 10, 195.0),
        stop_loss=OrderRequest.stop(Side.SELL, 10, 180.0),
    )
    assert bracket is not None
    assert bracket.stop_loss is not None
    return bracket.stop_loss


async def test_reducing_lets_an_amendment_through_only_as_a_reduction() -> None:
    """REDUCING: a take-profit may grow to the whole position, not past it; a buy may not move."""
    _, gate = await _desk()
    await _long(gate, 100)
    take_profit = await gate.submit(AAPL, OrderRequest.limit(Side.SELL, 50, 210.0))
    bid = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 10, 190.0))
    assert take_profit is not None
    assert bid is not None
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    assert gate.modify_with_decision(take_profit, quantity=100).allowed
    flips = gate.modify_with_decision(take_profit, quantity=150)
    assert flips.triggered == ("reducing",)
    assert gate.modify_with_decision(bid, limit_price=191.0).triggered == ("reducing",)
    assert (take_profit.request.quantity, bid.request.limit_price) == (100, 190.0)


async def test_position_size_judges_only_what_an_amendment_adds() -> None:
    """A 900-share bid (180k of 1M) grows to 950 (190k): the 900 are not counted twice."""
    _, gate = await _desk()
    bid = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 900, 199.0))
    assert bid is not None
    grown = gate.modify_with_decision(bid, quantity=950)
    assert grown.allowed, grown.reasons
    too_big = gate.modify_with_decision(bid, quantity=1_100)  # 1,100 x 200 = 220k > 20 %
    assert too_big.triggered == ("position_size",)
    assert bid.request.quantity == 950


async def test_a_tripped_breaker_blocks_only_an_amendment_that_grows() -> None:
    """Past the daily loss: a bid's new price passes (it adds nothing), a larger bid does not."""
    _, gate = await _desk()
    bid = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 10, 190.0))
    assert bid is not None
    moved = gate.modify_with_decision(bid, limit_price=191.0, inputs=DAILY_LOSS)
    assert moved.allowed, moved.reasons
    grown = gate.modify_with_decision(bid, quantity=20, inputs=DAILY_LOSS)
    assert grown.triggered == ("daily_loss",)


async def test_a_cancelled_order_cannot_be_amended() -> None:
    """Amending an order after its cancel is an InvalidInputError naming the handle."""
    broker, gate = await _desk()
    bid = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 10, 190.0))
    assert bid is not None
    await broker.cancel_order(bid)
    assert bid.status is OrderStatus.CANCELLED
    with pytest.raises(InvalidInputError, match=r"handle: order \d+ is Cancelled"):
        await gate.modify(bid, limit_price=191.0)


async def test_a_bracket_child_is_judged_with_its_entry() -> None:
    """A resting bracket's stop may grow with its entry's size, never past it into a short."""
    _, gate = await _desk(self_cross=False)  # see the next test
    stop = await _resting_bracket_stop(gate)
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    # Flat now, but the stop acts only once the 10 bought have filled: it reduces them.
    moved = gate.modify_with_decision(stop, stop_price=185.0)
    assert moved.allowed, moved.reasons
    past = gate.modify_with_decision(stop, quantity=15)
    assert past.triggered == ("reducing",)


async def test_a_bracket_childs_amendment_does_not_cross_its_own_entry() -> None:
    """Moving a resting bracket's stop is not a wash trade against the entry it protects."""
    _, gate = await _desk()
    stop = await _resting_bracket_stop(gate)
    moved = gate.modify_with_decision(stop, stop_price=185.0)
    assert moved.allowed, moved.reasons


async def test_a_protective_stop_limit_is_collared_from_its_stop() -> None:
    """Stop 180 / limit 179 at 200 passes a stock's 10 % collar; moving the stop to 200 does not."""
    _, gate = await _desk()
    await _long(gate, 10)
    stop = await gate.submit(AAPL, OrderRequest.stop_limit(Side.SELL, 10, 180.0, 179.0))
    assert stop is not None, gate.last_decision
    assert gate.modify_with_decision(stop, stop_price=182.0).allowed
    raised = gate.modify_with_decision(stop, stop_price=200.0)
    assert raised.triggered == ("price_collar",)
    assert "limit 179 is 10.50% from stop 200" in raised.reasons[0].message
