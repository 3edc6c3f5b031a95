"""Fixtures shared by every suite: a connected simulator, a gate over it, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import CircuitBreakerManager, Instrument, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when a test advances it."""
    return ManualClock()


@pytest.fixture
async def sim(clock: ManualClock) -> AsyncIterator[SimulatedBroker]:
    """A connected SimulatedBroker with the default instruments and prices."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    yield broker
    await broker.disconnect()


@pytest.fixture
def gate(sim: SimulatedBroker, clock: ManualClock) -> RiskGate:
    """A RiskGate with default breakers over the connected simulator."""
    return RiskGate(sim, CircuitBreakerManager(clock=clock), clock=clock)


@pytest.fixture
def aapl() -> Instrument:
    """AAPL as the simulator knows it."""
    return Instrument("AAPL", con_id=265598, primary_exchange="NASDAQ")
