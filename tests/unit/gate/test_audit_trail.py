"""The audit trail: one record per attempt, written ahead, halting if unwritable; listeners."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    BreakerTripped,
    BrokerErrorRecord,
    DecisionRecord,
    OrderSent,
    SessionStarted,
    StateChanged,
)
from hydra.domain import (
    BreakerInputs,
    BreakerState,
    BrokerNotConnectedError,
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderRequest,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

from .desk import AAPL, NY_MORNING, OK, trading_desk


async def test_exactly_one_audit_record_per_submit_attempt() -> None:
    """One decision record per attempt, ahead of any hand-off; a second only on failure."""
    broker, gate, _, journal = await trading_desk()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK))
    gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 2), inputs=BreakerInputs(0.0, 1e5, 1e5, 9e4, 0.0)
    )
    broker.fail_next_submits(1)
    with pytest.raises(Exception, match="hand-off"):
        gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 3), inputs=BreakerInputs(*OK))
    outcomes = [r.outcome for r in journal.of_type(DecisionRecord)]
    assert outcomes == ["allowed", "blocked", "allowed"]
    assert [r.seq for r in journal.of_type(DecisionRecord)] == [1, 2, 3]
    assert [r.seq for r in journal.of_type(BrokerErrorRecord)] == [3]
    kinds = [type(r) for r in journal.typed if isinstance(r, DecisionRecord | BrokerErrorRecord)]
    assert kinds == [DecisionRecord, DecisionRecord, DecisionRecord, BrokerErrorRecord]


async def test_the_write_ahead_record_names_the_broker_order_id() -> None:
    """The decision record, written before the hand-off, carries the id the order then gets."""
    broker, gate, _, journal = await trading_desk()
    first = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    second = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.SELL, 1), inputs=BreakerInputs(*OK)
    )
    ids = [r.order_id for r in journal.of_type(DecisionRecord)]
    assert ids == [first.order_id, second.order_id]
    assert [row[0] for row in broker.received] == ids
    assert first.handle is not None
    assert first.handle.order_id == first.order_id


async def test_a_failed_hand_off_records_the_reserved_id_and_clears_the_decisions() -> None:
    """A broker error record names the reserved id; the kept decision has no order id."""
    broker, gate, _, journal = await trading_desk()
    broker.fail_next_submits(1)
    with pytest.raises(Exception, match="hand-off"):
        gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK))
    [decision] = journal.of_type(DecisionRecord)
    [error] = journal.of_type(BrokerErrorRecord)
    assert error.order_id == decision.order_id is not None
    assert gate.last_decision is not None
    assert gate.last_decision.order_id is None
    assert not gate.last_decision.allowed


class _IdChangingBroker:
    """A simulator whose capability reserves one order id and then sends with another."""

    def __init__(self, inner: SimulatedBroker) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def claim_submit_capability(self) -> Any:
        """The simulator's capability, reserving an id 1000 above the one it then uses."""
        capability = self._inner.claim_submit_capability()

        class _Lying:
            def reserve_order_id(self) -> int:
                return capability.reserve_order_id() + 1000

            def submit_order(self, contract: Instrument, order: OrderRequest) -> Any:
                return capability.submit_order(contract, order)

        return _Lying()


async def test_a_broker_that_uses_another_id_gets_a_correcting_record() -> None:
    """The reserved id is written ahead; the id the broker used follows as order.sent."""
    clock = ManualClock(NY_MORNING)
    inner = SimulatedBroker(clock=clock)
    await inner.connect()
    journal = MemoryJournal()
    gate = RiskGate(
        _IdChangingBroker(inner),  # type: ignore[arg-type]
        CircuitBreakerManager(clock=clock),
        journal=journal,
        clock=clock,
    )
    decision = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert decision.handle is not None
    [written] = journal.of_type(DecisionRecord)
    [corrected] = journal.of_type(OrderSent)
    assert written.order_id == decision.handle.order_id + 1000
    assert (corrected.order_id, corrected.reserved) == (
        decision.handle.order_id,
        written.order_id,
    )
    assert decision.order_id == decision.handle.order_id


class _NoIdBroker(_IdChangingBroker):
    """A simulator whose capability cannot reserve an order id (say, the link just went)."""

    def claim_submit_capability(self) -> Any:
        """A capability whose reservation raises, and which records every submit."""
        capability = self._inner.claim_submit_capability()
        sent: list[object] = []
        self.sent = sent

        class _NoId:
            def reserve_order_id(self) -> int:
                raise BrokerNotConnectedError("no order id: not connected")

            def submit_order(self, contract: Instrument, order: OrderRequest) -> Any:
                sent.append(order)
                return capability.submit_order(contract, order)

        return _NoId()


async def test_no_order_id_means_no_order() -> None:
    """A capability that cannot reserve an id blocks the order, journaled (fail closed)."""
    clock = ManualClock(NY_MORNING)
    inner = SimulatedBroker(clock=clock)
    await inner.connect()
    journal = MemoryJournal()
    broker = _NoIdBroker(inner)
    gate = RiskGate(
        broker,  # type: ignore[arg-type]
        CircuitBreakerManager(clock=clock),
        journal=journal,
        clock=clock,
    )
    decision = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert not decision.allowed
    assert decision.triggered == ("order_id_error",)
    assert broker.sent == []
    [record] = journal.of_type(DecisionRecord)
    assert (record.outcome, record.order_id) == ("blocked", None)


class _FullDiskJournal(MemoryJournal):
    """A journal whose disk filled up after ``room`` records."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def append(self, record: Mapping[str, Any]) -> None:
        """Fail once the room is used up."""
        if len(self.records) >= self.room:
            raise OSError(28, "No space left on device")
        super().append(record)


async def test_an_audit_trail_that_cannot_be_written_halts_trading() -> None:
    """A decision that cannot be journaled is not sent (write-ahead), and the gate HALTS."""
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    journal = _FullDiskJournal(2)  # room for the session start and the first order
    gate = RiskGate(broker, CircuitBreakerManager(), journal=journal, clock=clock)
    first = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert first.allowed
    assert gate.trading_state is TradingState.ACTIVE
    second = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 2), inputs=BreakerInputs(*OK)
    )
    assert not second.allowed
    assert second.triggered == ("journal_failed",)
    assert gate.trading_state is TradingState.HALTED
    third = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 3), inputs=BreakerInputs(*OK)
    )
    assert third.triggered == ("halted",)
    assert len(broker.received) == 1
    assert [type(r) for r in journal.typed] == [SessionStarted, DecisionRecord]
    assert journal.of_type(DecisionRecord)[0].allowed


async def test_reset_breaker_is_audited() -> None:
    """A deliberate reset re-arms the breaker and leaves a reset record with who and why."""
    _, gate, _, journal = await trading_desk()
    gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(0.0, 1e5, 80_000.0, 0.0, 0.0)
    )
    assert journal.of_type(BreakerTripped)[0].breaker == "drawdown"
    status = gate.reset_breaker("drawdown", who="cro", why="reviewed")
    assert status.state is BreakerState.ACTIVE
    [reset] = journal.of_type(BreakerReset)
    assert (reset.breaker, reset.who, reset.why) == ("drawdown", "cro", "reviewed")


async def test_listeners_see_every_record_without_a_journal(
    gate: RiskGate, aapl: Instrument
) -> None:
    """With no journal, decisions and state changes still reach a listener, with latency."""
    seen: list[AuditRecord] = []
    gate.subscribe(seen.append)
    gate.submit_with_decision(
        aapl, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(0.0, 1e5, 1e5, 200.0, 0.0)
    )
    gate.set_trading_state("HALTED", who="ops", why="test")
    session, decision, state = seen
    assert isinstance(session, SessionStarted)
    assert isinstance(decision, DecisionRecord)
    assert isinstance(state, StateChanged)
    assert decision.outcome == "allowed"
    assert decision.order_id == gate.decisions[-1].order_id
    assert isinstance(decision.latency_s, float)
    assert decision.latency_s >= 0.0
    assert state.who == "ops"


async def test_a_failing_listener_never_blocks_trading(gate: RiskGate, aapl: Instrument) -> None:
    """A listener that raises is logged; the order still passes and later listeners still run."""
    seen: list[AuditRecord] = []

    def broken(_record: AuditRecord) -> None:
        raise RuntimeError("boom")

    gate.subscribe(broken)
    gate.subscribe(seen.append)
    decision = gate.submit_with_decision(
        aapl, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(0.0, 1e5, 1e5, 200.0, 0.0)
    )
    assert decision.allowed
    assert [r.event for r in seen if isinstance(r, DecisionRecord)] == ["order.allowed"]


async def test_unsubscribe_stops_delivery(clock: ManualClock, aapl: Instrument) -> None:
    """After unsubscribe a listener gets nothing more."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    seen: list[AuditRecord] = []
    unsubscribe = gate.subscribe(seen.append)
    gate.set_trading_state("REDUCING", who="a", why="b")
    unsubscribe()
    gate.set_trading_state("ACTIVE", who="a", why="b")
    assert [r.state for r in seen if isinstance(r, StateChanged)] == ["REDUCING"]
    await broker.disconnect()
