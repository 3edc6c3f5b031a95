"""A fed price cannot switch the price checks off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, PriceRefusedError, RiskGate
from hydra.application.records import PriceRefused
from hydra.domain import (
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderLimits,
    OrderRequest,
    Quote,
    Side,
)
from hydra.domain.limit_checker import OrderLimitChecker
from hydra.testing import MemoryJournal

from .desk import NY_MORNING

AAPL = Instrument("AAPL", con_id=265598)


async def test_a_far_fed_price_is_refused_audited_and_never_preferred(clock: ManualClock) -> None:
    """2.00 fed a second fresher than the broker's 200.00 is refused; 10,000 AAPL stay blocked."""
    broker = SimulatedBroker(clock=clock, cash=1_000_000_000.0)
    await broker.connect()
    journal = MemoryJournal()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, journal=journal)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(PriceRefusedError, match="away from the broker's reference 200"):
        gate.update_price("AAPL", 2.00)
    (refused,) = journal.of_type(PriceRefused)
    assert (refused.symbol, refused.price) == ("AAPL", 2.0)
    decision = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 10_000))
    assert "max_notional" in decision.triggered  # valued at the broker's 200, not at 2


async def test_a_fed_price_inside_the_collar_is_used_when_fresher(clock: ManualClock) -> None:
    """A fresher fed price within the collar of the broker's counts for the checks."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    clock.advance(timedelta(seconds=1))
    gate.update_price("AAPL", 204.0)
    decision = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.BUY, 10, 213.0))
    # 213 is 4.4 % above the fed 204 (inside the 5 % collar) but 6.5 % above 200.
    assert decision.allowed, decision.reasons


async def test_a_broker_price_that_moves_away_overrides_an_earlier_fed_price(
    clock: ManualClock,
) -> None:
    """When the broker's price later moves beyond the collar, its price counts, not the fed one."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    gate.update_price("AAPL", 201.0, at=clock() + timedelta(seconds=1))
    broker.set_price("AAPL", 150.0)  # older stamp than the fed price, but far away
    decision = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.BUY, 10, 200.0))
    assert "price_collar" in decision.triggered


def test_future_dated_prices_are_refused() -> None:
    """A fed price dated in the future is refused; a future quote never counts as fresh."""
    gate = RiskGate(
        SimulatedBroker(clock=ManualClock(NY_MORNING)),
        CircuitBreakerManager(),
        clock=ManualClock(NY_MORNING),
    )
    with pytest.raises(InvalidInputError, match="at"):
        gate.update_price("AAPL", 200.0, at=NY_MORNING + timedelta(hours=5))
    checker = OrderLimitChecker(OrderLimits())
    reasons = checker.check(
        AAPL,
        OrderRequest.market(Side.BUY, 1),
        Quote(200.0, NY_MORNING + timedelta(hours=1)),
        NY_MORNING,
    )
    assert [r.code for r in reasons] == ["price.future"]


async def test_a_far_fed_price_is_refused_with_the_limits_off(clock: ManualClock) -> None:
    """With limits=None a fed 2.00 against the broker's 200 is still refused (own tolerance)."""
    broker = SimulatedBroker(clock=clock, cash=1_000_000.0)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, limits=None)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(PriceRefusedError, match=r"max 5\.00%"):
        gate.update_price("AAPL", 2.00)
    # 9,000 AAPL are valued at the broker's 200 (1.8M of 1M: the size breaker blocks), not
    # at 18,000.
    decision = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 9_000))
    assert "position_size" in decision.triggered


async def test_the_fed_price_tolerance_is_the_gates_own_setting(clock: ManualClock) -> None:
    """GateConfig(fed_price_tolerance=0.2) takes a fed price 15 % away; 0.1 refuses it."""
    for tolerance, refused in ((0.2, False), (0.1, True)):
        broker = SimulatedBroker(clock=clock)
        await broker.connect()
        gate = RiskGate(
            broker,
            CircuitBreakerManager(clock=clock),
            clock=clock,
            limits=None,
            config=GateConfig(fed_price_tolerance=tolerance),
        )
        if refused:
            with pytest.raises(PriceRefusedError):
                gate.update_price("AAPL", 230.0)
        else:
            gate.update_price("AAPL", 230.0)
    with pytest.raises(InvalidInputError, match="fed_price_tolerance"):
        GateConfig(fed_price_tolerance=1.5)
