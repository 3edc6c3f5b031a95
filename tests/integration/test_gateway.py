"""BrokerGateway with the real ib_async client against FakeIBGateway over loopback."""

from __future__ import annotations

import asyncio
import logging

import pytest
from ib_async import IB, LimitOrder
from structlog.testing import capture_logs

from hydra.adapters.ib import BrokerGateway, ClientIdInUseError, IBOrderHandle
from hydra.adapters.ib.orders import place_new_order
from hydra.application import RiskGate
from hydra.domain import (
    BrokerNotConnectedError,
    CircuitBreakerManager,
    ConnectionState,
    Instrument,
    LiveTradingNotAllowedError,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    PermissionDeniedError,
    Side,
)
from hydra.testing import FakeIBGateway
from hydra.testing.contract import OK, eventually
from tests.integration.gateway_harness import make_gateway
from tests.integration.ib_async_kit import Clients, qualified

pytestmark = pytest.mark.integration


async def test_connect_logs_the_mode(fake_gateway: FakeIBGateway) -> None:
    """Init and connect both log paper mode with the endpoint and client id."""
    with capture_logs() as logs:
        gateway = make_gateway(fake_gateway)
        await gateway.connect()
        await gateway.disconnect()
    events = {entry["event"]: entry for entry in logs}
    assert events["gateway.init"]["mode"] == "paper"
    assert events["gateway.connected"]["mode"] == "paper"
    assert events["gateway.connected"]["accounts"] == ["DU123456"]
    assert events["gateway.connected"]["client_id"] == 1


async def test_fill_shows_in_positions_and_account_like_the_gateway_says(
    fake_gateway: FakeIBGateway,
) -> None:
    """After a fill through the gate, positions and equity match the fake's own books."""
    fake_gateway.set_price("MSFT", 400.0)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())
    msft = await gate.broker.qualify_contract(Instrument("MSFT"))
    handle = await gate.submit(msft, OrderRequest.market(Side.BUY, 25), *OK)
    assert handle is not None
    assert await handle.wait(timeout=5) is OrderStatus.FILLED
    await eventually(lambda: gate.broker.account().cash == fake_gateway.cash)
    account = gate.broker.account()
    assert account.net_liquidation == pytest.approx(fake_gateway.net_liquidation())
    assert account.account == "DU123456"
    assert {p.symbol: p.quantity for p in gate.broker.positions()} == {"MSFT": 25}
    assert isinstance(handle, IBOrderHandle)
    assert handle.trade.orderStatus.status == "Filled"
    await gateway.disconnect()


async def test_same_client_id_twice_in_one_process_is_refused_before_the_broker(
    fake_gateway: FakeIBGateway,
) -> None:
    """A second gateway with the same id and endpoint fails at once, without connecting."""
    first = make_gateway(fake_gateway)
    await first.connect()
    second = make_gateway(fake_gateway)
    with pytest.raises(ClientIdInUseError, match="another BrokerGateway in this process"):
        await second.connect()
    assert fake_gateway.connected_client_ids() == {1}
    await first.disconnect()
    await second.connect()  # released by a deliberate disconnect
    await second.disconnect()


async def test_client_id_taken_by_another_process_gives_a_clear_error(
    fake_gateway: FakeIBGateway,
) -> None:
    """When the gateway refuses the id (error 326), connect raises ClientIdInUseError."""
    other = IB()
    await other.connectAsync("127.0.0.1", fake_gateway.port, clientId=1, timeout=2)
    gateway = make_gateway(fake_gateway, connect_timeout=1.0)
    with pytest.raises(ClientIdInUseError, match="client id 1"):
        await gateway.connect()
    assert gateway.connection_state is ConnectionState.DISCONNECTED
    assert other.isConnected()
    other.disconnect()


async def test_no_gateway_listening_is_a_clear_connection_error() -> None:
    """Connecting to a port where nothing listens raises BrokerNotConnectedError."""
    fake = FakeIBGateway()
    await fake.start()
    port = fake.port
    await fake.stop()
    gateway = BrokerGateway(port=port, connect_timeout=1.0)
    with pytest.raises(BrokerNotConnectedError, match="is IB Gateway/TWS running"):
        await gateway.connect()


async def test_kill_reconnect_resync_keeps_tracking_and_sends_nothing_twice(
    fake_gateway: FakeIBGateway,
) -> None:
    """A resting order survives a gateway restart: same handle fills later; no re-submits."""
    fake_gateway.set_price("AAPL", 200.0)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    resting = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 10, 190.0), *OK)
    assert resting is not None
    await eventually(lambda: resting.status is OrderStatus.SUBMITTED)
    old_trade = resting.trade  # type: ignore[attr-defined]

    with capture_logs() as logs:
        await fake_gateway.kill()
        await eventually(lambda: gateway.connection_state is not ConnectionState.CONNECTED)
        assert await gate.submit(aapl, OrderRequest.market(Side.BUY, 1), *OK) is None
        await fake_gateway.restart()
        await eventually(gateway.is_connected, timeout=10)
    events = [entry["event"] for entry in logs]
    assert "gateway.connection_lost" in events
    assert "gateway.reconnect_attempt" in events
    assert "gateway.resynced" in events
    assert resting.trade is not old_trade  # type: ignore[attr-defined]
    assert [h.order_id for h in gate.broker.open_orders()] == [resting.order_id]

    fake_gateway.set_price("AAPL", 189.0)
    assert await resting.wait(timeout=5) is OrderStatus.FILLED
    fresh = await gate.submit(aapl, OrderRequest.market(Side.BUY, 2), *OK)
    assert fresh is not None
    assert await fresh.wait(timeout=5) is OrderStatus.FILLED
    orders = [o.order_id for o in fake_gateway.placed if not o.what_if]
    assert orders == [resting.order_id, fresh.order_id]
    await eventually(lambda: fake_gateway.positions().get("AAPL", (0, 0))[0] == 12)
    await gateway.disconnect()


async def test_order_filled_while_disconnected_is_caught_up_after_resync(
    fake_gateway: FakeIBGateway,
) -> None:
    """A fill that happens while the gateway is down reaches the old handle after resync."""
    fake_gateway.set_price("IBM", 250.0)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())
    ibm = await gate.broker.qualify_contract(Instrument("IBM"))
    handle = await gate.submit(ibm, OrderRequest.limit(Side.SELL, 3, 260.0), *OK)
    assert handle is not None
    await eventually(lambda: handle.status is OrderStatus.SUBMITTED)
    await fake_gateway.kill()
    fake_gateway.set_price("IBM", 261.0)  # fills at the broker while we are away
    await fake_gateway.restart()
    assert await handle.wait(timeout=10) is OrderStatus.FILLED
    await eventually(lambda: {p.symbol: p.quantity for p in gateway.positions()} == {"IBM": -3})
    await gateway.disconnect()


async def test_diagnostic_and_cli_clients_are_read_only_and_cannot_submit(
    fake_gateway: FakeIBGateway,
) -> None:
    """Client ids 2 and 3 connect read-only, can read, and cannot back a RiskGate."""
    fake_gateway.set_price("AAPL", 200.0)
    for client_id in (2, 3):
        gateway = make_gateway(fake_gateway, client_id=client_id)
        assert gateway.readonly
        with pytest.raises(PermissionDeniedError, match="may not submit"):
            RiskGate(gateway, CircuitBreakerManager())
        await gateway.connect()
        assert gateway.account().account == "DU123456"
        await gateway.disconnect()
    assert fake_gateway.placed == []


async def test_live_account_without_opt_in_is_refused_on_connect() -> None:
    """A gateway that manages a live (non-D) account is refused unless live was opted into."""
    async with FakeIBGateway(account="U7654321") as fake:
        gateway = make_gateway(fake)
        with pytest.raises(LiveTradingNotAllowedError, match="U7654321"):
            await gateway.connect()
        assert not gateway.is_connected()
        await asyncio.sleep(0.05)
        assert fake.connected_client_ids() == set()


async def test_rejection_carries_the_brokers_message_and_listener_bugs_are_logged(
    fake_gateway: FakeIBGateway,
) -> None:
    """Error 201 ends the handle REJECTED with IB's text; a raising listener is logged."""
    fake_gateway.set_price("AAPL", 200.0)
    fake_gateway.reject_orders(lambda order: "short sale not allowed")
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())

    def broken(event: OrderEvent) -> None:
        raise RuntimeError("subscriber bug")

    gateway.subscribe(broken)
    with capture_logs() as logs:
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        handle = await gate.submit(aapl, OrderRequest.market(Side.SELL, 5), *OK)
        assert handle is not None
        assert await handle.wait(timeout=5) is OrderStatus.REJECTED
    assert "short sale not allowed" in handle.message
    assert any(e["event"] == "gateway.listener_failed" for e in logs)
    await gateway.disconnect()


async def test_the_private_door_places_as_ib_async_does_and_logs_only_when_asked(
    fake_gateway: FakeIBGateway, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    """place_new_order registers and emits the Trade as IB.placeOrder does; logs at INFO only."""
    ib = await clients.connect(fake_gateway, client_id=7)
    contract = await qualified(ib, "AAPL")
    announced: list[object] = []
    ib.newOrderEvent += announced.append
    with caplog.at_level(logging.WARNING, logger="ib_async.ib"):
        quiet = place_new_order(ib, contract, LimitOrder("BUY", 1, 90.0))
    assert not [r for r in caplog.records if "New order" in r.getMessage()]
    with caplog.at_level(logging.INFO, logger="ib_async.ib"):
        loud = place_new_order(ib, contract, LimitOrder("BUY", 2, 90.0))
    lines = [r.getMessage() for r in caplog.records if "New order" in r.getMessage()]
    assert len(lines) == 1
    assert f"orderId={loud.order.orderId}" in lines[0]
    assert announced == [quiet, loud]
    assert (quiet.order.clientId, loud.order.orderId) == (7, quiet.order.orderId + 1)
    await eventually(lambda: {quiet.orderStatus.status, loud.orderStatus.status} == {"Submitted"})
    assert [id(t) for t in ib.openTrades()] == [id(quiet), id(loud)]
    quiet.order.lmtPrice = 91.0  # a known order id: a modification, through IB.placeOrder
    assert place_new_order(ib, contract, quiet.order) is quiet
    await eventually(lambda: fake_gateway.placed[-1].limit_price == 91.0)
    assert len(announced) == 2


async def test_the_reference_price_follows_every_tick(fake_gateway: FakeIBGateway) -> None:
    """A new streamed price replaces the one the gate judges by; an unchanged tick is reused."""
    fake_gateway.set_price("AAPL", 200.0)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    await eventually(
        lambda: (q := gate.broker.reference_price(aapl)) is not None and q.price == 200.0
    )
    first = gate.broker.reference_price(aapl)
    assert gate.broker.reference_price(aapl) is first  # no tick since: the same quote
    fake_gateway.set_price("AAPL", 205.0)
    await eventually(
        lambda: (q := gate.broker.reference_price(aapl)) is not None and q.price == 205.0
    )
    # The gate judges by it: a limit 11 % under 205 is outside a stock's 10 % collar, one at
    # 200 is not.
    far = await gate.place(aapl, OrderRequest.limit(Side.BUY, 1, 182.0))
    assert far.triggered == ("price_collar",)
    near = await gate.place(aapl, OrderRequest.limit(Side.BUY, 1, 200.0))
    assert near.allowed
    await gateway.disconnect()
