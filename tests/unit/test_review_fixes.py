"""Regression tests for safety gaps found in review: each pins the fail-closed behaviour."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from ib_async import Contract, Order

from hydra.adapters.ib import instrument_from_ib, order_request_from_ib
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.container import build_container
from hydra.domain import (
    BreakerConfig,
    CircuitBreakerManager,
    ConfigError,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderLimitChecker,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    Quote,
    SecurityType,
    SessionSchedule,
    Side,
    TradingState,
    shrinks_position,
)
from hydra.testing import MemoryJournal

OK: tuple[float, ...] = ()  # no caller inputs: the gate derives them
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
STOCK = Instrument("AAPL", con_id=265598)
OPTION = Instrument("AAPL", SecurityType.OPTION, con_id=500_000_001, multiplier=100.0)


async def _sim(*instruments: Instrument) -> tuple[SimulatedBroker, ManualClock]:
    clock = ManualClock(NOW)
    broker = SimulatedBroker(instruments or (STOCK,), {"AAPL": 200.0}, clock=clock, cash=1e6)
    await broker.connect()
    return broker, clock


async def test_reducing_tells_a_stock_from_an_option_on_it() -> None:
    """Long the stock: the option on it (same symbol, other contract id) is still flat.

    The ledger keys exposure by contract id, so selling the option would open a new
    short, which REDUCING refuses; an option the broker never qualified is refused too.
    """
    broker, clock = await _sim(STOCK)
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, limits=None)
    assert gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 50), *OK).allowed
    assert gate.exposure(STOCK).position == 50
    assert gate.exposure(OPTION).position == 0
    assert not shrinks_position(gate.exposure(OPTION).position, 0.0, -5.0)
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    option_sale = gate.submit_with_decision(OPTION, OrderRequest.market(Side.SELL, 5), *OK)
    assert option_sale.triggered == ("unqualified",)
    assert gate.submit_with_decision(STOCK, OrderRequest.market(Side.SELL, 5), *OK).allowed


async def test_position_size_never_blocks_an_order_that_shrinks_the_position() -> None:
    """An oversized position can be reduced: the size breaker only blocks growth."""
    broker, clock = await _sim()
    gate = RiskGate(
        broker, CircuitBreakerManager(clock=clock), clock=clock, limits=None, derive_inputs=True
    )
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 900), 0.0, 1e6, 1e6, 0.0, 0.0)
    broker.set_price("AAPL", 250.0)  # 900 x 250 = 225k of ~1.05M: 21 % of equity
    grow = gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1))
    assert "position_size" in grow.triggered
    shrink = gate.submit_with_decision(STOCK, OrderRequest.market(Side.SELL, 1))
    assert shrink.allowed, shrink.reasons


async def test_derived_trade_loss_rearms_after_its_cooldown() -> None:
    """One losing trade trips the trade-loss breaker once; after the cooldown it re-arms."""
    broker, clock = await _sim()
    config = BreakerConfig(trade_loss_cooldown=timedelta(minutes=15))
    gate = RiskGate(
        broker, CircuitBreakerManager(config, clock), clock=clock, limits=None, derive_inputs=True
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


async def test_kill_switch_does_not_flatten_under_a_working_order() -> None:
    """If a cancel fails, that position is not flattened (it could overshoot) and is reported."""
    broker, clock = await _sim()
    journal = MemoryJournal()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, journal=journal)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 10), *OK)
    gate.submit_with_decision(STOCK, OrderRequest.limit(Side.SELL, 10, 205.0), *OK)
    broker.drop_connection()  # cancels fail; nothing can be flattened
    report = await gate.kill_switch(who="ops", why="test", flatten=True)
    assert report.flattened == ()
    assert report.failed
    assert report.not_flattened
    [kill] = journal.of_kind("kill")
    assert kill["not_flattened"]
    await broker.connect()
    assert [p.quantity for p in broker.positions()] == [10]


async def test_kill_switch_flattens_after_the_cancels_are_confirmed() -> None:
    """With cancels confirmed, flatten closes exactly the position: no overshoot."""
    broker, clock = await _sim()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 10), *OK)
    resting = gate.submit_with_decision(STOCK, OrderRequest.limit(Side.SELL, 10, 205.0), *OK)
    report = await gate.kill_switch(who="ops", why="test", flatten=True)
    assert resting.handle is not None
    assert resting.handle.status is OrderStatus.CANCELLED
    assert len(report.flattened) == 1
    assert broker.positions() == []


async def test_broker_failure_is_kept_as_the_last_decision() -> None:
    """A failed hand-off is in the decision history with a broker.error reason."""
    broker, clock = await _sim()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    broker.fail_next_submits(1)
    with pytest.raises(Exception, match="hand-off"):
        gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1), *OK)
    assert gate.last_decision is not None
    assert gate.last_decision.triggered == ("broker_error",)
    assert not gate.last_decision.allowed


def test_gate_breakers_view_cannot_reset_without_an_audit() -> None:
    """gate.breakers is read-only: resets go through gate.reset_breaker (audited)."""
    gate = RiskGate(SimulatedBroker(), CircuitBreakerManager())
    for name in ("reset", "restore", "check_trade", "evaluate", "evaluate_inputs"):
        assert not hasattr(gate.breakers, name), name
    assert len(gate.breakers.status()) == 4


def test_future_dated_prices_are_refused() -> None:
    """A fed price dated in the future is refused; a future quote never counts as fresh."""
    gate = RiskGate(
        SimulatedBroker(clock=ManualClock(NOW)), CircuitBreakerManager(), clock=ManualClock(NOW)
    )
    with pytest.raises(InvalidInputError, match="at"):
        gate.update_price("AAPL", 200.0, at=NOW + timedelta(hours=5))
    checker = OrderLimitChecker(OrderLimits())
    reasons = checker.check(
        STOCK, OrderRequest.market(Side.BUY, 1), Quote(200.0, NOW + timedelta(hours=1)), NOW
    )
    assert [r.code for r in reasons] == ["price.future"]


def test_session_boundary_is_right_in_the_repeated_dst_hour() -> None:
    """On the DST fall-back night the boundary is computed in UTC, never in the past."""
    schedule = SessionSchedule("America/New_York", time(1, 30))
    now = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST, the second 01:xx
    assert schedule.session_start(now).astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert schedule.next_boundary(now) > now


def test_converters_reject_unsupported_ib_values_by_field() -> None:
    """An unknown secType or time in force is an InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError, match="sec_type"):
        instrument_from_ib(Contract(secType="ZZZ", symbol="X"))
    with pytest.raises(InvalidInputError, match="tif"):
        order_request_from_ib(Order(action="BUY", totalQuantity=1, orderType="MKT", tif="XYZ"))
    assert (
        order_request_from_ib(
            Order(action="BUY", totalQuantity=1, orderType="MKT", tif="GTD")
        ).tif.value
        == "GTD"
    )


def _write(path: Path, records: list[dict[str, object]], tail: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_a_damaged_journal_restores_halted(tmp_path: Path) -> None:
    """A torn last record may have been a HALT: the rebuilt gate starts HALTED."""
    path = tmp_path / "j.jsonl"
    _write(path, [{"kind": "state", "state": "ACTIVE", "time": NOW.isoformat()}], '{"kind": "st')
    gate = build_container(env={}, overrides={"journal": {"path": str(path)}}).risk_gate()
    assert gate.trading_state is TradingState.HALTED


def test_a_malformed_journal_record_is_a_config_error_naming_it(tmp_path: Path) -> None:
    """A trip record missing its fields stops start-up with an error naming the record."""
    path = tmp_path / "j.jsonl"
    _write(path, [{"kind": "session", "start": NOW.isoformat(), "equity": 1.0}, {"kind": "trip"}])
    with pytest.raises(ConfigError, match="journal record 2"):
        build_container(env={}, overrides={"journal": {"path": str(path)}}).risk_gate()
