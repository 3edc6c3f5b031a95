"""No order outside the gate, and no second gate state, from objects the README hands out."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from hydra.adapters.ib import BrokerGateway
from hydra.adapters.journal import JsonlJournal
from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.application.records import BreakerReset, ForeignOrder
from hydra.domain import (
    BreakerInputs,
    BreakerName,
    CapabilityAlreadyClaimedError,
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    NotCopyableError,
    OrderRequest,
    OrderStatus,
    PermissionDeniedError,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

AAPL = Instrument("AAPL", con_id=265598)
COPIES: tuple[Callable[[object], object], ...] = (
    copy.copy,
    copy.deepcopy,
    pickle.dumps,
)


@pytest.mark.parametrize("duplicate", COPIES, ids=["copy", "deepcopy", "pickle"])
def test_gate_adapters_capability_and_breakers_refuse_to_be_copied(
    duplicate: Callable[[object], object],
) -> None:
    """copy, deepcopy and pickle of a gate (or what it holds) raise NotCopyableError."""
    broker = SimulatedBroker()
    breakers = CircuitBreakerManager()
    gate = RiskGate(broker, breakers)
    for obj in (gate, broker, breakers, gate.broker, gate.breakers, BrokerGateway()):
        with pytest.raises(NotCopyableError, match="cannot be copied or pickled"):
            duplicate(obj)


def test_the_raw_ib_client_is_not_a_public_attribute() -> None:
    """BrokerGateway exposes no `ib`: the README hands out nothing that places orders."""
    gateway = BrokerGateway()
    assert not hasattr(gateway, "ib")
    assert not [name for name in dir(gateway) if not name.startswith("_") and "place" in name]


def test_a_manager_owned_by_a_gate_refuses_a_direct_reset() -> None:
    """The caller's CircuitBreakerManager cannot re-arm a latch without the gate's audit."""
    breakers = CircuitBreakerManager()
    breakers.check_trade(-0.05, 100_000.0, 95_000.0, 0.0, 0.0)  # latch daily loss
    RiskGate(SimulatedBroker(), breakers)
    with pytest.raises(PermissionDeniedError, match="reset_breaker"):
        breakers.reset(BreakerName.DAILY_LOSS, "sneaky")
    with pytest.raises(PermissionDeniedError, match=r"gate\.restore"):
        breakers.restore([])
    assert [t.breaker for t in breakers.latched] == [BreakerName.DAILY_LOSS]
    with pytest.raises(CapabilityAlreadyClaimedError, match="already belong"):
        RiskGate(SimulatedBroker(), breakers)


async def test_reset_through_the_gate_is_audited(clock: ManualClock) -> None:
    """gate.reset_breaker re-arms the latch and journals who and why."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    journal = MemoryJournal()
    breakers = CircuitBreakerManager(clock=clock)
    gate = RiskGate(
        broker, breakers, clock=clock, journal=journal, config=GateConfig(derive_inputs=False)
    )
    gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(-0.05, 1e5, 95e3, 0.0, 0.0)
    )
    gate.reset_breaker("daily_loss", who="risk officer", why="reviewed")
    assert breakers.latched == ()
    (reset,) = journal.of_type(BreakerReset)
    assert (reset.who, reset.why) == ("risk officer", "reviewed")


async def test_restore_is_refused_after_the_first_decision(clock: ManualClock) -> None:
    """A gate that has judged an order cannot have its memory rewritten by restore()."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    gate.restore([])
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    with pytest.raises(PermissionDeniedError, match="fresh gate"):
        gate.restore([{"kind": "state", "state": "ACTIVE"}])


async def test_a_foreign_order_counts_alerts_and_is_cancelled_by_the_kill_switch(
    clock: ManualClock,
) -> None:
    """An order another client placed reserves exposure, is audited, and the kill cancels it."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    journal = MemoryJournal()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, journal=journal)
    foreign = broker.inject_foreign_order(AAPL, OrderRequest.limit(Side.BUY, 90, 199.0))
    assert foreign.foreign
    (alert,) = journal.of_type(ForeignOrder)
    assert alert.order_id == foreign.order_id
    assert gate.exposure(AAPL).buying == 90
    # 90 working + 20 = 110 x 200 = 22k of 100k: past the 20 % limit only with the foreign order.
    assert (
        "position_size"
        in gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 20)).triggered
    )
    report = await gate.kill_switch(who="ops", why="foreign order")
    assert report.cancelled == (foreign.order_id,)
    assert foreign.status is OrderStatus.CANCELLED
    assert gate.trading_state is TradingState.HALTED
    assert gate.exposure(AAPL).buying == 0


async def test_a_closed_gate_sends_nothing(clock: ManualClock, tmp_path: Path) -> None:
    """After gate.close() the write-ahead record cannot be written, so nothing is sent."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    journal = JsonlJournal(tmp_path / "j.jsonl", "never", account="SIM0001")
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, journal=journal)
    gate.close()
    decision = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1))
    assert decision.triggered == ("journal_failed",)
    assert broker.received == []
    assert gate.trading_state is TradingState.HALTED


def test_gate_breakers_view_cannot_reset_without_an_audit() -> None:
    """gate.breakers is read-only: resets go through gate.reset_breaker (audited)."""
    gate = RiskGate(SimulatedBroker(), CircuitBreakerManager())
    for name in ("reset", "restore", "check_trade", "evaluate", "evaluate_inputs"):
        assert not hasattr(gate.breakers, name), name
    assert len(gate.breakers.status()) == 4
