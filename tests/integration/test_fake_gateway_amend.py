"""Amending orders at the fake gateway, with the real ib_async client: in place, or IB's error."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import Future, LimitOrder, MarketOrder, Order

from hydra.testing import FakeIBGateway

from .ib_async_kit import WAIT, Clients, barrier, qualified, record_errors, until

pytestmark = pytest.mark.integration


async def test_an_amend_changes_the_working_order_in_place(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A placeOrder on a known id changes quantity and price, answered by openOrder + status."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    trade = ib.placeOrder(aapl, LimitOrder("BUY", 5, 95.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    record = fake_gateway.order(trade.order.orderId)
    assert record is not None
    perm_id = record.perm_id
    statuses: list[float] = []
    trade.statusEvent += lambda t: statuses.append(t.orderStatus.remaining)
    trade.order.totalQuantity, trade.order.lmtPrice = 8, 96.5
    assert ib.placeOrder(aapl, trade.order) is trade
    await until(lambda: 8.0 in statuses)
    assert (record.quantity, record.limit_price, record.perm_id) == (8.0, 96.5, perm_id)
    assert fake_gateway.order(trade.order.orderId) is record  # the same order, amended
    other = await clients.connect(fake_gateway, client_id=2)
    [seen] = await asyncio.wait_for(other.reqAllOpenOrdersAsync(), WAIT)
    assert (seen.order.totalQuantity, seen.order.lmtPrice, seen.order.permId) == (
        8.0,
        96.5,
        perm_id,
    )
    trade.order.lmtPrice = 100.0  # marketable now: the amend fills it
    ib.placeOrder(aapl, trade.order)
    await until(lambda: trade.orderStatus.status == "Filled")
    assert fake_gateway.positions()["AAPL"] == (8.0, 100.0)
    assert [p.limit_price for p in fake_gateway.placed] == [95.0, 96.5, 100.0]


async def test_amending_a_filled_or_cancelled_order_is_ibs_error(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A filled order: 104; a cancelled one: 103; nothing changes at the gateway."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    errors = record_errors(ib)
    filled = ib.placeOrder(aapl, MarketOrder("BUY", 1))
    cancelled = ib.placeOrder(aapl, LimitOrder("BUY", 1, 90.0))
    await until(lambda: filled.isDone() and cancelled.orderStatus.status == "Submitted")
    ib.cancelOrder(cancelled.order)
    await until(lambda: cancelled.orderStatus.status == "Cancelled")
    errors.clear()
    for done in (filled, cancelled):
        amended = Order(**{**done.order.__dict__, "totalQuantity": 7, "orderType": "LMT"})
        amended.lmtPrice = 99.0
        ib.client.placeOrder(done.order.orderId, aapl, amended)
    await barrier(ib)
    assert [(req, code) for req, code, _ in errors] == [
        (filled.order.orderId, 104),
        (cancelled.order.orderId, 103),
    ]
    assert fake_gateway.order_status(filled.order.orderId) == "Filled"
    assert fake_gateway.positions()["AAPL"][0] == 1


async def test_an_amend_off_the_tick_or_to_the_other_side_leaves_the_order_as_it_was(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An off-tick price gets 110, a flipped side 105; the order keeps working unchanged."""
    fake_gateway.set_price("ESH7", 6000.0)
    ib = await clients.connect(fake_gateway)
    [es] = await ib.qualifyContractsAsync(Future("ES", "20270319", "CME"))
    errors = record_errors(ib)
    trade = ib.placeOrder(es, LimitOrder("BUY", 2, 5990.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    trade.order.lmtPrice = 5990.1
    ib.placeOrder(es, trade.order)
    flipped = Order(**{**trade.order.__dict__, "action": "SELL", "lmtPrice": 5990.0})
    ib.client.placeOrder(trade.order.orderId, es, flipped)
    await barrier(ib)
    assert [code for _, code, _ in errors] == [110, 105]
    record = fake_gateway.order(trade.order.orderId)
    assert record is not None
    assert (record.action, record.limit_price, record.status) == ("BUY", 5990.0, "Submitted")
    await until(lambda: trade.orderStatus.status == "Submitted")  # told again it works


async def test_amending_a_trailing_stop_trails_afresh_by_the_new_amount(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A TRAIL amended from 2.00 to 1.00 re-trails from the current price."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    trade = ib.placeOrder(
        aapl, Order(action="SELL", totalQuantity=1, orderType="TRAIL", auxPrice=2.0)
    )
    await until(lambda: trade.orderStatus.status == "Submitted")
    record = fake_gateway.order(trade.order.orderId)
    assert record is not None
    assert record.trail_stop_price == 98.0
    trade.order.auxPrice = 1.0
    ib.placeOrder(aapl, trade.order)
    await until(lambda: record.trail_stop_price == 99.0)
