"""IB's order types at the fake gateway, with the real ib_async client: triggers, trails, close."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import Future, LimitOrder, MarketOrder, Order, StopLimitOrder, StopOrder

from hydra.testing import FakeIBGateway

from .ib_async_kit import WAIT, Clients, qualified, record_errors, until

pytestmark = pytest.mark.integration

OFF_TICK = "The price does not conform to the minimum price variation for this contract."


def _order(action: str, quantity: float, order_type: str, **fields: object) -> Order:
    return Order(action=action, totalQuantity=quantity, orderType=order_type, **fields)


async def test_stops_trigger_on_the_way_down_if_touched_on_the_way_up(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A sell STP triggers as the price falls to it; a sell MIT and LIT as it rises to theirs."""
    fake_gateway.set_price("IBM", 200.0)
    ib = await clients.connect(fake_gateway)
    ibm = await qualified(ib, "IBM")
    stop = ib.placeOrder(ibm, StopOrder("SELL", 1, 195.0))
    stop_limit = ib.placeOrder(ibm, StopLimitOrder("SELL", 1, 194.0, 195.0))
    touched = ib.placeOrder(ibm, _order("SELL", 1, "MIT", auxPrice=205.0))
    limit_touched = ib.placeOrder(ibm, _order("SELL", 1, "LIT", auxPrice=205.0, lmtPrice=207.0))
    buy_touched = ib.placeOrder(ibm, _order("BUY", 1, "MIT", auxPrice=190.0))
    orders = [stop, stop_limit, touched, limit_touched, buy_touched]
    await until(lambda: all(t.orderStatus.status == "Submitted" for t in orders))
    fake_gateway.set_price("IBM", 205.0)
    await until(lambda: touched.orderStatus.status == "Filled")
    assert touched.orderStatus.avgFillPrice == 204.99  # a market sell, at the bid
    assert fake_gateway.order(limit_touched.order.orderId).triggered  # type: ignore[union-attr]
    assert limit_touched.orderStatus.status == "Submitted"  # now a limit at 207
    fake_gateway.set_price("IBM", 207.0)
    await until(lambda: limit_touched.orderStatus.status == "Filled")
    assert limit_touched.orderStatus.avgFillPrice == 207.0
    fake_gateway.set_price("IBM", 195.0)
    await until(lambda: stop.orderStatus.status == stop_limit.orderStatus.status == "Filled")
    assert (stop.orderStatus.avgFillPrice, stop_limit.orderStatus.avgFillPrice) == (194.99, 195.0)
    assert buy_touched.orderStatus.status == "Submitted"
    fake_gateway.set_price("IBM", 190.0)
    await until(lambda: buy_touched.orderStatus.status == "Filled")


async def test_a_trailing_stop_follows_the_price_up_and_fills_on_the_way_down(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A sell TRAIL by 2.00 rises with the price, never falls, and triggers 2.00 off the top."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    trade = ib.placeOrder(aapl, _order("SELL", 5, "TRAIL", auxPrice=2.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    record = fake_gateway.order(trade.order.orderId)
    assert record is not None
    assert record.trail_stop_price == 98.0
    for price, stop in ((103.0, 101.0), (101.5, 101.0), (104.25, 102.25)):
        fake_gateway.set_price("AAPL", price)
        assert record.trail_stop_price == stop
    other = await clients.connect(fake_gateway, client_id=2)  # sees IB's openOrder as sent
    [reported] = await asyncio.wait_for(other.reqAllOpenOrdersAsync(), WAIT)
    assert (reported.order.auxPrice, reported.order.trailStopPrice) == (2.0, 102.25)
    fake_gateway.set_price("AAPL", 102.25)
    await until(lambda: trade.orderStatus.status == "Filled")
    assert trade.orderStatus.avgFillPrice == 102.24


async def test_a_percent_trail_starts_at_its_stop_and_a_trail_limit_rests_below_it(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """TRAIL by 1 % starts at trailStopPrice; a TRAIL LIMIT triggers into a limit stop - offset."""
    fake_gateway.set_price("MSFT", 400.0)
    ib = await clients.connect(fake_gateway)
    msft = await qualified(ib, "MSFT")
    percent = ib.placeOrder(
        msft, _order("SELL", 1, "TRAIL", trailingPercent=1.0, trailStopPrice=399.0)
    )
    limit = ib.placeOrder(msft, _order("SELL", 1, "TRAIL LIMIT", auxPrice=5.0, lmtPriceOffset=1.0))
    await until(lambda: percent.orderStatus.status == limit.orderStatus.status == "Submitted")
    trailing = fake_gateway.order(percent.order.orderId)
    trail_limit = fake_gateway.order(limit.order.orderId)
    assert trailing is not None
    assert trail_limit is not None
    assert (trailing.trail_stop_price, trail_limit.trail_stop_price) == (399.0, 395.0)
    fake_gateway.set_price("MSFT", 410.0)
    assert (trailing.trail_stop_price, trail_limit.trail_stop_price) == (405.9, 405.0)
    fake_gateway.set_price("MSFT", 405.5)  # under 405.9, over 405: one triggers
    await until(lambda: percent.orderStatus.status == "Filled")
    fake_gateway.set_price("MSFT", 403.0)  # 405 triggered; the limit is 404, not reached
    assert trail_limit.triggered
    assert limit.orderStatus.status == "Submitted"
    fake_gateway.set_price("MSFT", 404.0)
    await until(lambda: limit.orderStatus.status == "Filled")
    assert limit.orderStatus.avgFillPrice == 404.0


async def test_moc_and_loc_orders_wait_for_the_close(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """MOC fills at the close the test runs; LOC within its limit, otherwise cancelled."""
    fake_gateway.set_price("SPY", 560.0)
    ib = await clients.connect(fake_gateway)
    spy = await qualified(ib, "SPY")
    moc = ib.placeOrder(spy, _order("BUY", 3, "MOC"))
    loc_in = ib.placeOrder(spy, _order("BUY", 2, "LOC", lmtPrice=556.0))
    loc_out = ib.placeOrder(spy, _order("SELL", 1, "LOC", lmtPrice=560.0))
    await until(lambda: all(t.orderStatus.status == "Submitted" for t in (moc, loc_in, loc_out)))
    fake_gateway.set_price("SPY", 550.0)  # no fill before the close, whatever the price
    assert moc.orderStatus.status == loc_in.orderStatus.status == "Submitted"
    fake_gateway.close_market({"SPY": 555.5})
    await until(lambda: moc.orderStatus.status == loc_in.orderStatus.status == "Filled")
    await until(lambda: loc_out.orderStatus.status == "Cancelled")
    assert (moc.orderStatus.avgFillPrice, loc_in.orderStatus.avgFillPrice) == (555.5, 555.5)
    assert fake_gateway.positions()["SPY"][0] == 5


async def test_gtd_outside_rth_and_order_ref_are_kept_and_echoed(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """goodTillDate, outsideRth and orderRef come back in openOrder and completedOrder."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    gtd = "20261231 16:00:00 US/Eastern"
    resting = ib.placeOrder(
        aapl,
        LimitOrder("BUY", 1, 90.0, tif="GTD", goodTillDate=gtd, outsideRth=True, orderRef="s1"),
    )
    filled = ib.placeOrder(aapl, MarketOrder("BUY", 1, orderRef="entry"))
    await until(lambda: resting.orderStatus.status == "Submitted" and filled.isDone())
    other = await clients.connect(fake_gateway, client_id=2)
    [open_order] = await asyncio.wait_for(other.reqAllOpenOrdersAsync(), WAIT)
    order = open_order.order
    assert (order.tif, order.goodTillDate, order.outsideRth, order.orderRef) == (
        "GTD",
        gtd,
        True,
        "s1",
    )
    [done] = await asyncio.wait_for(other.reqCompletedOrdersAsync(apiOnly=False), WAIT)
    assert (done.order.orderRef, done.order.outsideRth) == ("entry", False)
    assert [f.execution.orderRef for f in filled.fills] == ["entry"]


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (LimitOrder("BUY", 1, 90.0, tif="GTD"), "needs a goodTillDate"),
        (LimitOrder("BUY", 1, 90.0, tif="FOREVER"), "time in force 'FOREVER'"),
        (_order("SELL", 1, "TRAIL"), "exactly one of a trailing amount"),
        (_order("SELL", 1, "TRAIL", auxPrice=1.0, trailingPercent=1.0), "exactly one"),
        (_order("SELL", 1, "TRAIL LIMIT", auxPrice=1.0), "needs a limit price offset"),
        (_order("BUY", 1, "LIT", auxPrice=95.0), "needs a limit price"),
        (_order("BUY", 1, "MOC", tif="GTC"), "a MOC order is a DAY order"),
    ],
)
async def test_an_order_missing_what_its_type_needs_is_rejected(
    fake_gateway: FakeIBGateway, clients: Clients, order: Order, reason: str
) -> None:
    """Each type's and time in force's required fields are checked: error 201 names it."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    trade = ib.placeOrder(await qualified(ib, "AAPL"), order)
    await until(lambda: trade.orderStatus.status == "Cancelled")
    [entry] = [e for e in trade.log if e.errorCode]
    assert entry.errorCode == 201
    assert reason in entry.message


async def test_a_price_off_the_tick_gets_error_110(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An ES limit at 5990.10 (tick 0.25) is refused with 110; at 5990.25 it works."""
    fake_gateway.set_price("ESZ6", 6000.0)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    [es] = await ib.qualifyContractsAsync(Future("ES", "202612", "CME"))
    off = ib.placeOrder(es, LimitOrder("BUY", 1, 5990.10))
    await until(lambda: off.orderStatus.status == "Cancelled")
    assert errors == [(off.order.orderId, 110, OFF_TICK)]
    assert fake_gateway.order_status(off.order.orderId) == "Inactive"
    stop_off = ib.placeOrder(es, StopOrder("SELL", 1, 5950.3))
    await until(lambda: stop_off.orderStatus.status == "Cancelled")
    on = ib.placeOrder(es, LimitOrder("BUY", 1, 5990.25))
    await until(lambda: on.orderStatus.status == "Submitted")
    assert [code for _, code, _ in errors] == [110, 110]


async def test_an_ioc_order_that_cannot_fill_at_once_is_cancelled(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """IOC: marketable fills, not marketable is cancelled at once."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    missed = ib.placeOrder(aapl, LimitOrder("BUY", 1, 99.0, tif="IOC"))
    hit = ib.placeOrder(aapl, LimitOrder("BUY", 1, 100.0, tif="IOC"))
    await until(lambda: missed.orderStatus.status == "Cancelled" and hit.isDone())
    assert hit.orderStatus.status == "Filled"
