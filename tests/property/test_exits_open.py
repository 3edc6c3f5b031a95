"""Hypothesis: with any breaker tripped, no sequence of orders makes |position| grow."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.domain import (
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderRequest,
    Side,
    TradingState,
)
from hydra.domain.clock import system_clock

AAPL = Instrument("AAPL")
HEALTHY = BreakerInputs(0.0, 1e6, 1e6, 1_000.0, 0.0)
TRIPS = {
    "daily_loss": BreakerInputs(-0.05, 1e6, 950_000.0, 1_000.0, 0.0),
    "drawdown": BreakerInputs(0.0, 1e6, 850_000.0, 1_000.0, 0.0),
    "trade_loss": BreakerInputs(0.0, 1e6, 1e6, 1_000.0, 0.02),
}
"""Inputs that trip each latching breaker (position_size never latches: it judges one order)."""

orders = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=80),
        st.one_of(st.none(), st.sampled_from([-0.02, -0.01, 0.01, 0.02])),  # limit offset
        st.sampled_from([-0.03, 0.0, 0.03]),  # price move after the order
    ),
    min_size=1,
    max_size=12,
)


@given(
    start=st.integers(min_value=-60, max_value=60).filter(bool),
    trip=st.sampled_from(sorted(TRIPS)),
    reducing=st.booleans(),
    steps=orders,
)
@settings(max_examples=80, deadline=None)
def test_with_any_breaker_tripped_the_position_never_grows(
    start: int, trip: str, reducing: bool, steps: list[tuple[Side, int, float | None, float]]
) -> None:
    """After a trip (ACTIVE or REDUCING) every fill leaves |position| no larger, never flipped."""
    asyncio.run(_session(start, trip, reducing, steps))


async def _session(
    start: int, trip: str, reducing: bool, steps: list[tuple[Side, int, float | None, float]]
) -> None:
    clock = ManualClock(system_clock())
    broker = SimulatedBroker(clock=clock, cash=1e7)
    await broker.connect()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=None,
        clock=clock,
        config=GateConfig(derive_inputs=False),
    )
    side = Side.BUY if start > 0 else Side.SELL
    opened = gate.submit_with_decision(AAPL, OrderRequest(side, abs(start)), inputs=HEALTHY)
    assert opened.allowed, opened.reasons
    gate.submit_with_decision(AAPL, OrderRequest(side, 1.0), inputs=TRIPS[trip])
    if reducing:
        gate.set_trading_state(TradingState.REDUCING, who="property", why="exits only")
    held = _position(broker)
    assert abs(held) == abs(start)
    for order_side, quantity, offset, move in steps:
        price = broker.price("AAPL")
        assert price is not None
        order = (
            OrderRequest.market(order_side, quantity)
            if offset is None
            else OrderRequest.limit(order_side, quantity, round(price * (1 + offset), 2))
        )
        gate.submit_with_decision(AAPL, order, inputs=HEALTHY)
        broker.set_price("AAPL", round(price * (1 + move), 2))
        now = _position(broker)
        assert abs(now) <= abs(held), (held, now)
        assert now == 0 or (now > 0) == (start > 0), (start, now)
        held = now


def _position(broker: SimulatedBroker) -> float:
    return sum(p.quantity for p in broker.positions() if p.symbol == "AAPL")
