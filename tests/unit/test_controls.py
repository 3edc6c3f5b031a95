"""The gate's desk controls over the simulator: state, kill switch, derived inputs, memory."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hydra.adapters.journal import read_journal
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.container import build_container
from hydra.domain import (
    BreakerState,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

OK = (0.0, 100_000.0, 100_000.0, 1_000.0, 0.0)
AAPL = Instrument("AAPL")
NY_MORNING = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 New York


async def _setup(
    *, derive: bool = False, latency: float = 0.0, limits: OrderLimits | None = None
) -> tuple[SimulatedBroker, RiskGate, ManualClock, MemoryJournal]:
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    broker.set_latency(latency)
    journal = MemoryJournal()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=limits if limits is not None else OrderLimits(),
        journal=journal,
        clock=clock,
        derive_inputs=derive,
    )
    return broker, gate, clock, journal


async def test_halted_admits_nothing_and_is_checked_first() -> None:
    """HALTED blocks every order, and is the only reason given even when others apply."""
    broker, gate, _, journal = await _setup()
    gate.set_trading_state(TradingState.HALTED, who="ops", why="market turmoil")
    broker.drop_connection()
    decision = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), *OK)
    assert decision.triggered == ("halted",)
    assert broker.received == []
    [state] = journal.of_kind("state")
    assert (state["previous"], state["state"], state["who"], state["why"]) == (
        "ACTIVE",
        "HALTED",
        "ops",
        "market turmoil",
    )


def test_trading_state_changes_need_a_known_state_and_a_reason() -> None:
    """An unknown state or a missing who/why is refused by name."""
    gate = RiskGate(SimulatedBroker(), CircuitBreakerManager())
    with pytest.raises(InvalidInputError, match="state"):
        gate.set_trading_state("PAUSED", who="ops", why="x")
    with pytest.raises(InvalidInputError, match="why"):
        gate.set_trading_state(TradingState.HALTED, who="ops", why=" ")
    assert gate.trading_state is TradingState.ACTIVE


async def test_reducing_admits_only_orders_that_shrink_the_position() -> None:
    """REDUCING: from flat nothing passes; a partial sell of a long passes; a flip is blocked."""
    broker, gate, _, _ = await _setup()
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    assert gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 5), *OK).triggered == (
        "reducing",
    )
    gate.set_trading_state(TradingState.ACTIVE, who="ops", why="build a position")
    assert gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 10), *OK).allowed
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    flip = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 15), *OK)
    assert flip.triggered == ("reducing",)
    grow = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), *OK)
    assert grow.triggered == ("reducing",)
    shrink = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 4), *OK)
    assert shrink.allowed
    assert broker.positions()[0].quantity == 6


async def test_reducing_counts_orders_in_flight() -> None:
    """REDUCING judges against position plus working orders: two sells cannot jointly flip."""
    broker, gate, _, _ = await _setup()
    assert gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 10), *OK).allowed
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    resting = OrderRequest.limit(Side.SELL, 6, 205.0)
    assert gate.submit_with_decision(AAPL, resting, *OK).allowed
    second = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.SELL, 6, 206.0), *OK)
    assert second.triggered == ("reducing",)
    third = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.SELL, 4, 206.0), *OK)
    assert third.allowed
    assert len(broker.received) == 3


async def test_kill_switch_halts_cancels_and_reports() -> None:
    """One call: HALTED first, every open order cancelled, ids returned, all audited."""
    broker, gate, _, journal = await _setup()
    first = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.BUY, 5, 195.0), *OK)
    second = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.BUY, 3, 196.0), *OK)
    report = await gate.kill_switch(who="risk desk", why="runaway algo")
    assert gate.trading_state is TradingState.HALTED
    assert sorted(report.cancelled) == sorted([first.order_id, second.order_id])
    assert report.failed == ()
    assert broker.open_orders() == []
    assert not gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), *OK).allowed
    [kill] = journal.of_kind("kill")
    assert kill["who"] == "risk desk"
    assert sorted(kill["cancelled"]) == sorted(report.cancelled)


async def test_kill_switch_reports_cancels_that_fail() -> None:
    """A cancel that fails (connection down) is reported per order, not raised."""
    broker, gate, _, _ = await _setup()
    handle = gate.submit_with_decision(AAPL, OrderRequest.limit(Side.BUY, 5, 195.0), *OK).handle
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
    broker, gate, _, journal = await _setup()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 10), *OK)
    gate.submit_with_decision(Instrument("MSFT"), OrderRequest.market(Side.SELL, 4), *OK)
    report = await gate.kill_switch(who="ops", why="flatten all", flatten=True)
    assert len(report.flattened) == 2
    assert all(h.status is OrderStatus.FILLED for h in report.flattened)
    assert broker.positions() == []
    assert len(journal.of_kind("flatten")) == 2


async def test_reset_breaker_is_audited() -> None:
    """A deliberate reset re-arms the breaker and leaves a reset record with who and why."""
    _, gate, _, journal = await _setup()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), 0.0, 1e5, 80_000.0, 0.0, 0.0)
    assert journal.of_kind("trip")[0]["breaker"] == "drawdown"
    status = gate.reset_breaker("drawdown", who="cro", why="reviewed")
    assert status.state is BreakerState.ACTIVE
    [reset] = journal.of_kind("reset")
    assert (reset["breaker"], reset["who"], reset["why"]) == ("drawdown", "cro", "reviewed")


async def test_caller_inputs_are_required_unless_derived() -> None:
    """Without derivation, missing or partial breaker inputs block, naming the first missing."""
    broker, gate, _, _ = await _setup(derive=False)
    none = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    assert none.triggered == ("invalid_daily_pnl",)
    partial = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 2), 0.0, 1e5, 1e5, None, 0.0
    )
    assert partial.triggered == ("invalid_position_value",)
    assert broker.received == []


async def test_derived_inputs_follow_the_account() -> None:
    """Derived: equity from the account, daily P&L from the session start, peak tracked."""
    broker, gate, _, journal = await _setup(derive=True)
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
    assert journal.of_kind("session")[0]["equity"] == pytest.approx(100_000.0)


async def test_stricter_of_caller_and_derived_wins() -> None:
    """A caller claiming all is well cannot override a derived loss, and vice versa."""
    broker, gate, _, _ = await _setup(derive=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 50))
    broker.set_price("AAPL", 150.0)
    rosy = gate.submit_with_decision(
        Instrument("MSFT"), OrderRequest.market(Side.BUY, 1), 0.0, 1.0, 1e9, 0.0, 0.0
    )
    assert "daily_loss" in rosy.triggered
    broker.set_price("AAPL", 200.0)
    gloomy = gate.submit_with_decision(
        Instrument("IBM"), OrderRequest.market(Side.BUY, 1), 0.0, 1e5, 1e5, 0.0, 0.05
    )
    assert "trade_loss" in gloomy.triggered


async def test_derived_trade_loss_comes_from_the_last_closed_trade() -> None:
    """A losing round trip of more than 1 % of equity trips the trade-loss breaker."""
    broker, gate, _, _ = await _setup(derive=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 90))
    broker.set_price("AAPL", 185.0)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 90))  # realizes -1,350
    after = gate.submit_with_decision(Instrument("MSFT"), OrderRequest.market(Side.BUY, 1))
    assert "trade_loss" in after.triggered
    assert after.inputs is not None
    assert after.inputs.trade_loss == pytest.approx(1_350.0 / after.inputs.current_equity)


async def test_exposure_is_reserved_by_orders_in_flight() -> None:
    """Concurrent buys with no fills in between: only those that fit the position limit pass."""
    broker, gate, _, _ = await _setup(derive=True, latency=0.05)
    orders = [OrderRequest.market(Side.BUY, 30 + n) for n in range(10)]  # ~6-8k each at 200
    results = await asyncio.gather(*(gate.submit(AAPL, order) for order in orders))
    handles = [h for h in results if h is not None]
    assert 1 <= len(handles) < len(orders)
    reserved = sum(h.request.quantity for h in handles) * 200.0
    assert reserved <= 0.20 * 100_000.0
    assert len(broker.received) == len(handles)
    await asyncio.gather(*(h.wait(timeout=1) for h in handles))


async def test_fail_closed_without_a_price_to_value_the_position() -> None:
    """Derived mode with no price to value the position blocks with input.unavailable."""
    sim_without_price = SimulatedBroker(prices={}, clock=ManualClock(NY_MORNING))
    await sim_without_price.connect()
    gate = RiskGate(sim_without_price, CircuitBreakerManager(), derive_inputs=True)
    decision = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    assert "unavailable_position_value" in decision.triggered
    assert "price_missing" in decision.triggered
    assert sim_without_price.received == []


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
    journal = _FullDiskJournal(3)  # room for the session start and the first order
    gate = RiskGate(broker, CircuitBreakerManager(), journal=journal, clock=clock)
    first = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), *OK)
    assert first.allowed
    assert gate.trading_state is TradingState.ACTIVE
    second = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 2), *OK)
    assert not second.allowed
    assert second.triggered == ("journal_failed",)
    assert gate.trading_state is TradingState.HALTED
    third = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 3), *OK)
    assert third.triggered == ("halted",)
    assert len(broker.received) == 1
    events = [r["event"] for r in journal.records]
    assert events == ["gate.session_start", "order.allowed", "order.sent"]


async def test_exactly_one_audit_record_per_submit_attempt() -> None:
    """One decision record per attempt (ahead of any hand-off), one outcome per send."""
    broker, gate, _, journal = await _setup()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), *OK)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 2), 0.0, 1e5, 1e5, 9e4, 0.0)
    broker.fail_next_submits(1)
    with pytest.raises(Exception, match="hand-off"):
        gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 3), *OK)
    outcomes = [r["outcome"] for r in journal.of_kind("decision")]
    assert outcomes == ["allowed", "blocked", "allowed"]
    assert [r["seq"] for r in journal.of_kind("decision")] == [1, 2, 3]
    sent = [(r["seq"], r["event"]) for r in journal.of_kind("order")]
    assert sent == [(1, "order.sent"), (3, "order.broker_error")]
    kinds = [r["kind"] for r in journal.records if r["kind"] in ("decision", "order")]
    assert kinds == ["decision", "order", "decision", "decision", "order"]


async def test_daily_loss_resets_at_the_session_boundary_with_a_new_start_equity() -> None:
    """After New York midnight the latched daily loss clears and a new session starts."""
    broker, gate, clock, journal = await _setup(derive=True)
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 50))
    broker.set_price("AAPL", 150.0)
    assert (
        "daily_loss" in gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 1)).triggered
    )
    clock.advance(timedelta(hours=15))  # 01:00 New York next day
    broker.set_price("AAPL", 150.0)  # a fresh quote in the new session
    next_day = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 2))
    assert next_day.allowed, next_day.reasons
    sessions = journal.of_kind("session")
    assert len(sessions) == 2
    assert sessions[1]["equity"] == pytest.approx(97_500.0)


def test_rebuilt_gate_comes_back_tripped_until_reset(tmp_path: Path) -> None:
    """A drawdown trip survives a rebuild from the same config and journal; a reset clears it."""
    path = tmp_path / "journal.jsonl"
    overrides = {"journal": {"path": str(path)}, "gate": {"derive_inputs": False}}

    async def session(inputs: tuple[float, ...]) -> RiskGate:
        container = build_container(env={}, overrides=overrides)
        broker = container.sim_broker()
        await broker.connect()
        gate: RiskGate = container.risk_gate()
        gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), *inputs)
        return gate

    first = asyncio.run(session((0.0, 100_000.0, 85_000.0, 0.0, 0.0)))
    assert first.last_decision is not None
    assert first.last_decision.triggered == ("drawdown",)
    second = asyncio.run(session(OK))
    assert second.last_decision is not None
    assert second.last_decision.triggered == ("drawdown",)
    second.reset_breaker("drawdown", who="cro", why="loss reviewed")
    third = asyncio.run(session(OK))
    assert third.last_decision is not None
    assert third.last_decision.allowed
    kinds = [r["kind"] for r in read_journal(path).records]
    assert kinds.count("restore") == 2
    assert kinds.count("reset") == 1


def test_halted_state_survives_a_rebuild(tmp_path: Path) -> None:
    """A gate rebuilt from a journal that says HALTED comes back HALTED (fail closed)."""
    path = tmp_path / "journal.jsonl"
    overrides = {"journal": {"path": str(path)}}
    container = build_container(env={}, overrides=overrides)
    container.risk_gate().set_trading_state(TradingState.HALTED, who="ops", why="end of day")
    rebuilt = build_container(env={}, overrides=overrides).risk_gate()
    assert rebuilt.trading_state is TradingState.HALTED
