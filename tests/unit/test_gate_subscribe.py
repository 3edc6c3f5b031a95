"""RiskGate.subscribe: every audit record reaches listeners, journal or not, safely."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import CircuitBreakerManager, Instrument, ManualClock, OrderRequest, Side


async def test_listeners_see_every_record_without_a_journal(
    gate: RiskGate, aapl: Instrument
) -> None:
    """With no journal, decisions and state changes still reach a listener, with latency."""
    seen: list[Mapping[str, Any]] = []
    gate.subscribe(seen.append)
    gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1), 0.0, 1e5, 1e5, 200.0, 0.0)
    gate.set_trading_state("HALTED", who="ops", why="test")
    assert [r["kind"] for r in seen] == ["session", "decision", "order", "state"]
    decision = seen[1]
    assert decision["outcome"] == "allowed"
    assert isinstance(decision["latency_s"], float)
    assert decision["latency_s"] >= 0.0
    assert seen[2]["event"] == "order.sent"
    assert seen[3]["who"] == "ops"


async def test_a_failing_listener_never_blocks_trading(gate: RiskGate, aapl: Instrument) -> None:
    """A listener that raises is logged; the order still passes and later listeners still run."""
    seen: list[Mapping[str, Any]] = []

    def broken(_record: Mapping[str, Any]) -> None:
        raise RuntimeError("boom")

    gate.subscribe(broken)
    gate.subscribe(seen.append)
    decision = gate.submit_with_decision(
        aapl, OrderRequest.market(Side.BUY, 1), 0.0, 1e5, 1e5, 200.0, 0.0
    )
    assert decision.allowed
    assert [r["event"] for r in seen if r["kind"] in ("decision", "order")] == [
        "order.allowed",
        "order.sent",
    ]


async def test_unsubscribe_stops_delivery(clock: ManualClock, aapl: Instrument) -> None:
    """After unsubscribe a listener gets nothing more."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    seen: list[Mapping[str, Any]] = []
    unsubscribe = gate.subscribe(seen.append)
    gate.set_trading_state("REDUCING", who="a", why="b")
    unsubscribe()
    gate.set_trading_state("ACTIVE", who="a", why="b")
    assert [r["state"] for r in seen] == ["REDUCING"]
    await broker.disconnect()
