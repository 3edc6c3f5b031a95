"""RiskGate over the real simulator: capability, fail-closed, atomicity, decisions, logs."""

from __future__ import annotations

import asyncio
import math

import pytest
from structlog.testing import capture_logs

from hydra.adapters.sim import SimulatedBroker
from hydra.application import DecisionRecord, GateConfig, RiskGate
from hydra.domain import (
    BreakerInputs,
    BrokerError,
    CapabilityAlreadyClaimedError,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderRequest,
    OrderStatus,
    Side,
)

from .desk import STOCK, funded_sim

OK = (0.0, 100_000.0, 100_000.0, 2_000.0, 0.0)
BUY10 = OrderRequest.market(Side.BUY, 10)


async def test_allowed_order_reaches_broker_and_fills(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """An allowed market order reaches the simulator and fills at the reference price."""
    handle = await gate.submit(aapl, BUY10, *OK)
    assert handle is not None
    assert await handle.wait(timeout=1) is OrderStatus.FILLED
    assert [o.order_id for o in sim.received] == [handle.order_id]
    assert gate.broker.positions()[0].quantity == 10


async def test_blocked_order_never_reaches_broker_and_decision_names_reasons(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """A blocked order returns None, the simulator receives nothing, the decision says why."""
    assert await gate.submit(aapl, BUY10, -0.05, 1e5, 95_000.0, 0.0, 0.0) is None
    assert sim.received == []
    decision = gate.last_decision
    assert decision is not None
    assert not decision.allowed
    assert decision.outcome == "blocked"
    assert [r.code for r in decision.reasons] == ["breaker.daily_loss"]
    assert decision.reasons[0].value == -0.05
    assert decision.reasons[0].limit == -0.02


def test_second_claim_raises_and_capability_stays_with_first_gate(sim: SimulatedBroker) -> None:
    """Once a gate holds the capability, neither a second gate nor a direct claim gets it."""
    RiskGate(sim, CircuitBreakerManager())
    with pytest.raises(CapabilityAlreadyClaimedError):
        sim.claim_submit_capability()
    with pytest.raises(CapabilityAlreadyClaimedError):
        RiskGate(sim, CircuitBreakerManager())


def test_broker_view_does_not_expose_the_broker(gate: RiskGate) -> None:
    """The read-only view holds no public reference to the broker or the capability."""
    view = gate.broker
    assert not any(
        isinstance(getattr(view, name, None), SimulatedBroker)
        for name in dir(view)
        if not name.startswith("_")
    )
    with pytest.raises(AttributeError):
        view.foo = 1  # type: ignore[attr-defined]


async def test_disconnected_broker_blocks_with_connection_reason(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """While the broker is down the gate blocks (fail closed) and says so."""
    sim.drop_connection()
    assert await gate.submit(aapl, BUY10, *OK) is None
    assert gate.last_decision is not None
    assert gate.last_decision.reasons[0].code == "connection.disconnected"
    assert sim.received == []


@pytest.mark.parametrize(
    ("index", "bad"), [(0, math.nan), (1, -1.0), (2, 0.0), (2, math.inf), (4, -0.5)]
)
async def test_invalid_breaker_input_blocks_naming_the_field(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument, index: int, bad: float
) -> None:
    """Input the breakers cannot judge blocks the order with an input.invalid reason."""
    inputs = list(OK)
    inputs[index] = bad
    assert await gate.submit(aapl, BUY10, *inputs) is None
    assert gate.last_decision is not None
    reason = gate.last_decision.reasons[0]
    assert reason.code == "input.invalid"
    assert ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss")[
        index
    ] in reason.message
    assert sim.received == []


async def test_wrong_contract_or_order_type_blocks(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """A vendor object or anything else in place of Instrument/OrderRequest is blocked."""
    assert await gate.submit("AAPL", BUY10, *OK) is None  # type: ignore[arg-type]
    assert gate.last_decision is not None
    assert gate.last_decision.triggered == ("invalid_contract",)
    assert await gate.submit(aapl, {"side": "BUY"}, *OK) is None  # type: ignore[arg-type]
    assert gate.last_decision.triggered == ("invalid_order",)
    assert sim.received == []


class _ExplodingBreakers(CircuitBreakerManager):
    """A breaker manager whose check fails: the gate must block, not pass."""

    def evaluate_inputs(self, inputs: object) -> object:  # type: ignore[override]
        raise RuntimeError("breaker state store unavailable")


async def test_a_check_that_raises_blocks(sim: SimulatedBroker, aapl: Instrument) -> None:
    """An exception inside a risk check blocks the order (fail closed)."""
    gate = RiskGate(sim, _ExplodingBreakers())
    assert await gate.submit(aapl, BUY10, *OK) is None
    assert gate.last_decision is not None
    assert gate.last_decision.reasons[0].code == "check.error"
    assert sim.received == []


async def test_broker_failure_raises_typed_error_not_a_block(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """If an allowed order cannot be handed off, a BrokerError is raised and logged."""
    sim.fail_next_submits(1)
    with capture_logs() as logs, pytest.raises(BrokerError, match="hand-off failure"):
        await gate.submit(aapl, BUY10, *OK)
    assert sim.received == []
    events = [e["event"] for e in logs if e["event"].startswith("order.")]
    assert events == ["order.broker_error"]  # one event per attempt
    assert await gate.submit(aapl, BUY10, *OK) is not None


async def test_broker_failure_is_kept_as_the_last_decision() -> None:
    """A failed hand-off is in the decision history with a broker.error reason."""
    broker, clock = await funded_sim()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    broker.fail_next_submits(1)
    with pytest.raises(Exception, match="hand-off"):
        gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1))
    assert gate.last_decision is not None
    assert gate.last_decision.triggered == ("broker_error",)
    assert not gate.last_decision.allowed


async def test_concurrent_submits_see_each_others_trips(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """A trip by one of many concurrent submits blocks every later one in the same burst."""
    sim.set_latency(0.01)  # orders stay unacknowledged while the burst is judged
    inputs = [OK] * 3 + [(-0.05, 1e5, 95_000.0, 0.0, 0.0)] + [OK] * 6
    orders = [OrderRequest.market(Side.BUY, 1 + n) for n in range(len(inputs))]  # no duplicates
    results = await asyncio.gather(
        *(gate.submit(aapl, order, *i) for order, i in zip(orders, inputs, strict=True))
    )
    assert [r is not None for r in results] == [True] * 3 + [False] * 7
    assert len(sim.received) == 3


async def test_decisions_are_kept_bounded_and_in_order(sim: SimulatedBroker) -> None:
    """The gate keeps the last `history` decisions, numbered in submit order."""
    gate = RiskGate(sim, CircuitBreakerManager(), config=GateConfig(history=3))
    aapl = Instrument("AAPL")
    for n in range(5):
        await gate.submit(aapl, OrderRequest.market(Side.BUY, 1 + n), *OK)
    assert [d.seq for d in gate.decisions] == [3, 4, 5]
    with pytest.raises(InvalidInputError, match="history"):
        RiskGate(SimulatedBroker(), CircuitBreakerManager(), config=GateConfig(history=0))


async def test_every_attempt_is_logged_with_its_outcome(gate: RiskGate, aapl: Instrument) -> None:
    """One log record per attempt: order.allowed with the order id, order.blocked with names."""
    with capture_logs() as logs:
        await gate.submit(aapl, BUY10, *OK)
        await gate.submit(aapl, OrderRequest.market(Side.BUY, 3), -0.05, 1e5, 95_000.0, 0.0, 0.0)
    decisions = [e for e in logs if e["event"].startswith("order.")]
    assert [(e["event"], e["seq"]) for e in decisions] == [
        ("order.allowed", 1),
        ("order.blocked", 2),
    ]
    assert decisions[0]["order_id"] == 1
    assert decisions[1]["triggered"] == ["daily_loss"]
    assert "daily P&L" in decisions[1]["reasons"][0]


async def test_decision_times_come_from_the_injected_clock(
    gate: RiskGate, clock: ManualClock, aapl: Instrument
) -> None:
    """Decision timestamps are the gate clock's time, so replays are deterministic."""
    decision = gate.submit_with_decision(aapl, BUY10, inputs=BreakerInputs(*OK))
    assert decision.time == clock()
    assert decision.handle is not None
    assert decision.order_id == decision.handle.order_id


async def test_cancel_through_gate_cancels_resting_order(
    gate: RiskGate, sim: SimulatedBroker, aapl: Instrument
) -> None:
    """A resting limit order cancelled through the gate ends CANCELLED."""
    handle = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 5, 195.0), *OK)
    assert handle is not None
    assert handle.status is OrderStatus.SUBMITTED
    await gate.cancel(handle)
    assert await handle.wait(timeout=1) is OrderStatus.CANCELLED
    assert gate.broker.open_orders() == []


def test_handed_off_changes_the_order_id_and_handle_and_keeps_every_other_field() -> None:
    """``handed_off`` is ``_replace(order_id=..., handle=...)``: no field lost or moved."""
    fields = DecisionRecord._fields
    record = DecisionRecord(*(f"field {name}" for name in fields))  # type: ignore[arg-type]
    sent = record.handed_off(99, "the handle")  # type: ignore[arg-type]
    assert sent == record._replace(order_id=99, handle="the handle")
    assert type(sent) is DecisionRecord
