"""Breaker inputs: from the caller or derived from the account, reserved in flight, fail closed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.application.records import SessionStarted
from hydra.domain import (
    BreakerConfig,
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderRequest,
    Side,
)

from .desk import AAPL, NY_MORNING, STOCK, funded_sim, trading_desk


async def test_caller_inputs_are_required_unless_derived() -> None:
    """Without derivation, missing or partial breaker inputs block, naming the first missing."""
    broker, gate, _, _ = await trading_desk(derive=False)
    none = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    assert none.triggered == ("invalid_daily_pnl",)
    assert (
        await gate.submit(AAPL, OrderRequest.market(Side.BUY, 2), 0.0, 1e5, 1e5, None, 0.0) is None
    )
    partial = gate.last_decision
    assert partial is not None
    assert partial.triggered == ("invalid_position_value",)
    assert broker.received == []


async def test_derived_inputs_follow_the_account() -> None:
    """Derived: equity from the account, daily P&L from the session start, peak tracked."""
    broker, gate, _, journal = await trading_desk(derive=True)
    first = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 50))
    assert first.allowed
    assert first.inputs is not None
    assert first.inputs.current_equity == pytest.approx(100_000.0)
    assert first.inputs.position_value == pytest.approx(50 * 200.0)
    broker.set_price("AAPL", 150.0)  # -2,500 on 100k: daily loss -2.5 %
    blocked = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    assert "daily_loss" in blocked.triggered
    assert blocked.inputs is not None
    assert blocked.inputs.daily_pnl == pytest.approx(-0.025)
    assert blocked.inputs.peak_equity == pytest.approx(100_000.0)
    assert journal.of_type(SessionStarted)[0].equity == pytest.approx(100_000.0)


async def test_stricter_of_caller_and_derived_wins() -> None:
    """A caller claiming all is well cannot override a derived loss, and vice versa."""
    broker, gate, _, _ = await trading_desk(derive=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 50))
    broker.set_price("AAPL", 150.0)
    rosy = gate.submit_with_decision(
        Instrument("MSFT"),
        OrderRequest.market(Side.BUY, 1),
        inputs=BreakerInputs(0.0, 1.0, 1e9, 0.0, 0.0),
    )
    assert "daily_loss" in rosy.triggered
    broker.set_price("AAPL", 200.0)
    gloomy = gate.submit_with_decision(
        Instrument("IBM"),
        OrderRequest.market(Side.BUY, 1),
        inputs=BreakerInputs(0.0, 1e5, 1e5, 0.0, 0.05),
    )
    assert "trade_loss" in gloomy.triggered


async def test_derived_trade_loss_comes_from_the_last_closed_trade() -> None:
    """A losing round trip of more than 1 % of equity trips the trade-loss breaker."""
    broker, gate, _, _ = await trading_desk(derive=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 90))
    broker.set_price("AAPL", 185.0)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 90))  # realizes -1,350
    after = gate.submit_with_decision(Instrument("MSFT"), OrderRequest.market(Side.BUY, 1))
    assert "trade_loss" in after.triggered
    assert after.inputs is not None
    assert after.inputs.trade_loss == pytest.approx(1_350.0 / after.inputs.current_equity)


async def test_derived_trade_loss_rearms_after_its_cooldown() -> None:
    """One losing trade trips the trade-loss breaker once; after the cooldown it re-arms."""
    broker, clock = await funded_sim()
    config = BreakerConfig(trade_loss_cooldown=timedelta(minutes=15))
    gate = RiskGate(
        broker,
        CircuitBreakerManager(config, clock),
        clock=clock,
        limits=None,
        config=GateConfig(derive_inputs=True),
    )
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1000))
    broker.set_price("AAPL", 184.0)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.SELL, 1000))  # -16,000 realized
    assert (
        "trade_loss" in gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1)).triggered
    )
    clock.advance(timedelta(minutes=16))
    broker.set_price("AAPL", 184.0)
    later = gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 2))
    assert "trade_loss" not in later.triggered, later.reasons


async def test_daily_loss_resets_at_the_session_boundary_with_a_new_start_equity() -> None:
    """After New York midnight the latched daily loss clears and a new session starts."""
    broker, gate, clock, journal = await trading_desk(derive=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 50))
    broker.set_price("AAPL", 150.0)
    assert (
        "daily_loss" in gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1)).triggered
    )
    clock.advance(timedelta(hours=15))  # 01:00 New York next day
    broker.set_price("AAPL", 150.0)  # a fresh quote in the new session
    next_day = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 2))
    assert next_day.allowed, next_day.reasons
    sessions = journal.of_type(SessionStarted)
    assert len(sessions) == 2
    assert sessions[1].equity == pytest.approx(97_500.0)


async def test_exposure_is_reserved_by_orders_in_flight() -> None:
    """Concurrent buys with no fills in between: only those that fit the position limit pass."""
    broker, gate, _, _ = await trading_desk(derive=True, latency=0.05)
    orders = [OrderRequest.market(Side.BUY, 30 + n) for n in range(10)]  # ~6-8k each at 200
    results = await asyncio.gather(*(gate.submit(AAPL, order) for order in orders))
    handles = [h for h in results if h is not None]
    assert 1 <= len(handles) < len(orders)
    reserved = sum(h.request.quantity for h in handles) * 200.0
    assert reserved <= 0.20 * 100_000.0
    assert len(broker.received) == len(handles)
    await asyncio.gather(*(h.wait(timeout=1) for h in handles))


async def test_position_size_never_blocks_an_order_that_shrinks_the_position() -> None:
    """An oversized position can be reduced: the size breaker only blocks growth."""
    broker, clock = await funded_sim()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        clock=clock,
        limits=None,
        config=GateConfig(derive_inputs=True),
    )
    gate.submit_with_decision(
        STOCK, OrderRequest.market(Side.BUY, 900), inputs=BreakerInputs(0.0, 1e6, 1e6, 0.0, 0.0)
    )
    broker.set_price("AAPL", 250.0)  # 900 x 250 = 225k of ~1.05M: 21 % of equity
    grow = gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1))
    assert "position_size" in grow.triggered
    shrink = gate.submit_with_decision(STOCK, OrderRequest.market(Side.SELL, 1))
    assert shrink.allowed, shrink.reasons


async def test_fail_closed_without_a_price_to_value_the_position() -> None:
    """Derived mode with no price to value the position blocks with input.unavailable."""
    sim_without_price = SimulatedBroker(prices={}, clock=ManualClock(NY_MORNING))
    await sim_without_price.connect()
    gate = RiskGate(
        sim_without_price, CircuitBreakerManager(), config=GateConfig(derive_inputs=True)
    )
    decision = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    assert "unavailable_position_value" in decision.triggered
    assert "price_missing" in decision.triggered
    assert sim_without_price.received == []
