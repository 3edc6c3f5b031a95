"""Hypothesis: random interleavings of orders, fills, prices and late position messages.

The simulator holds its position messages back and releases them at random points, as IB
sends them apart from the fills. After every allowed order the truth (recomputed from every
handle's fills, independent of the ledger) must respect the position limit, and in
REDUCING no allowed order may grow or flip the position. Once everything is delivered,
the ledger equals the broker's state.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hydra.adapters.sim import SimulatedBroker
from hydra.application import OrderHandle, RiskGate
from hydra.domain import (
    BreakerConfig,
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderRequest,
    Side,
    TradingState,
)

AAPL = Instrument("AAPL", con_id=265598)
LIMIT = BreakerConfig().max_position_fraction

Action = tuple[str, int, int]
actions = st.lists(
    st.tuples(
        st.sampled_from(["market", "limit", "release", "price", "reduce", "active"]),
        st.integers(min_value=1, max_value=60),
        st.integers(min_value=-3, max_value=3),
    ),
    min_size=1,
    max_size=40,
)


class _World:
    """The gate over a simulator whose position messages lag, plus the handles it sent."""

    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
        self.broker = SimulatedBroker(prices={"AAPL": 200.0}, clock=self.clock, cash=50_000.0)
        asyncio.run(self.broker.connect())
        self.broker.hold_position_reports()
        breakers = CircuitBreakerManager(clock=self.clock)
        self.gate = RiskGate(self.broker, breakers, clock=self.clock, limits=None)
        self.handles: list[OrderHandle] = []

    def truth(self) -> float:
        """The position implied by every fill, recomputed from the handles."""
        return sum(h.filled * h.request.side.sign for h in self.handles)

    def working(self, side: Side) -> float:
        """Same-side quantity still working, recomputed from the handles."""
        return sum(
            h.remaining * side.sign
            for h in self.handles
            if not h.is_done and h.request.side is side
        )

    def submit(self, order: OrderRequest) -> None:
        side = order.side
        before, working = self.truth(), self.working(side)
        price = self.broker.price("AAPL")
        equity = self.broker.account().net_liquidation
        reducing = self.gate.trading_state is TradingState.REDUCING
        decision = self.gate.submit_with_decision(AAPL, order)
        if not decision.allowed:
            return
        assert decision.handle is not None
        self.handles.append(decision.handle)
        start = before + working
        after = start + order.signed_quantity
        shrinks = (
            start != 0 and abs(after) < abs(start) and (after == 0 or (after > 0) == (start > 0))
        )
        if reducing:
            assert shrinks, (before, working, order)
        if not shrinks:
            assert price is not None
            assert abs(after) * price / equity <= LIMIT + 1e-9, (before, working, order)


def _run(world: _World, action: Action) -> None:
    kind, size, step = action
    side = Side.BUY if step >= 0 else Side.SELL
    price = world.broker.price("AAPL")
    assert price is not None
    if kind == "market":
        world.submit(OrderRequest(side, size, intentional_duplicate=True))
    elif kind == "limit":
        # A limit a little away from the market: it rests until a price move reaches it.
        away = round(price * (1 - 0.004 * side.sign * (1 + abs(step))), 2)
        world.submit(OrderRequest.limit(side, size, away))
    elif kind == "release":
        world.broker.release_position_reports(size % 4)
    elif kind == "price":
        world.broker.set_price("AAPL", round(price * (1 + 0.003 * step), 2))
    elif kind == "reduce":
        world.gate.set_trading_state(TradingState.REDUCING, who="hypothesis", why="random")
    else:
        world.gate.set_trading_state(TradingState.ACTIVE, who="hypothesis", why="random")


@settings(max_examples=150, deadline=None)
@given(actions)
def test_no_interleaving_passes_the_limits_and_quiet_ledger_equals_the_broker(
    steps: list[Action],
) -> None:
    """Any interleaving: limits hold on the truth; once quiet, ledger == broker."""
    world = _World()
    for action in steps:
        _run(world, action)
    world.broker.release_position_reports()
    entry = world.gate.exposure(AAPL)
    reported = {p.symbol: p.quantity for p in world.broker.positions()}
    assert entry.position == world.truth() == reported.get("AAPL", 0.0)
    assert not entry.mismatch
    assert entry.buying == world.working(Side.BUY)
    assert -entry.selling == world.working(Side.SELL)
