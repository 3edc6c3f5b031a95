from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any

import pytest
from ib_async import IB, Contract, ExecutionFilter, LimitOrder, MarketOrder, Order, Stock
from ib_async.util import UNSET_DOUBLE

from hydra.testing import DEFAULT_INSTRUMENTS, FakeIBGateway, PlacedOrder
from hydra.testing import _wire as wire
from hydra.testing import _wire_account as wire_account
from hydra.testing import _wire_contracts as wire_contracts
from hydra.testing import _wire_market as wire_market
from hydra.testing import _wire_orders as wire_orders
from hydra.testing._model import ExecutionRecord, OrderRecord, one_tick_quote

from .ib_async_kit import (
    CONNECT_TIMEOUT,
    WAIT,
    Clients,
    account_value,
    barrier,
    qualified,
    record_errors,
    until,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .conftest import DecodeErrorGuard

pytestmark = pytest.mark.integration

AAPL = DEFAULT_INSTRUMENTS[0]
MSFT = DEFAULT_INSTRUMENTS[1]
IBM = DEFAULT_INSTRUMENTS[3]


@pytest.fixture
async def fake_gateway() -> AsyncIterator[FakeIBGateway]:
    """A started FakeIBGateway filling market orders at the reference price, as these tests assume.

    Touch fills (the gateway's default) are pinned in test_fake_gateway_market.py.
    """
    gateway = FakeIBGateway(port=0, market_fill="last")
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


# ------------------------------------------------------------------------ connection


async def test_connect_reports_account_and_next_valid_id(clients: Clients) -> None:
    """A connected client is ready, sees the managed account and starts at nextValidId."""
    async with FakeIBGateway(account="DU999", next_order_id=42) as gw:
        ib = await clients.connect(gw, client_id=3)
        assert ib.isConnected()
        assert ib.managedAccounts() == ["DU999"]
        # The startup sync already used a couple of request ids above nextValidId.
        assert 42 <= ib.client.getReqId() < 50
        assert gw.connected_client_ids() == {3}
        assert gw.port != 0


async def test_readonly_connect_syncs_existing_positions(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A readonly client connects and still receives the account's positions."""
    fake_gateway.set_price("AAPL", 100.0)
    trader = await clients.connect(fake_gateway, client_id=1)
    trade = trader.placeOrder(await qualified(trader, "AAPL"), MarketOrder("BUY", 3))
    await until(trade.isDone)

    viewer = await clients.connect(fake_gateway, client_id=2, readonly=True)
    assert viewer.isConnected()
    [pos] = viewer.positions()
    assert (pos.contract.symbol, pos.position, pos.avgCost) == ("AAPL", 3.0, 100.0)


async def test_startup_sync_completes_without_timeouts(
    fake_gateway: FakeIBGateway, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    """Every startup request is answered: no 'timed out' error and no wait for a timeout."""
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="ib_async"):
        await clients.connect(fake_gateway, client_id=1, timeout=CONNECT_TIMEOUT)
    assert time.monotonic() - started < CONNECT_TIMEOUT / 2
    assert not [r for r in caplog.records if "timed out" in r.getMessage()]


async def test_duplicate_client_id_is_refused_and_first_client_survives(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A second connection with a live client id fails fast; the first stays connected."""
    first = await clients.connect(fake_gateway, client_id=7)
    started = time.monotonic()
    with pytest.raises((TimeoutError, ConnectionError)):
        await clients.connect(fake_gateway, client_id=7, timeout=1.0)
    assert time.monotonic() - started < 3.0
    assert first.isConnected()
    await barrier(first)
    assert fake_gateway.connected_client_ids() == {7}


# ------------------------------------------------------------------------ contracts


async def test_qualify_fills_in_known_contracts(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Qualifying by symbol or conId fills in conId, primary exchange and currency."""
    ib = await clients.connect(fake_gateway)
    aapl, spy, ibm = await ib.qualifyContractsAsync(
        Stock("AAPL", "SMART", "USD"), Stock("SPY", "SMART", "USD"), Contract(conId=8314)
    )
    assert isinstance(aapl, Contract)
    assert isinstance(spy, Contract)
    assert isinstance(ibm, Contract)
    assert (aapl.conId, aapl.primaryExchange, aapl.exchange) == (265598, "NASDAQ", "SMART")
    assert (spy.conId, spy.primaryExchange) == (756733, "ARCA")
    assert (ibm.symbol, ibm.secType, ibm.currency, ibm.primaryExchange) == (
        "IBM",
        "STK",
        "USD",
        "NYSE",
    )
    [details] = await ib.reqContractDetailsAsync(Stock("MSFT", "SMART", "USD"))
    # The last fields of contractDetails(10) decode to what was sent: nothing shifted.
    assert (details.minTick, details.stockType, details.suggestedSizeIncrement) == (
        0.01,
        "COMMON",
        100.0,
    )
    assert details.contract is not None
    assert details.contract.multiplier == ""


async def test_qualify_unknown_contract_returns_none(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An unknown symbol gets error 200 and qualifies to None."""
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    assert await ib.qualifyContractsAsync(Stock("NOPE", "SMART", "USD")) == [None]
    assert [code for _, code, _ in errors] == [200]


# ------------------------------------------------------------------------ orders


async def test_market_order_fills_and_updates_account(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A market order fills at the reference price with commission, position and account."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    trade = ib.placeOrder(await qualified(ib, "AAPL"), MarketOrder("BUY", 10))
    await until(trade.isDone)

    assert trade.orderStatus.status == "Filled"
    assert (trade.orderStatus.filled, trade.orderStatus.remaining) == (10.0, 0.0)
    assert trade.orderStatus.avgFillPrice == 100.0
    [fill] = trade.fills
    assert fill.commissionReport.commission == 1.0
    assert fill.commissionReport.currency == "USD"
    ex = fill.execution
    assert (ex.side, ex.shares, ex.price, ex.cumQty, ex.avgPrice) == ("BOT", 10.0, 100.0, 10, 100)
    assert (ex.clientId, ex.orderId, ex.permId) == (1, trade.order.orderId, trade.order.permId)
    assert (ex.acctNumber, ex.lastLiquidity, ex.pendingPriceRevision) == ("DU123456", 1, False)
    assert ib.fills() == [fill]

    await until(
        lambda: (
            ib.positions()
            and ib.portfolio()  # a separate message: under load it can come after the cash
            and account_value(ib, "TotalCashValue") == 98_999.0
        )
    )
    [pos] = ib.positions()
    assert (pos.contract.conId, pos.position, pos.avgCost) == (265598, 10.0, 100.0)
    assert account_value(ib, "NetLiquidation") == 99_999.0
    [item] = ib.portfolio()
    assert (item.position, item.marketPrice, item.marketValue, item.averageCost) == (
        10.0,
        100.0,
        1000.0,
        100.0,
    )

    assert fake_gateway.placed == [
        PlacedOrder(trade.order.orderId, 1, "AAPL", "BUY", 10.0, "MKT", None, "", con_id=265598)
    ]
    assert fake_gateway.order_status(trade.order.orderId) == "Filled"
    assert fake_gateway.positions() == {"AAPL": (10.0, 100.0)}
    assert fake_gateway.cash == 98_999.0
    assert fake_gateway.net_liquidation() == 99_999.0


async def test_limit_order_rests_until_price_crosses(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A buy limit below the market rests as Submitted and fills once the price crosses it."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    trade = ib.placeOrder(await qualified(ib, "AAPL"), LimitOrder("BUY", 5, 95.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    assert trade.order.permId != 0
    assert fake_gateway.order_status(trade.order.orderId) == "Submitted"

    fake_gateway.set_price("AAPL", 96.0)
    await barrier(ib)
    assert trade.orderStatus.status == "Submitted"
    assert trade.fills == []

    fake_gateway.set_price("AAPL", 94.0)
    await until(trade.isDone)
    assert trade.orderStatus.status == "Filled"
    assert trade.orderStatus.avgFillPrice == 94.0
    assert fake_gateway.positions() == {"AAPL": (5.0, 94.0)}


async def test_sell_limit_closes_position_and_realizes_pnl(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A sell limit fills when the price rises to it, flattens the position, realizes P&L."""
    fake_gateway.set_price("MSFT", 100.0)
    ib = await clients.connect(fake_gateway)
    msft = await qualified(ib, "MSFT")
    buy = ib.placeOrder(msft, MarketOrder("BUY", 10))
    await until(buy.isDone)
    sell = ib.placeOrder(msft, LimitOrder("SELL", 10, 105.0))
    await until(lambda: sell.orderStatus.status == "Submitted")

    fake_gateway.set_price("MSFT", 106.0)
    await until(sell.isDone)
    assert sell.orderStatus.avgFillPrice == 106.0
    assert sell.fills[0].commissionReport.realizedPNL == 60.0
    assert buy.fills[0].commissionReport.realizedPNL == 0.0  # opening fill: unset on the wire
    await until(lambda: not ib.positions() and not ib.portfolio())
    assert fake_gateway.positions() == {}
    assert fake_gateway.realized_pnl == 60.0
    assert fake_gateway.cash == 100_000.0 + 60.0 - 2.0
    await until(lambda: account_value(ib, "RealizedPnL") == 60.0)


async def test_limit_order_cancel(fake_gateway: FakeIBGateway, clients: Clients) -> None:
    """Cancelling a resting order ends it Cancelled; cancelling again or unknown ids errors."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    trade = ib.placeOrder(await qualified(ib, "AAPL"), LimitOrder("BUY", 5, 50.0))
    await until(lambda: trade.orderStatus.status == "Submitted")

    ib.cancelOrder(trade.order)
    await until(lambda: trade.orderStatus.status == "Cancelled")
    order_id = trade.order.orderId
    await until(lambda: (order_id, 202, "Order Canceled - reason:") in errors)
    assert fake_gateway.order_status(order_id) == "Cancelled"
    assert trade.orderStatus.remaining == 5.0

    ib.cancelOrder(trade.order)  # already done: the client keeps it, the gateway says 10148
    ib.cancelOrder(Order(orderId=9999))
    await barrier(ib)
    assert [code for _, code, _ in errors[1:]] == [10148, 10147]
    assert fake_gateway.cancel_requests == [order_id, order_id, 9999]
    fake_gateway.set_price("AAPL", 10.0)
    await barrier(ib)
    assert trade.fills == []


async def test_modify_resting_limit_order_makes_it_fill(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Re-placing an open order id with a marketable price replaces it and fills it."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    contract = await qualified(ib, "AAPL")
    order = LimitOrder("BUY", 5, 90.0)
    trade = ib.placeOrder(contract, order)
    await until(lambda: trade.orderStatus.status == "Submitted")

    order.lmtPrice = 101.0
    assert ib.placeOrder(contract, order) is trade
    await until(trade.isDone)
    assert trade.orderStatus.status == "Filled"
    assert trade.orderStatus.avgFillPrice == 100.0
    assert [p.limit_price for p in fake_gateway.placed] == [90.0, 101.0]


async def test_reject_rule_cancels_trade_with_message(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A reject rule answers error 201; the trade ends Cancelled with the reason in its log."""
    fake_gateway.set_price("AAPL", 100.0)
    fake_gateway.reject_orders(lambda p: "too big" if p.quantity > 100 else None)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    contract = await qualified(ib, "AAPL")
    big = ib.placeOrder(contract, MarketOrder("BUY", 1000))
    await until(big.isDone)

    assert big.orderStatus.status == "Cancelled"
    assert big.fills == []
    [entry] = [e for e in big.log if e.errorCode == 201]
    assert "Order rejected - reason:too big" in entry.message
    assert errors == [(big.order.orderId, 201, "Order rejected - reason:too big")]
    assert fake_gateway.order_status(big.order.orderId) == "Inactive"
    assert fake_gateway.placed[-1].quantity == 1000.0

    small = ib.placeOrder(contract, MarketOrder("BUY", 1))
    await until(small.isDone)
    assert small.orderStatus.status == "Filled"
    assert fake_gateway.positions() == {"AAPL": (1.0, 100.0)}


async def test_market_order_without_price_is_rejected(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A market order on a symbol with no reference price is rejected, not filled."""
    ib = await clients.connect(fake_gateway)
    trade = ib.placeOrder(await qualified(ib, "IBM"), MarketOrder("BUY", 1))
    await until(trade.isDone)
    assert trade.orderStatus.status == "Cancelled"
    assert any("no reference price for IBM" in e.message for e in trade.log)
    assert fake_gateway.positions() == {}


async def test_unknown_symbol_order_gets_error_200(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An order for an unknown symbol reaches the gateway, is refused with 200, never fills."""
    ib = await clients.connect(fake_gateway)
    trade = ib.placeOrder(Stock("NOPE", "SMART", "USD"), MarketOrder("BUY", 1))
    await until(trade.isDone)
    assert trade.orderStatus.status == "Cancelled"
    assert [e.errorCode for e in trade.log if e.errorCode] == [200]
    assert [p.symbol for p in fake_gateway.placed] == ["NOPE"]
    assert fake_gateway.order_status(trade.order.orderId) == "Inactive"


# ------------------------------------------------------------------------ account


async def test_account_summary_rows(fake_gateway: FakeIBGateway, clients: Clients) -> None:
    """The account summary request yields the account's tags with values and currencies."""
    ib = await clients.connect(fake_gateway)
    rows = {(v.tag, v.currency): v for v in await ib.accountSummaryAsync()}
    assert rows[("NetLiquidation", "USD")].value == "100000.00"
    assert rows[("TotalCashValue", "USD")].value == "100000.00"
    assert rows[("AvailableFunds", "USD")].account == "DU123456"
    assert rows[("BuyingPower", "USD")].value == "400000.00"
    assert rows[("AccountType", "")].value == "INDIVIDUAL"
    assert ("CashBalance", "BASE") in rows


async def test_other_clients_see_position_pushes(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A fill by one client is pushed as a position to every subscribed client."""
    fake_gateway.set_price("SPY", 500.0)
    watcher = await clients.connect(fake_gateway, client_id=2)
    trader = await clients.connect(fake_gateway, client_id=1)
    trade = trader.placeOrder(await qualified(trader, "SPY"), MarketOrder("SELL", 2))
    await until(trade.isDone)
    await until(lambda: bool(watcher.positions()))
    [pos] = watcher.positions()
    assert (pos.contract.conId, pos.position, pos.avgCost) == (756733, -2.0, 500.0)
    assert await asyncio.wait_for(watcher.reqPositionsAsync(), WAIT) == [pos]
    # Order messages went only to the placing client.
    assert watcher.trades() == []


# ------------------------------------------------------------------------ decoding


async def test_open_orders_decode_field_by_field(
    fake_gateway: FakeIBGateway, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another client's reqAllOpenOrders decodes every Order/Contract/OrderState field sent."""
    fake_gateway.set_price("MSFT", 100.0)
    trader = await clients.connect(fake_gateway, client_id=1)
    placed = trader.placeOrder(
        await qualified(trader, "MSFT"),
        LimitOrder("SELL", 7, 120.5, tif="GTC", orderRef="ref-1"),
    )
    await until(lambda: placed.orderStatus.status == "Submitted")
    assert placed.order.orderRef == "ref-1"  # openOrder echoes it instead of clearing it

    other = await clients.connect(fake_gateway, client_id=2)
    decoded: list[tuple[Any, Any, Any]] = []
    original = other.wrapper.openOrder

    def spy(order_id: int, contract: Any, order: Any, state: Any) -> None:
        decoded.append((contract, order, state))
        original(order_id, contract, order, state)

    monkeypatch.setattr(other.wrapper, "openOrder", spy)
    [trade] = await asyncio.wait_for(other.reqAllOpenOrdersAsync(), WAIT)
    [(contract, order, state)] = decoded

    assert (order.orderId, order.clientId, order.permId) == (
        placed.order.orderId,
        1,
        placed.order.permId,
    )
    assert (order.action, order.totalQuantity, order.orderType) == ("SELL", 7.0, "LMT")
    assert (order.lmtPrice, order.auxPrice, order.tif) == (120.5, UNSET_DOUBLE, "GTC")
    assert (order.account, order.orderRef, order.exemptCode) == ("DU123456", "ref-1", -1)
    assert (order.whatIf, order.midOffsetAtHalf, order.conditions) == (False, UNSET_DOUBLE, [])
    assert (contract.conId, contract.symbol, contract.secType) == (272093, "MSFT", "STK")
    assert (contract.exchange, contract.currency, contract.multiplier) == ("SMART", "USD", "")
    assert (state.status, state.commission) == ("Submitted", UNSET_DOUBLE)
    assert trade.orderStatus.status == "Submitted"
    assert trade.orderStatus.remaining == 7.0


async def test_open_order_last_field_lands_in_place(
    fake_gateway: FakeIBGateway, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 127th openOrder field decodes into the last Order field, so none is misplaced."""
    ib = await clients.connect(fake_gateway)
    decoded: list[Any] = []
    monkeypatch.setattr(ib.wrapper, "openOrder", lambda *args: decoded.append(args))
    record = OrderRecord(1, 77, 5, AAPL, "BUY", 3.0, "LMT", 1.5, "DAY", "DU1", "", "Submitted")
    fields = wire_orders.open_order(178, record, AAPL)
    assert len(fields) == 127
    fake_gateway.send_raw(1, [*fields[:-1], "0.25"])
    await barrier(ib)
    [(order_id, _, order, state)] = decoded
    assert (order_id, order.midOffsetAtHalf, order.midOffsetAtWhole) == (77, 0.25, UNSET_DOUBLE)
    assert (order.lmtPrice, order.totalQuantity, state.status) == (1.5, 3.0, "Submitted")


def test_message_lengths_match_version_178_layouts() -> None:
    """Each builder emits exactly the field count ib_async's decoder reads at version 178."""
    order = OrderRecord(1, 2, 3, AAPL, "BUY", 1.0, "MKT", None, "", "DU1", "", "Filled")
    ex = ExecutionRecord("e", 1, 2, 3, AAPL, "BOT", 1, 1, "t", 1, 1, "", "DU1", 1.0, None)
    assert len(wire_orders.open_order(178, order, AAPL)) == 127
    assert len(wire_orders.completed_order(178, order, AAPL)) == 96
    context = wire_contracts.DetailsContext("", "", 26)
    assert len(wire_contracts.contract_details(178, 1, AAPL, context)) == 40
    assert len(wire_orders.exec_details(178, -1, ex)) == 32
    assert len(wire_orders.commission_report(ex)) == 8
    assert len(wire_account.position("DU1", AAPL, 1, 1)) == 16
    assert len(wire_account.portfolio_value("DU1", AAPL, 1, 1, 1, 0)) == 20
    assert len(wire_orders.order_status(178, order)) == 12
    assert len(wire.error(1, 2, "x")) == 6


async def test_decode_guard_catches_a_malformed_message(
    fake_gateway: FakeIBGateway, clients: Clients, ib_decode_guard: DecodeErrorGuard
) -> None:
    """The decode guard sees a truncated openOrder and would fail the test because of it."""
    ib = await clients.connect(fake_gateway)
    record = OrderRecord(1, 5, 6, AAPL, "BUY", 1.0, "MKT", None, "", "DU1", "", "Submitted")
    fake_gateway.send_raw(1, wire_orders.open_order(178, record, AAPL)[:60])
    await barrier(ib)
    assert any("Error handling fields" in r.getMessage() for r in ib_decode_guard.records)
    with pytest.raises(pytest.fail.Exception, match="could not decode"):
        ib_decode_guard.check()
    ib_decode_guard.check()  # drained: the test itself passes


# ------------------------------------------------------------------------ history


async def test_executions_and_completed_orders(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Executions list every fill (filterable) and completed orders are reported."""
    fake_gateway.set_price("AAPL", 100.0)
    fake_gateway.set_price("MSFT", 200.0)
    ib = await clients.connect(fake_gateway)
    first = ib.placeOrder(await qualified(ib, "AAPL"), MarketOrder("BUY", 1))
    second = ib.placeOrder(await qualified(ib, "MSFT"), MarketOrder("SELL", 2))
    resting = ib.placeOrder(await qualified(ib, "MSFT"), LimitOrder("BUY", 1, 1.0))
    await until(lambda: first.isDone() and second.isDone())
    ib.cancelOrder(resting.order)
    await until(resting.isDone)

    fills = await asyncio.wait_for(ib.reqExecutionsAsync(), WAIT)
    assert [(f.contract.symbol, f.execution.side, f.execution.shares) for f in fills] == [
        ("AAPL", "BOT", 1.0),
        ("MSFT", "SLD", 2.0),
    ]
    only_msft = await asyncio.wait_for(ib.reqExecutionsAsync(ExecutionFilter(symbol="MSFT")), WAIT)
    assert [f.execution.orderId for f in only_msft] == [second.order.orderId]

    completed = await asyncio.wait_for(ib.reqCompletedOrdersAsync(apiOnly=False), WAIT)
    summary = [
        (t.contract.symbol, t.orderStatus.status, t.order.permId, t.order.filledQuantity)
        for t in completed
    ]
    assert summary == [
        ("AAPL", "Filled", first.order.permId, 1.0),
        ("MSFT", "Filled", second.order.permId, 2.0),
        ("MSFT", "Cancelled", resting.order.permId, 0.0),
    ]
    assert [t.orderStatus.status for t in completed] == ["Filled", "Filled", "Cancelled"]


# ------------------------------------------------------------------------ kill & restart


async def test_kill_disconnects_clients(fake_gateway: FakeIBGateway, clients: Clients) -> None:
    """kill() closes every socket: the client fires disconnectedEvent and new connects fail."""
    ib = await clients.connect(fake_gateway)
    disconnected = asyncio.Event()
    ib.disconnectedEvent += disconnected.set
    await fake_gateway.kill()
    await asyncio.wait_for(disconnected.wait(), WAIT)
    assert not ib.isConnected()
    assert fake_gateway.connected_client_ids() == set()
    with pytest.raises(ConnectionRefusedError):
        await IB().connectAsync("127.0.0.1", fake_gateway.port, clientId=9, timeout=1)


async def test_restart_replays_orders_positions_and_fills(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """After kill/restart on the same port a reconnect recovers open orders, positions, fills."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway, client_id=5)
    contract = await qualified(ib, "AAPL")
    filled = ib.placeOrder(contract, MarketOrder("BUY", 10))
    resting = ib.placeOrder(contract, LimitOrder("BUY", 4, 90.0))
    await until(lambda: filled.isDone() and resting.orderStatus.status == "Submitted")
    port = fake_gateway.port

    await fake_gateway.kill()
    await until(lambda: not ib.isConnected())
    assert ib.openTrades() == []  # ib_async drops all state on a peer close
    await fake_gateway.restart()
    assert fake_gateway.port == port

    await ib.connectAsync("127.0.0.1", port, clientId=5, timeout=CONNECT_TIMEOUT)
    [open_trade] = ib.openTrades()
    assert open_trade is not resting
    assert (open_trade.order.orderId, open_trade.order.permId) == (
        resting.order.orderId,
        resting.order.permId,
    )
    assert (open_trade.order.lmtPrice, open_trade.order.totalQuantity) == (90.0, 4.0)
    assert open_trade.contract.conId == 265598
    [pos] = ib.positions()
    assert (pos.contract.symbol, pos.position) == ("AAPL", 10.0)
    [fill] = ib.fills()
    assert fill.execution.permId == filled.order.permId
    assert fill.commissionReport.commission == 1.0
    done = [t for t in ib.trades() if t.orderStatus.status == "Filled"]
    assert [t.order.permId for t in done] == [filled.order.permId]
    assert done[0].fills == [fill]

    # The replayed order is live: it can be cancelled through the new connection.
    ib.cancelOrder(open_trade.order)
    await until(lambda: open_trade.orderStatus.status == "Cancelled")
    assert fake_gateway.order_status(resting.order.orderId) == "Cancelled"


# ------------------------------------------------------------------------ market data


def low_level_mkt_data(ib: IB, req_id: int, contract: Contract) -> None:
    """Send reqMktData through ib_async's client only: no Ticker, and no conId needed."""
    ib.client.reqMktData(
        req_id,
        contract,
        genericTickList="",
        snapshot=False,
        regulatorySnapshot=False,
        mktDataOptions=[],
    )


async def test_market_data_streams_bid_ask_last(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A priced symbol's ticker gets bid/ask one tick around the price, last at the price."""
    fake_gateway.set_price("AAPL", 190.0)
    ib = await clients.connect(fake_gateway)
    ticker = ib.reqMktData(await qualified(ib, "AAPL"))
    await until(lambda: ticker.last == 190.0)

    assert (ticker.bid, ticker.ask, ticker.last) == (189.99, 190.01, 190.0)
    assert (ticker.bidSize, ticker.askSize, ticker.lastSize) == (100.0, 100.0, 100.0)
    assert ticker.time is not None
    assert ticker.marketPrice() == 190.0
    assert (ticker.minTick, ticker.marketDataType) == (0.01, 1)
    assert fake_gateway.market_data_subscriptions() == {"AAPL": 1}


async def test_set_price_pushes_ticks_and_unpriced_symbol_waits(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """An unpriced symbol streams nothing until set_price, then every price change arrives."""
    ib = await clients.connect(fake_gateway)
    ticker = ib.reqMktData(Contract(conId=IBM.con_id, exchange="SMART"))
    await barrier(ib)
    assert fake_gateway.market_data_subscriptions() == {"IBM": 1}
    assert math.isnan(ticker.last)
    assert math.isnan(ticker.bid)
    assert ticker.time is None

    fake_gateway.set_price("IBM", 210.5)
    await until(lambda: ticker.last == 210.5)
    assert (ticker.bid, ticker.ask) == (210.49, 210.51)
    fake_gateway.set_price("IBM", 211.0)
    await until(lambda: ticker.last == 211.0)
    assert (ticker.prevLast, ticker.bid, ticker.ask) == (210.5, 210.99, 211.01)
    assert ticker.marketPrice() == 211.0


async def test_cancel_mkt_data_stops_only_that_subscription(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """After cancelMktData set_price no longer reaches that ticker; other tickers still update."""
    fake_gateway.set_price("AAPL", 100.0)
    fake_gateway.set_price("MSFT", 300.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    aapl_ticker = ib.reqMktData(aapl)
    msft_ticker = ib.reqMktData(await qualified(ib, "MSFT"))
    await until(lambda: aapl_ticker.last == 100.0 and msft_ticker.last == 300.0)
    assert fake_gateway.market_data_subscriptions() == {"AAPL": 1, "MSFT": 1}

    assert ib.cancelMktData(aapl)
    await barrier(ib)
    assert fake_gateway.market_data_subscriptions() == {"MSFT": 1}
    fake_gateway.set_price("AAPL", 101.0)
    fake_gateway.set_price("MSFT", 301.0)
    await until(lambda: msft_ticker.last == 301.0)
    await barrier(ib)
    assert aapl_ticker.last == 100.0

    ib.disconnect()
    await until(lambda: fake_gateway.market_data_subscriptions() == {})


async def test_unknown_contract_mkt_data_gets_error_200(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Market data for an unknown contract answers error 200 for that reqId; a cancel gets 300."""
    ib = await clients.connect(fake_gateway)
    errors: list[tuple[int, int, Any]] = []

    def on_error(req_id: int, code: int, message: str, contract: Any) -> None:
        errors.append((req_id, code, contract))

    ib.errorEvent += on_error
    # ib_async refuses reqMktData for a contract without conId (it keys tickers by conId).
    nope = Stock("NOPE", "SMART", "USD", conId=999_999)
    ticker = ib.reqMktData(nope)
    req_id = ib.wrapper.ticker2ReqId["mktData"][ticker]
    await until(lambda: errors)
    assert errors == [(req_id, 200, nope)]
    assert fake_gateway.market_data_subscriptions() == {}
    assert math.isnan(ticker.last)

    assert ib.cancelMktData(nope)
    await until(lambda: len(errors) == 2)
    assert errors[1][:2] == (req_id, 300)


async def test_mkt_data_without_con_id_resolves_by_symbol(
    fake_gateway: FakeIBGateway, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A low-level reqMktData with conId 0 is resolved by symbol and decodes to every tick."""
    fake_gateway.set_price("MSFT", 420.0)
    ib = await clients.connect(fake_gateway)
    ticks: list[tuple[int, int, float, float]] = []
    monkeypatch.setattr(ib.wrapper, "priceSizeTick", lambda *args: ticks.append(args))
    sizes: list[tuple[int, int, float]] = []
    monkeypatch.setattr(ib.wrapper, "tickSize", lambda *args: sizes.append(args))
    req_id = ib.client.getReqId()
    low_level_mkt_data(ib, req_id, Stock("MSFT", "SMART", "USD"))
    await barrier(ib)
    assert fake_gateway.market_data_subscriptions() == {"MSFT": 1}
    assert ticks == [
        (req_id, 1, 419.99, 100.0),
        (req_id, 2, 420.01, 100.0),
        (req_id, 4, 420.0, 100.0),
        (req_id, 6, 420.0, 0.0),
        (req_id, 7, 420.0, 0.0),
        (req_id, 9, 420.0, 0.0),
    ]
    assert sizes == [(req_id, 8, 0.0)]


async def test_duplicate_ticker_id_is_refused(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A second reqMktData with a reqId that is still streaming gets error 322."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    ticker = ib.reqMktData(await qualified(ib, "AAPL"))
    req_id = ib.wrapper.ticker2ReqId["mktData"][ticker]
    low_level_mkt_data(ib, req_id, Stock("MSFT", "SMART", "USD"))
    await barrier(ib)
    assert [(r, c) for r, c, _ in errors] == [(req_id, 322)]
    assert fake_gateway.market_data_subscriptions() == {"AAPL": 1}


async def test_snapshot_returns_ticks_without_subscribing(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A reqTickers snapshot holds the quote (empty when unpriced) and leaves no subscription."""
    fake_gateway.set_price("SPY", 560.0)
    ib = await clients.connect(fake_gateway)
    spy, tsla = await asyncio.wait_for(
        ib.reqTickersAsync(await qualified(ib, "SPY"), await qualified(ib, "TSLA")), WAIT
    )
    assert (spy.bid, spy.ask, spy.last) == (559.99, 560.01, 560.0)
    assert math.isnan(tsla.last)
    assert fake_gateway.market_data_subscriptions() == {}


async def test_kill_restart_drops_subscriptions_until_resubscribed(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A kill drops market data subscriptions; after reconnect only a new reqMktData streams."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway, client_id=5)
    contract = await qualified(ib, "AAPL")
    old = ib.reqMktData(contract)
    await until(lambda: old.last == 100.0)

    await fake_gateway.kill()
    await until(lambda: not ib.isConnected())
    assert fake_gateway.market_data_subscriptions() == {}
    await fake_gateway.restart()
    await ib.connectAsync("127.0.0.1", fake_gateway.port, clientId=5, timeout=CONNECT_TIMEOUT)
    fake_gateway.set_price("AAPL", 102.0)
    await barrier(ib)
    # ib_async does not resubscribe on reconnect: nothing streams to the old ticker.
    assert fake_gateway.market_data_subscriptions() == {}
    assert old.last == 100.0

    new = ib.reqMktData(contract)
    assert new is not old
    await until(lambda: new.last == 102.0)
    assert fake_gateway.market_data_subscriptions() == {"AAPL": 1}
    fake_gateway.set_price("AAPL", 103.0)
    await until(lambda: new.last == 103.0)
    assert old.last == 100.0


def test_market_data_message_lengths_and_quote() -> None:
    """Market data builders emit the decoder's field counts; quotes stay on the tick grid."""
    assert len(wire_market.tick_price(1, wire_market.TICK_BID, 1.5, 100)) == 7
    assert len(wire_market.tick_req_params(1, 0.01, "9c0001", 3)) == 5
    assert len(wire_market.market_data_type(1, 1)) == 4
    assert len(wire_market.tick_snapshot_end(1)) == 3
    assert one_tick_quote(190.0, 0.01) == (189.99, 190.01)
    assert one_tick_quote(100.5, 0.25) == (100.25, 100.75)
    assert one_tick_quote(0.005, 0.01) == (0.005, 0.015)
