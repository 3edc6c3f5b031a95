"""What reduces risk can always leave: tripped loss breakers and REDUCING let reductions out."""

from __future__ import annotations

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.domain import (
    BreakerConfig,
    BreakerInputs,
    CircuitBreakerManager,
    ManualClock,
    OrderRequest,
    Side,
    TradingState,
)

from .desk import AAPL, NY_MORNING, OK

HEALTHY = BreakerInputs(*OK)
TRIPPING = {
    "daily_loss": BreakerInputs(-0.05, 100_000.0, 95_000.0, 1_000.0, 0.0),
    "drawdown": BreakerInputs(0.0, 100_000.0, 85_000.0, 1_000.0, 0.0),
    "trade_loss": BreakerInputs(0.0, 100_000.0, 100_000.0, 1_000.0, 0.02),
}


async def _long_50(*, block_reducing: bool = False) -> tuple[SimulatedBroker, RiskGate]:
    """A gate over the simulator holding 50 AAPL (bought at 200), inputs from the caller."""
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(BreakerConfig(block_reducing=block_reducing), clock),
        clock=clock,
        config=GateConfig(derive_inputs=False),
    )
    bought = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 50), inputs=HEALTHY)
    assert bought.allowed, bought.reasons
    return broker, gate


def _position(broker: SimulatedBroker) -> float:
    return sum(p.quantity for p in broker.positions() if p.symbol == "AAPL")


@pytest.mark.parametrize("breaker", sorted(TRIPPING))
async def test_a_tripped_loss_breaker_blocks_adding_and_lets_reductions_out(breaker: str) -> None:
    """Once a loss breaker latches, a buy on a long is blocked and a sell that shrinks passes."""
    broker, gate = await _long_50()
    trip = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=TRIPPING[breaker]
    )
    assert breaker in trip.triggered
    more = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 2), inputs=HEALTHY)
    assert breaker in more.triggered  # latched: new risk stays blocked
    out = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 20), inputs=HEALTHY)
    assert out.allowed, out.reasons
    assert _position(broker) == 30


async def test_a_flip_is_still_blocked_by_a_tripped_breaker() -> None:
    """Selling more than the long holds would open a short: that adds risk, so it is blocked."""
    broker, gate = await _long_50()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=TRIPPING["drawdown"])
    flip = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 60), inputs=HEALTHY)
    assert "drawdown" in flip.triggered
    assert _position(broker) == 50


async def test_working_orders_count_towards_the_reduction() -> None:
    """With a resting sell for the whole long, a further sell would flip it: blocked."""
    broker, gate = await _long_50()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=TRIPPING["daily_loss"])
    resting = gate.submit_with_decision(
        AAPL, OrderRequest.limit(Side.SELL, 50, 205.0), inputs=HEALTHY
    )
    assert resting.allowed, resting.reasons
    extra = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 10), inputs=HEALTHY)
    assert "daily_loss" in extra.triggered
    assert _position(broker) == 50


async def test_block_reducing_keeps_reductions_blocked_while_tripped() -> None:
    """With `block_reducing = true`, a tripped loss breaker blocks the reducing sell too."""
    broker, gate = await _long_50(block_reducing=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=TRIPPING["daily_loss"])
    out = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 20), inputs=HEALTHY)
    assert "daily_loss" in out.triggered
    assert _position(broker) == 50


async def test_reducing_lets_reductions_out_whatever_the_breakers_say() -> None:
    """In REDUCING a shrinking order passes even with block_reducing and a tripped breaker."""
    broker, gate = await _long_50(block_reducing=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=TRIPPING["daily_loss"])
    gate.set_trading_state(TradingState.REDUCING, who="risk desk", why="loss limit hit")
    out = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 20), inputs=HEALTHY)
    assert out.allowed, out.reasons
    grow = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 5), inputs=HEALTHY)
    assert set(grow.triggered) == {"reducing", "daily_loss"}
    assert _position(broker) == 30


def test_block_reducing_is_off_by_default_and_validated() -> None:
    """Exits stay open by default; a non-bool block_reducing is refused, named."""
    assert BreakerConfig().block_reducing is False
    with pytest.raises(ValueError, match=r"breakers\.block_reducing"):
        BreakerConfig(block_reducing="yes")  # type: ignore[arg-type]
