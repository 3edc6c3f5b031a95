"""The desk most gate tests trade on: a gate over a connected simulator at 10:00 New York."""

from __future__ import annotations

from datetime import UTC, datetime

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.application.ports import HaltRequests
from hydra.domain import CircuitBreakerManager, Instrument, ManualClock, OrderLimits
from hydra.testing import MemoryJournal

__all__ = ["AAPL", "NY_MORNING", "OK", "STOCK", "funded_sim", "trading_desk"]

OK = (0.0, 100_000.0, 100_000.0, 1_000.0, 0.0)  # healthy caller inputs on a 100k account
AAPL = Instrument("AAPL")  # as a caller writes it
STOCK = Instrument("AAPL", con_id=265598)  # as the broker qualifies it
NY_MORNING = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 New York


async def trading_desk(
    *, derive: bool = False, latency: float = 0.0, halt_requests: HaltRequests | None = None
) -> tuple[SimulatedBroker, RiskGate, ManualClock, MemoryJournal]:
    """A gate with default limits and a memory journal over a connected 100k simulator."""
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    broker.set_latency(latency)
    journal = MemoryJournal()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=OrderLimits(),
        journal=journal,
        clock=clock,
        config=GateConfig(derive_inputs=derive),
        halt_requests=halt_requests,
    )
    return broker, gate, clock, journal


async def funded_sim() -> tuple[SimulatedBroker, ManualClock]:
    """A connected simulator trading only the qualified AAPL, at 200, with 1M cash."""
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker((STOCK,), {"AAPL": 200.0}, clock=clock, cash=1e6)
    await broker.connect()
    return broker, clock
