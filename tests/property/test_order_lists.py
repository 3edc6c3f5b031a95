"""Hypothesis over order lists: an OCA group fills once; a bracket never outgrows its entry."""

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
    OrderStatus,
    OrderType,
    Side,
)
from hydra.domain.clock import system_clock

AAPL = Instrument("AAPL")
CALM = BreakerInputs(0.0, 1e9, 1e9, 0.0, 0.0)
prices = st.lists(st.integers(min_value=170, max_value=230).map(float), min_size=1, max_size=15)


def _leg(side: Side, quantity: int, kind: str, level: int) -> OrderRequest:
    price = float(level)
    if kind == "LMT":
        return OrderRequest.limit(side, quantity, price)
    if kind == "STP":
        return OrderRequest.stop(side, quantity, price)
    return OrderRequest(side, quantity, OrderType.MARKET_IF_TOUCHED, stop_price=price)


legs = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=50),
        st.sampled_from(["LMT", "STP", "MIT"]),
        st.integers(min_value=175, max_value=225),
    ),
    min_size=2,
    max_size=4,
)


async def _gate() -> tuple[SimulatedBroker, RiskGate]:
    clock = ManualClock(system_clock())
    broker = SimulatedBroker(clock=clock, cash=1e9)
    await broker.connect()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=None,
        clock=clock,
        config=GateConfig(derive_inputs=False),
    )
    return broker, gate


@given(group=legs, path=prices)
@settings(max_examples=120, deadline=None)
def test_an_oca_group_never_fills_twice(
    group: list[tuple[Side, int, str, int]], path: list[float]
) -> None:
    """Whatever the legs and however the price moves, at most one leg of the group fills."""

    async def run() -> None:
        broker, gate = await _gate()
        handles = await gate.submit_oca(
            [(AAPL, _leg(*leg)) for leg in group], group="g", inputs=CALM
        )
        assert handles is not None, gate.last_decision
        for price in path:
            broker.set_price("AAPL", price)
            assert sum(h.status is OrderStatus.FILLED for h in handles) <= 1

    asyncio.run(run())


@given(
    side=st.sampled_from([Side.BUY, Side.SELL]),
    quantity=st.integers(min_value=1, max_value=100),
    entry_level=st.integers(min_value=190, max_value=210),
    take=st.integers(min_value=1, max_value=25),
    stop=st.integers(min_value=1, max_value=25),
    trailing=st.booleans(),
    path=prices,
)
@settings(max_examples=120, deadline=None)
def test_a_brackets_exposure_never_exceeds_its_entry(
    side: Side,
    quantity: int,
    entry_level: int,
    take: int,
    stop: int,
    trailing: bool,
    path: list[float],
) -> None:
    """|position| stays within the entry's quantity, on the entry's side, at every price."""
    other = Side.SELL if side is Side.BUY else Side.BUY
    sign = side.sign

    async def run() -> None:
        broker, gate = await _gate()
        bracket = await gate.submit_bracket(
            AAPL,
            OrderRequest.limit(side, quantity, float(entry_level)),
            take_profit=OrderRequest.limit(other, quantity, float(entry_level + sign * take)),
            stop_loss=(
                OrderRequest.trailing_stop(other, quantity, amount=float(stop))
                if trailing
                else OrderRequest.stop(other, quantity, float(entry_level - sign * stop))
            ),
            inputs=CALM,
        )
        assert bracket is not None, gate.last_decision
        for price in path:
            broker.set_price("AAPL", price)
            held = sum(p.quantity for p in broker.positions() if p.symbol == "AAPL")
            assert 0 <= held * sign <= quantity, (held, quantity, side)
            children = (bracket.take_profit, bracket.stop_loss)
            assert sum(c is not None and c.status is OrderStatus.FILLED for c in children) <= 1

    asyncio.run(run())
