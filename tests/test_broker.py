"""The seed's BrokerGateway cases (``python -m pytest tests/test_broker.py``).

The delegation cases use ``unittest.mock`` for ib_async's IB, as the seed did; everything
else about BrokerGateway is tested against the real client in ``tests/integration``.
"""

from __future__ import annotations

from datetime import UTC
from unittest.mock import AsyncMock, MagicMock, patch

import pytest

from hydra.domain import (
    ConnectionState,
    Instrument,
    LiveTradingNotAllowedError,
    OrderRequest,
    Side,
)
from hydra.execution.broker import LIVE_CONFIRMATION, BrokerGateway


def test_defaults_are_paper_gateway_trading_client() -> None:
    """BrokerGateway() is 127.0.0.1:4002, client 1, not read-only, paper."""
    gateway = BrokerGateway()
    assert (gateway.host, gateway.port, gateway.client_id) == ("127.0.0.1", 4002, 1)
    assert gateway.readonly is False
    assert gateway.is_paper is True
    assert {4001, 7496} == BrokerGateway.LIVE_PORTS
    assert {4002, 7497} == BrokerGateway.PAPER_PORTS


@pytest.mark.parametrize(
    ("port", "paper"), [(4001, False), (4002, True), (7496, False), (7497, True)]
)
def test_is_paper_by_port(port: int, paper: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paper ports report is_paper; live ports (opted in) do not."""
    monkeypatch.setenv("HYDRA_BROKER_LIVE_CONFIRMATION", LIVE_CONFIRMATION)
    assert BrokerGateway(port=port, allow_live=True).is_paper is paper


def test_construction_needs_no_running_gateway() -> None:
    """Building a gateway does not connect; it reports DISCONNECTED."""
    gateway = BrokerGateway(port=4002)
    assert gateway.is_connected() is False
    assert gateway.connection_state is ConnectionState.DISCONNECTED


@pytest.mark.parametrize("port", [4001, 7496])
def test_live_port_without_opt_in_is_refused_with_instructions(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live port needs allow_live AND the confirmation; the error says how."""
    monkeypatch.delenv("HYDRA_BROKER_LIVE_CONFIRMATION", raising=False)
    with pytest.raises(LiveTradingNotAllowedError, match="allow_live=True") as caught:
        BrokerGateway(port=port)
    assert "HYDRA_BROKER_LIVE_CONFIRMATION" in str(caught.value)
    with pytest.raises(LiveTradingNotAllowedError):
        BrokerGateway(port=port, allow_live=True)  # argument alone is not enough
    with pytest.raises(LiveTradingNotAllowedError):
        BrokerGateway(port=port, live_confirmation=LIVE_CONFIRMATION)  # nor confirmation alone
    assert not BrokerGateway(
        port=port, allow_live=True, live_confirmation=LIVE_CONFIRMATION
    ).is_paper


def _mocked_ib() -> MagicMock:
    ib = MagicMock(name="IB")
    ib.isConnected.return_value = True
    ib.connectAsync = AsyncMock()
    ib.managedAccounts.return_value = ["DU123456"]
    # What the gateway's order door reads of ib_async's wrapper (see place_new_order).
    ib.wrapper.trades = {}
    ib.wrapper.clientId = 1
    ib.wrapper.defaultTimezone = UTC
    return ib


async def test_submit_sends_the_order_once_through_the_client() -> None:
    """The capability converts the domain order and sends it once through ib_async's client."""
    ib = _mocked_ib()
    ib.client.getReqId.return_value = 7
    with patch("hydra.adapters.ib.gateway.IB", return_value=ib):
        gateway = BrokerGateway()
    await gateway.connect()
    capability = gateway.claim_submit_capability()
    handle = capability.submit_order(Instrument("AAPL"), OrderRequest.limit(Side.BUY, 10, 150.0))
    ib.client.placeOrder.assert_called_once()
    order_id, contract, order = ib.client.placeOrder.call_args.args
    assert (order_id, contract.symbol, order.action, order.totalQuantity, order.lmtPrice) == (
        7,
        "AAPL",
        "BUY",
        10,
        150.0,
    )
    assert handle.order_id == 7
    trade = handle.trade  # type: ignore[attr-defined]
    assert trade.order is order
    assert list(ib.wrapper.trades.values()) == [trade]  # followed as IB.placeOrder would
    ib.newOrderEvent.emit.assert_called_once_with(trade)
    await gateway.disconnect()


async def test_cancel_delegates_to_cancel_order() -> None:
    """cancel_order hands the handle's ib_async Order to IB.cancelOrder."""
    ib = _mocked_ib()
    ib.client.getReqId.return_value = 8
    with patch("hydra.adapters.ib.gateway.IB", return_value=ib):
        gateway = BrokerGateway()
    await gateway.connect()
    handle = gateway.claim_submit_capability().submit_order(
        Instrument("AAPL"), OrderRequest.market(Side.BUY, 1)
    )
    await gateway.cancel_order(handle)
    ib.cancelOrder.assert_called_once_with(handle.trade.order)  # type: ignore[attr-defined]
    assert handle.trade.order.orderId == 8  # type: ignore[attr-defined]
    await gateway.disconnect()


async def test_reconnect_gives_up_after_max_attempts() -> None:
    """reconnect() tries once per backoff delay, then raises ConnectionError."""
    ib = _mocked_ib()
    ib.connectAsync.side_effect = ConnectionRefusedError("refused")
    with patch("hydra.adapters.ib.gateway.IB", return_value=ib):
        gateway = BrokerGateway(reconnect_delays=[0.0] * 10)
    with pytest.raises(ConnectionError, match="after 10 attempts"):
        await gateway.reconnect()
    assert ib.connectAsync.await_count == 10
    assert gateway.connection_state is ConnectionState.DISCONNECTED


def test_default_backoff_doubles_and_caps_at_30_seconds() -> None:
    """The default backoff is 1, 2, 4, 8, 16, then 30 s, for ten attempts."""
    assert BrokerGateway().reconnect_delays == (1, 2, 4, 8, 16, 30, 30, 30, 30, 30)
