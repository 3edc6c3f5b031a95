"""The kill switch: HALT first, cancel everything, flatten only what is safe, report it all."""

from __future__ import annotations

from hydra.application import RiskGate
from hydra.application.records import DecisionRecord, KillRecord
from hydra.domain import (
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    OrderRequest,
    OrderStatus,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

from .desk import AAPL, OK, STOCK, funded_sim, trading_desk


async def test_kill_switch_halts_cancels_and_reports() -> None:
    """One call: HALTED first, every open order cancelled, ids returned, all audited."""
    broker, gate, _, journal = await trading_desk()
    first = gate.submit_with_decision(
        AAPL, OrderRequest.limit(Side.BUY, 5, 195.0), inputs=BreakerInputs(*OK)
    )
    second = gate.submit_with_decision(
        AAPL, OrderRequest.limit(Side.BUY, 3, 196.0), inputs=BreakerInputs(*OK)
    )
    report = await gate.kill_switch(who="risk desk", why="runaway algo")
    assert gate.trading_state is TradingState.HALTED
    assert sorted(report.cancelled) == sorted([first.order_id, second.order_id])
    assert report.failed == ()
    assert broker.open_orders() == []
    assert not gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    ).allowed
    [kill] = journal.of_type(KillRecord)
    assert kill.who == "risk desk"
    assert sorted(kill.cancelled) == sorted(report.cancelled)


async def test_kill_switch_reports_cancels_that_fail() -> None:
    """A cancel that fails (connection down) is reported per order, not raised."""
    broker, gate, _, _ = await trading_desk()
    handle = gate.submit_with_decision(
        AAPL, OrderRequest.limit(Side.BUY, 5, 195.0), inputs=BreakerInputs(*OK)
    ).handle
    assert handle is not None
    broker.drop_connection()
    report = await gate.kill_switch(who="ops", why="gateway unstable")
    assert report.cancelled == ()
    assert [order_id for order_id, _ in report.failed] == [0, handle.order_id]
    assert "global cancel failed" in report.failed[0][1]
    assert "BrokerNotConnectedError" in report.failed[1][1]
    assert gate.trading_state is TradingState.HALTED


async def test_kill_switch_can_flatten_through_the_gates_own_capability() -> None:
    """flatten=True closes every position with audited market orders, despite HALTED."""
    broker, gate, _, journal = await trading_desk()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 10), inputs=BreakerInputs(*OK))
    gate.submit_with_decision(
        Instrument("MSFT"), OrderRequest.market(Side.SELL, 4), inputs=BreakerInputs(*OK)
    )
    report = await gate.kill_switch(who="ops", why="flatten all", flatten=True)
    assert len(report.flattened) == 2
    assert all(h.status is OrderStatus.FILLED for h in report.flattened)
    assert broker.positions() == []
    assert len([d for d in journal.of_type(DecisionRecord) if d.exemption]) == 2


async def test_kill_switch_flattens_after_the_cancels_are_confirmed() -> None:
    """With cancels confirmed, flatten closes exactly the position: no overshoot."""
    broker, clock = await funded_sim()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 10))
    resting = gate.submit_with_decision(STOCK, OrderRequest.limit(Side.SELL, 10, 205.0))
    report = await gate.kill_switch(who="ops", why="test", flatten=True)
    assert resting.handle is not None
    assert resting.handle.status is OrderStatus.CANCELLED
    assert len(report.flattened) == 1
    assert broker.positions() == []


async def test_kill_switch_does_not_flatten_under_a_working_order() -> None:
    """If a cancel fails, that position is not flattened (it could overshoot) and is reported."""
    broker, clock = await funded_sim()
    journal = MemoryJournal()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, journal=journal)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 10))
    gate.submit_with_decision(STOCK, OrderRequest.limit(Side.SELL, 10, 205.0))
    broker.drop_connection()  # cancels fail; nothing can be flattened
    report = await gate.kill_switch(who="ops", why="test", flatten=True, cancel_wait=0.2)
    assert report.flattened == ()
    assert report.failed
    assert report.not_flattened
    [kill] = journal.of_type(KillRecord)
    assert kill.not_flattened
    await broker.connect()
    assert [p.quantity for p in broker.positions()] == [10]
