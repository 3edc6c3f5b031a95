"""The seed's RiskGate acceptance cases (``python -m pytest tests/test_risk_gate.py``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from unittest.mock import AsyncMock, MagicMock

import pytest
from structlog.testing import capture_logs

from hydra.adapters.sim import SimulatedBroker
from hydra.domain import (
    AccountSnapshot,
    CapabilityAlreadyClaimedError,
    ConnectionState,
    ContractSpec,
    Instrument,
    MarginImpact,
    OrderRequest,
    Quote,
    Side,
    TradingHours,
)
from hydra.execution import RiskGate
from hydra.risk.circuit_breakers import CircuitBreakerManager

HEALTHY = {
    "daily_pnl": 0.0,
    "peak_equity": 100_000.0,
    "current_equity": 100_000.0,
    "position_value": 1_000.0,
    "trade_loss": 0.0,
}


CONTRACT = Instrument("AAPL", con_id=265598)
ORDER = OrderRequest.market(Side.BUY, 10)


def _mock_broker() -> tuple[MagicMock, MagicMock]:
    """A broker double whose capability records submit_order (seed delegation tests)."""
    capability = MagicMock(name="capability")
    broker = MagicMock(name="broker")
    broker.claim_submit_capability.return_value = capability
    broker.connection_state = ConnectionState.CONNECTED
    broker.cancel_order = AsyncMock()
    broker.positions.return_value = []
    broker.account.return_value = AccountSnapshot("DU123456", 100_000.0, 100_000.0)
    # The broker's answers every check asks for: economics and hours, margin, shortability.
    broker.contract_spec.return_value = dataclasses.replace(
        ContractSpec.of(CONTRACT), hours=TradingHours.around_the_clock()
    )
    broker.margin_impact.return_value = MarginImpact(0.0, 1_500.0, 100_000.0)
    broker.shortable_shares.return_value = None
    broker.open_orders.return_value = []
    broker.reference_price.return_value = Quote(150.0, datetime.now(UTC))
    return broker, capability


async def test_allowed_order_delegates_to_broker_and_returns_handle() -> None:
    """An order that passes every breaker is handed to the broker; its handle comes back."""
    broker, capability = _mock_broker()
    gate = RiskGate(broker, CircuitBreakerManager())
    handle = await gate.submit(CONTRACT, ORDER, **HEALTHY)
    capability.submit_order.assert_called_once_with(CONTRACT, ORDER)
    assert handle is capability.submit_order.return_value


async def test_daily_loss_blocks_and_broker_is_never_called() -> None:
    """daily_pnl = -0.05 trips the -2 % daily-loss breaker: None, and no broker call."""
    broker, capability = _mock_broker()
    gate = RiskGate(broker, CircuitBreakerManager())
    inputs = {**HEALTHY, "daily_pnl": -0.05, "current_equity": 95_000.0}
    assert await gate.submit(CONTRACT, ORDER, **inputs) is None
    capability.submit_order.assert_not_called()
    assert gate.last_decision is not None
    assert gate.last_decision.triggered == ("daily_loss",)


async def test_several_simultaneous_triggers_are_all_logged() -> None:
    """Every breaker that trips on one order is named in the block's log record."""
    broker, capability = _mock_broker()
    gate = RiskGate(broker, CircuitBreakerManager())
    with capture_logs() as logs:
        result = await gate.submit(
            CONTRACT,
            ORDER,
            daily_pnl=-0.05,
            peak_equity=100_000.0,
            current_equity=80_000.0,
            position_value=50_000.0,
            trade_loss=0.02,
        )
    assert result is None
    capability.submit_order.assert_not_called()
    blocked = [entry for entry in logs if entry["event"] == "order.blocked"]
    assert len(blocked) == 1
    assert blocked[0]["log_level"] == "warning"
    assert blocked[0]["triggered"] == ["daily_loss", "drawdown", "position_size", "trade_loss"]


async def test_cancel_delegates_to_broker() -> None:
    """RiskGate.cancel hands the handle to the broker's cancel_order."""
    broker, _ = _mock_broker()
    gate = RiskGate(broker, CircuitBreakerManager())
    handle = MagicMock(name="handle")
    await gate.cancel(handle)
    broker.cancel_order.assert_awaited_once_with(handle)


def test_broker_view_has_no_submit() -> None:
    """gate.broker exposes reads and cancel but nothing that can place an order."""
    gate = RiskGate(SimulatedBroker(), CircuitBreakerManager())
    view = gate.broker
    for name in (
        "submit",
        "submit_order",
        "submit_list",
        "modify_order",
        "claim_submit_capability",
        "place_order",
        "margin_impact",  # a whatIf order goes over the trading connection: the gate's
    ):
        assert not hasattr(view, name), name
    public = {name for name in dir(view) if not name.startswith("_")}
    assert public == {
        "account",
        "exchange_rate",
        "shortable_shares",
        "cancel_order",
        "connection_state",
        "contract_chain",
        "contract_spec",
        "get_account_summary",
        "get_positions",
        "is_connected",
        "open_orders",
        "positions",
        "qualify_contract",
        "reconnects",
        "reference_price",
    }


def test_second_claim_of_the_capability_raises() -> None:
    """A second RiskGate over the same broker cannot claim its submit capability."""
    broker = SimulatedBroker()
    RiskGate(broker, CircuitBreakerManager())
    with pytest.raises(CapabilityAlreadyClaimedError, match="already claimed"):
        RiskGate(broker, CircuitBreakerManager())
