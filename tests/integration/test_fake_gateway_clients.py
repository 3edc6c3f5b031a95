from __future__ import annotations

import asyncio
import math

import pytest
from ib_async import LimitOrder, MarketOrder

from hydra.testing import FakeIBGateway

from .ib_async_kit import WAIT, Clients, barrier, qualified, until

pytestmark = pytest.mark.integration


async def test_open_orders_are_scoped_to_the_requesting_client(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ReqOpenOrders returns only the caller's orders; reqAllOpenOrders returns everyone's."""
    fake_gateway.set_price("AAPL", 100.0)
    one = await clients.connect(fake_gateway, client_id=1)
    two = await clients.connect(fake_gateway, client_id=2)
    mine = one.placeOrder(await qualified(one, "AAPL"), LimitOrder("BUY", 1, 90.0))
    theirs = two.placeOrder(await qualified(two, "AAPL"), LimitOrder("BUY", 2, 80.0))
    await until(lambda: "Submitted" == mine.orderStatus.status == theirs.orderStatus.status)

    own = await asyncio.wait_for(two.reqOpenOrdersAsync(), WAIT)
    assert [(t.order.clientId, t.order.orderId) for t in own] == [(2, theirs.order.orderId)]
    every = await asyncio.wait_for(two.reqAllOpenOrdersAsync(), WAIT)
    assert sorted((t.order.clientId, t.order.totalQuantity) for t in every) == [(1, 1.0), (2, 2.0)]


async def test_global_cancel_cancels_every_clients_orders(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ReqGlobalCancel from one client cancels other clients' and TWS's working orders."""
    fake_gateway.set_price("AAPL", 100.0)
    trader = await clients.connect(fake_gateway, client_id=1)
    emergency = await clients.connect(fake_gateway, client_id=9)
    trade = trader.placeOrder(await qualified(trader, "AAPL"), LimitOrder("BUY", 1, 90.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    tws_id = fake_gateway.inject_foreign_order("MSFT", "SELL", 3, limit_price=999.0)

    emergency.reqGlobalCancel()
    await until(lambda: trade.orderStatus.status == "Cancelled")
    assert fake_gateway.order_status(trade.order.orderId) == "Cancelled"
    assert fake_gateway.order_status(tws_id) == "Cancelled"
    assert await asyncio.wait_for(emergency.reqAllOpenOrdersAsync(), WAIT) == []


async def test_foreign_tws_order_reaches_connected_clients_and_fills(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An order injected as TWS's is reported to every client, then its fill too."""
    fake_gateway.set_price("MSFT", 100.0)
    ib = await clients.connect(fake_gateway, client_id=1)
    order_id = fake_gateway.inject_foreign_order("MSFT", "BUY", 5, limit_price=95.0)
    await until(lambda: len(ib.openTrades()) == 1)
    [trade] = ib.openTrades()
    assert order_id < 0
    assert (trade.order.clientId, trade.order.orderId) == (0, order_id)
    assert (trade.contract.symbol, trade.order.totalQuantity, trade.order.lmtPrice) == (
        "MSFT",
        5.0,
        95.0,
    )
    assert await asyncio.wait_for(ib.reqOpenOrdersAsync(), WAIT) == []

    fake_gateway.set_price("MSFT", 94.0)
    await until(lambda: trade.orderStatus.status == "Filled")
    assert fake_gateway.positions()["MSFT"] == (5.0, 94.0)


async def test_foreign_order_of_another_client_id_is_that_clients_own(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An injected order of client 7 shows in client 7's reqOpenOrders with the next id."""
    ib = await clients.connect(fake_gateway, client_id=1)
    seven = await clients.connect(fake_gateway, client_id=7)
    order_id = fake_gateway.inject_foreign_order("AAPL", "SELL", 2, limit_price=500.0, client_id=7)
    await barrier(seven)
    own = await asyncio.wait_for(seven.reqOpenOrdersAsync(), WAIT)
    assert [(t.order.clientId, t.order.orderId) for t in own] == [(7, order_id)]
    assert order_id >= 1
    await barrier(ib)
    assert [t.order.clientId for t in ib.openTrades()] == [7]


def test_foreign_order_is_validated() -> None:
    """An invalid injected order raises ValueError naming the problem."""
    gateway = FakeIBGateway()
    with pytest.raises(ValueError, match="limit price"):
        gateway.inject_foreign_order("AAPL", "BUY", 1)
    with pytest.raises(ValueError, match="quantity"):
        gateway.inject_foreign_order("AAPL", "BUY", 0, limit_price=1.0)
    with pytest.raises(KeyError, match="NOPE"):
        gateway.inject_foreign_order("NOPE", "BUY", 1, limit_price=1.0)


async def test_position_delay_separates_fill_and_position(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """With position_delay set, a client sees the fill before the position message."""
    fake_gateway.set_price("AAPL", 100.0)
    fake_gateway.position_delay = 0.2
    ib = await clients.connect(fake_gateway, client_id=1)
    trade = ib.placeOrder(await qualified(ib, "AAPL"), MarketOrder("BUY", 4))
    await until(lambda: trade.orderStatus.status == "Filled")
    await barrier(ib)
    assert ib.positions() == []
    await until(lambda: [p.position for p in ib.positions()] == [4.0])

    fake_gateway.position_delay = 0
    again = ib.placeOrder(trade.contract, MarketOrder("BUY", 1))
    await until(lambda: again.orderStatus.status == "Filled")
    await barrier(ib)
    assert [p.position for p in ib.positions()] == [5.0]


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_position_delay_rejects_bad_values(bad: float) -> None:
    """position_delay refuses negative and non-finite values, at construction and later."""
    with pytest.raises(ValueError, match="position_delay"):
        FakeIBGateway(position_delay=bad)
    gateway = FakeIBGateway()
    with pytest.raises(ValueError, match="position_delay"):
        gateway.position_delay = bad


async def test_untransmitted_order_rests_until_transmitted(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """transmit=False holds a marketable order as PreSubmitted until a transmitting modify."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    held = ib.placeOrder(await qualified(ib, "AAPL"), LimitOrder("BUY", 2, 105.0, transmit=False))
    await until(lambda: held.orderStatus.status == "PreSubmitted")
    await barrier(ib)
    assert fake_gateway.positions() == {}
    held.order.transmit = True
    ib.placeOrder(held.contract, held.order)
    await until(lambda: held.orderStatus.status == "Filled")


async def test_cancelling_a_bracket_parent_cancels_its_children(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A cancelled parent takes its waiting children with it."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    contract = await qualified(ib, "AAPL")
    parent, profit, loss = [
        ib.placeOrder(contract, o) for o in ib.bracketOrder("BUY", 1, 90.0, 120.0, 80.0)
    ]
    await until(lambda: loss.orderStatus.status == "PreSubmitted")
    ib.cancelOrder(parent.order)
    await until(lambda: profit.orderStatus.status == loss.orderStatus.status == "Cancelled")
    assert parent.orderStatus.status == "Cancelled"


async def test_child_of_unknown_parent_is_rejected(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An order naming a parent id the client never placed is rejected with 201."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    orphan = ib.placeOrder(await qualified(ib, "AAPL"), LimitOrder("SELL", 1, 120.0, parentId=999))
    await until(lambda: orphan.orderStatus.status == "Cancelled")
    assert orphan.log[-1].errorCode == 201


@pytest.mark.parametrize("bad", [math.nan, math.inf, 0.0, -1.0])
def test_prices_must_be_positive_and_finite(bad: float) -> None:
    """set_price and the constructor refuse NaN, infinite, zero and negative prices."""
    with pytest.raises(ValueError, match="AAPL"):
        FakeIBGateway(prices={"AAPL": bad})
    with pytest.raises(ValueError, match="AAPL"):
        FakeIBGateway().set_price("AAPL", bad)


def test_market_fill_mode_is_validated() -> None:
    """An unknown market_fill mode is refused, naming the accepted ones."""
    with pytest.raises(ValueError, match="'touch' or 'last'"):
        FakeIBGateway(market_fill="mid")
