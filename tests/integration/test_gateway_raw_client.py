"""No raw client: only the RiskGate's door sends orders through BrokerGateway's ib_async client.

Real ib_async clients against FakeIBGateway. The gateway's client is private; these tests
reach it (``gateway._ib``) the way a host set on bypassing the gate would.
"""

from __future__ import annotations

import struct

import pytest
from ib_async import IB, Client, Contract, LimitOrder, MarketOrder

from hydra.adapters.ib import BrokerGateway
from hydra.application import RiskGate
from hydra.application.records import ForeignOrder
from hydra.domain import (
    CircuitBreakerManager,
    InvalidInputError,
    OrderRequest,
    OrderStatus,
    PermissionDeniedError,
    Side,
    TradingState,
)
from hydra.domain import Instrument as HydraInstrument
from hydra.testing import FakeIBGateway, MemoryJournal
from hydra.testing.contract import eventually
from tests.integration.gateway_harness import make_gateway
from tests.integration.ib_async_kit import Clients, qualified

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("readonly", [False, True])
def test_the_trading_client_never_takes_a_hosts_ib_client(readonly: bool) -> None:
    """BrokerGateway(client_id=1, ib=...) is refused, naming ``ib``, why, and what to do."""
    with pytest.raises(InvalidInputError) as refused:
        BrokerGateway(client_id=1, readonly=readonly, ib=IB())
    assert refused.value.field == "ib"
    assert "past the RiskGate" in refused.value.reason
    assert "Leave ib unset" in refused.value.reason


async def test_read_only_roles_and_the_emergency_client_may_use_a_hosts_ib_client(
    fake_gateway: FakeIBGateway,
) -> None:
    """Client ids 2 and 3 and the emergency client accept ``ib=`` and read through it."""
    for options in ({"client_id": 2}, {"client_id": 3}, {"client_id": 9, "emergency": True}):
        ib = IB()
        gateway = make_gateway(fake_gateway, ib=ib, **options)
        await gateway.connect()
        assert ib.isConnected()
        assert gateway.account().account == "DU123456"
        await gateway.disconnect()


async def _order_message(fake: FakeIBGateway, clients: Clients) -> tuple[Contract, str]:
    """A complete placeOrder message as ib_async writes it (captured, not sent)."""
    other = await clients.connect(fake, client_id=7)
    contract = await qualified(other, "AAPL")
    captured: list[str] = []
    other.client.sendMsg = captured.append  # type: ignore[method-assign]
    other.client.placeOrder(4242, contract, MarketOrder("BUY", 1_000_000))  # type: ignore[no-untyped-call]
    [message] = captured
    return contract, message


async def test_after_the_claim_every_send_path_of_the_gateways_client_is_refused(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ib.placeOrder, IB.placeOrder(ib), client.placeOrder, send and sendMsg all refuse."""
    fake_gateway.set_price("AAPL", 200.0)
    contract, message = await _order_message(fake_gateway, clients)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager(), limits=None)
    gate.set_trading_state(TradingState.HALTED, who="ops", why="closed")
    raw = gateway._ib  # what a host reaching past the gate would hold
    client = raw.client
    frame = message.encode()
    paths = {
        "ib.placeOrder": lambda: raw.placeOrder(contract, LimitOrder("BUY", 10, 200.0)),
        "IB.placeOrder": lambda: IB.placeOrder(raw, contract, LimitOrder("BUY", 10, 200.0)),
        "client.placeOrder": lambda: client.placeOrder(
            client.getReqId(), contract, LimitOrder("BUY", 10, 200.0)
        ),
        "Client.placeOrder": lambda: Client.placeOrder(
            client, client.getReqId(), contract, LimitOrder("BUY", 10, 200.0)
        ),
        "client.send": lambda: client.send(*message.split("\0")[:-1]),
        "client.sendMsg": lambda: client.sendMsg(message),
        "Client.sendMsg": lambda: Client.sendMsg(client, message),
        "conn.sendMsg": lambda: client.conn.sendMsg(struct.pack(">I", len(frame)) + frame),
        "client.exerciseOptions": lambda: client.exerciseOptions(99, contract, 1, 1, "DU123456", 0),
    }
    refused = []
    for name, send in paths.items():
        with pytest.raises(PermissionDeniedError, match="raw ib_async client"):
            send()
        refused.append(name)
    assert refused == list(paths)
    await eventually(raw.isConnected)
    assert raw.trades() == []
    await gateway.resync_state()  # a round trip: anything sent has reached the fake
    assert fake_gateway.placed == []

    gate.set_trading_state(TradingState.ACTIVE, who="ops", why="open")
    aapl = await gate.broker.qualify_contract(HydraInstrument("AAPL"))
    handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 5))
    assert handle is not None
    assert await handle.wait(timeout=5) is OrderStatus.FILLED
    orders = [(o.order_id, o.quantity) for o in fake_gateway.placed if not o.what_if]
    assert orders == [(handle.order_id, 5)]
    assert [o.what_if for o in fake_gateway.placed] == [True, False]  # its margin preview first
    await gateway.disconnect()


async def test_orders_the_client_paces_still_leave_through_the_door(
    fake_gateway: FakeIBGateway,
) -> None:
    """Orders ib_async's pacing queues are sent later by the client, and still reach IB."""
    fake_gateway.set_price("AAPL", 200.0)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager(), limits=None)
    aapl = await gate.broker.qualify_contract(HydraInstrument("AAPL"))
    client = gateway._ib.client  # paced hard, to queue the orders
    client.MaxRequests, client.RequestsInterval = 1, 0.05
    handles = []
    for price in (150.0, 151.0, 152.0, 153.0):
        handle = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 1, price))
        assert handle is not None
        handles.append(handle)
    await eventually(lambda: len([o for o in fake_gateway.placed if not o.what_if]) == 4)
    assert len(fake_gateway.placed) == 8  # each with its margin preview, paced as well
    await eventually(lambda: all(h.status is OrderStatus.SUBMITTED for h in handles))
    await gateway.disconnect()


async def test_an_order_under_our_client_id_the_door_never_sent_is_foreign_at_once(
    fake_gateway: FakeIBGateway,
) -> None:
    """Reported under client id 1 but never sent by the door: order.foreign, exposure, kill."""
    fake_gateway.set_price("AAPL", 200.0)
    journal = MemoryJournal()
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager(), journal=journal)
    aapl = await gate.broker.qualify_contract(HydraInstrument("AAPL"))
    own = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 5, 199.0))
    assert own is not None
    await eventually(lambda: own.status is OrderStatus.SUBMITTED)
    order_id = fake_gateway.inject_foreign_order("AAPL", "BUY", 90, limit_price=195.0, client_id=1)
    await eventually(lambda: bool(journal.of_type(ForeignOrder)))
    (alert,) = journal.of_type(ForeignOrder)
    assert (alert.order_id, alert.quantity, alert.side) == (order_id, 90, Side.BUY)
    assert gate.exposure(aapl).buying == 95
    foreign = {h.order_id: h.foreign for h in gate.broker.open_orders()}
    assert foreign == {own.order_id: False, order_id: True}
    report = await gate.kill_switch(who="ops", why="an order without a decision")
    assert sorted(report.cancelled) == sorted([own.order_id, order_id])
    await eventually(lambda: not gate.broker.open_orders())
    assert fake_gateway.order_status(order_id) == "Cancelled"
    await gateway.disconnect()


async def test_our_clients_orders_from_an_earlier_session_are_not_foreign(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Working orders client id 1 left at IB before this gateway connected are its own."""
    fake_gateway.set_price("AAPL", 200.0)
    earlier = await clients.connect(fake_gateway, client_id=1)
    trade = earlier.placeOrder(await qualified(earlier, "AAPL"), LimitOrder("BUY", 3, 190.0))
    await eventually(lambda: trade.orderStatus.status == "Submitted")
    earlier.disconnect()
    await eventually(lambda: fake_gateway.connected_client_ids() == set())
    journal = MemoryJournal()
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager(), journal=journal)
    [handle] = gate.broker.open_orders()
    assert (handle.order_id, handle.foreign) == (trade.order.orderId, False)
    assert journal.of_type(ForeignOrder) == []
    await gateway.disconnect()
