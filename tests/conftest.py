"""Fixtures shared by every suite: a connected simulator, a gate over it, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import CircuitBreakerManager, Instrument, ManualClock


@pytest.fixture(autouse=True)
def isolated_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test (and every subprocess it starts) keeps per-user state in a temp dir, never ~."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("HYDRA_STATE_DIR", raising=False)
    return home / "state" / "hydra"


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
