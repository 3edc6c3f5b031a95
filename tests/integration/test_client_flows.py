"""Every flow a trading client runs, with ib_async 2.x and ib_insync 0.9.86 (same IB API).

Each client negotiates its own server version (ib_async 178, ib_insync 176), so these
tests also pin the per-version layouts. A decode error in either client fails the test
(the conftest guard watches both decoders), and every await is bounded, so a request the
gateway leaves unanswered fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import importlib
import math
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from hydra.testing import FakeIBGateway

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

pytestmark = pytest.mark.integration

WAIT = 3.0
CLIENT_LIBRARIES = {"ib_async": 178, "ib_insync": 176}


@pytest.fixture(params=sorted(CLIENT_LIBRARIES))
def lib(request: pytest.FixtureRequest) -> ModuleType:
    """The client library under test."""
    return importlib.import_module(request.param)


class Session:
    """Clients of one library, connected to one gateway, disconnected at teardown."""

    def __init__(self, lib: ModuleType, gateway: FakeIBGateway) -> None:
        self.lib = lib
        self.gateway = gateway
        self.ibs: list[Any] = []

    async def connect(self, client_id: int = 1) -> Any:
        """A connected IB client of the library under test."""
        ib = self.lib.IB()
        self.ibs.append(ib)
        await ib.connectAsync("127.0.0.1", self.gateway.port, clientId=client_id, timeout=WAIT)
        return ib

    async def qualified(self, ib: Any, symbol: str) -> Any:
        """A stock qualified through the gateway."""
        [contract] = await bounded(ib.qualifyContractsAsync(self.lib.Stock(symbol, "SMART", "USD")))
        return contract


@pytest.fixture
async def session(lib: ModuleType, fake_gateway: FakeIBGateway) -> AsyncIterator[Session]:
    """A session of the parametrized client library against the fake gateway."""
    registry = Session(lib, fake_gateway)
    try:
        yield registry
    finally:
        for ib in registry.ibs:
            ib.disconnect()
        await asyncio.sleep(0.02)


async def bounded(awaitable: Any) -> Any:
    """Await with a deadline: an unanswered request fails the test instead of hanging it."""
    return await asyncio.wait_for(awaitable, WAIT)


async def until(predicate: Callable[[], object]) -> None:
    """Poll until the predicate holds; fail after WAIT seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not predicate():
        if loop.time() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.005)


async def test_connect_negotiates_the_clients_highest_version(
    session: Session, lib: ModuleType
) -> None:
    """Each client gets the highest version both sides speak and a full start-up sync."""
    ib = await session.connect()
    assert ib.client.serverVersion() == CLIENT_LIBRARIES[lib.__name__]
    assert ib.managedAccounts() == ["DU123456"]


async def test_qualify_market_data_and_history(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """Qualify, stream every tick field, and fetch deterministic historical bars."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "AAPL")
    assert contract.conId == 265598
    ticker = ib.reqMktData(contract)
    await until(lambda: ticker.close == 100.0 and ticker.volume == 0.0)
    assert (ticker.bid, ticker.ask, ticker.last) == (99.99, 100.01, 100.0)
    assert (ticker.high, ticker.low) == (100.0, 100.0)
    fake_gateway.set_price("AAPL", 102.0)
    await until(lambda: ticker.last == 102.0)
    assert (ticker.high, ticker.low, ticker.close) == (102.0, 100.0, 100.0)

    bars = await bounded(
        ib.reqHistoricalDataAsync(contract, "", "1 D", "1 hour", "TRADES", useRTH=False)
    )
    again = await bounded(
        ib.reqHistoricalDataAsync(contract, "", "1 D", "1 hour", "TRADES", useRTH=False)
    )
    assert len(bars) == 24
    assert bars[-1].close == 102.0
    assert [(b.open, b.high, b.low, b.close) for b in bars] == [
        (b.open, b.high, b.low, b.close) for b in again
    ]
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)


async def test_reference_requests_are_answered(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """Matching symbols, market rule, head timestamp and PnL are answered, not dropped."""
    fake_gateway.set_price("MSFT", 50.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "MSFT")
    [found] = await bounded(ib.reqMatchingSymbolsAsync("MSF"))
    assert (found.contract.symbol, found.contract.conId) == ("MSFT", 272093)
    [details] = await bounded(ib.reqContractDetailsAsync(contract))
    rule = await bounded(ib.reqMarketRuleAsync(int(details.marketRuleIds)))
    assert [(r.lowEdge, r.increment) for r in rule] == [(0.0, 0.01)]
    head = await bounded(ib.reqHeadTimeStampAsync(contract, "TRADES", useRTH=True, formatDate=1))
    assert (head.year, head.month, head.day) == (2000, 1, 3)

    pnl = ib.reqPnL("DU123456")
    single = ib.reqPnLSingle("DU123456", "", contract.conId)
    trade = ib.placeOrder(contract, session.lib.MarketOrder("BUY", 10))
    await until(lambda: trade.orderStatus.status == "Filled")
    fake_gateway.set_price("MSFT", 52.0)
    await until(lambda: single.value == 520.0)
    assert single.position == 10.0
    assert math.isclose(single.unrealizedPnL, 19.9)
    assert math.isclose(pnl.unrealizedPnL, 19.9)


async def test_option_chains_are_answered(session: Session) -> None:
    """ReqSecDefOptParams lists AAPL's expiries and strikes per exchange and trading class."""
    ib = await session.connect()
    chains = await bounded(ib.reqSecDefOptParamsAsync("AAPL", "", "STK", 265598))
    assert sorted(c.exchange for c in chains) == ["CBOE", "SMART"]
    for chain in chains:
        # ib_async and ib_insync hand the underlying's id over as the text IB sent.
        assert (int(chain.underlyingConId), chain.tradingClass, chain.multiplier) == (
            265598,
            "AAPL",
            "100",
        )
        assert sorted(chain.expirations) == ["20261218", "20270115"]
        assert sorted(chain.strikes) == [190.0, 200.0, 210.0]
    assert await bounded(ib.reqSecDefOptParamsAsync("MSFT", "", "STK", 272093)) == []


async def test_new_order_types_fields_and_futures_decode_in_every_client(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """A TRAIL with GTD, outsideRth and orderRef, an ES qualified by expiry, tick 236."""
    lib = session.lib
    fake_gateway.set_price("AAPL", 100.0)
    fake_gateway.set_price("ESZ6", 6000.0)
    ib = await session.connect()
    aapl = await session.qualified(ib, "AAPL")
    trail = lib.Order(
        action="SELL",
        totalQuantity=1,
        orderType="TRAIL",
        trailingPercent=2.0,
        tif="GTD",
        goodTillDate="20261231 16:00:00 US/Eastern",
        outsideRth=True,
        orderRef="protect",
    )
    trade = ib.placeOrder(aapl, trail)
    await until(lambda: trade.orderStatus.status == "Submitted")
    other = await session.connect(client_id=2)
    [seen] = await bounded(other.reqAllOpenOrdersAsync())
    assert (seen.order.orderType, seen.order.trailingPercent, seen.order.trailStopPrice) == (
        "TRAIL",
        2.0,
        98.0,
    )
    assert (seen.order.goodTillDate, seen.order.outsideRth, seen.order.orderRef) == (
        "20261231 16:00:00 US/Eastern",
        True,
        "protect",
    )
    [es] = await bounded(ib.qualifyContractsAsync(lib.Future("ES", "202612", "CME")))
    assert (es.localSymbol, es.multiplier) == ("ESZ6", "50")
    ticker = ib.reqMktData(es, "236")
    await until(lambda: ticker.last == 6000.0)
    shares = ib.reqMktData(aapl, "236")
    await until(lambda: shares.shortableShares == 10_000_000.0)


async def test_unsupported_request_gets_an_error_not_silence(session: Session) -> None:
    """A request the fake does not implement ends at once with IB's error 503."""
    ib = await session.connect()
    errors: list[int] = []
    ib.errorEvent += lambda req_id, code, *args: errors.append(code)
    contract = await session.qualified(ib, "AAPL")
    histogram = await bounded(ib.reqHistogramDataAsync(contract, useRTH=True, period="1 week"))
    assert histogram == []
    assert errors == [503]


async def test_place_modify_cancel_and_touch_fills(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """Market orders fill at the touch; limits rest, modify into a fill, and cancel."""
    lib = session.lib
    fake_gateway.set_price("AAPL", 100.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "AAPL")
    buy = ib.placeOrder(contract, lib.MarketOrder("BUY", 10))
    await until(lambda: buy.orderStatus.status == "Filled" and buy.fills)
    assert buy.orderStatus.avgFillPrice == 100.01
    assert buy.fills[0].commissionReport.commission == 1.0
    sell = ib.placeOrder(contract, lib.MarketOrder("SELL", 4))
    await until(lambda: sell.orderStatus.status == "Filled")
    assert sell.orderStatus.avgFillPrice == 99.99

    resting = ib.placeOrder(contract, lib.LimitOrder("BUY", 5, 90.0))
    await until(lambda: resting.orderStatus.status == "Submitted")
    resting.order.lmtPrice = 101.0
    ib.placeOrder(contract, resting.order)
    await until(lambda: resting.orderStatus.status == "Filled")
    assert resting.orderStatus.avgFillPrice == 100.0

    doomed = ib.placeOrder(contract, lib.LimitOrder("SELL", 1, 150.0))
    await until(lambda: doomed.orderStatus.status == "Submitted")
    ib.cancelOrder(doomed.order)
    await until(lambda: doomed.orderStatus.status == "Cancelled")

    fills = await bounded(ib.reqExecutionsAsync())
    assert sorted(f.execution.shares for f in fills) == [4.0, 5.0, 10.0]
    await until(lambda: [p.position for p in ib.positions()] == [11.0])
    completed = await bounded(ib.reqCompletedOrdersAsync(apiOnly=False))
    assert sorted(t.orderStatus.status for t in completed) == ["Cancelled", *["Filled"] * 3]


async def test_bracket_children_wait_for_the_parent_and_cancel_each_other(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """A bracket's children rest until the parent fills; the take-profit cancels the stop."""
    fake_gateway.set_price("AAPL", 105.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "AAPL")
    parent, take_profit, stop_loss = [
        ib.placeOrder(contract, order) for order in ib.bracketOrder("BUY", 10, 100.0, 110.0, 90.0)
    ]
    await until(lambda: stop_loss.orderStatus.status == "PreSubmitted")
    assert parent.orderStatus.status == "Submitted"
    assert take_profit.orderStatus.status == "PreSubmitted"
    assert fake_gateway.positions() == {}

    fake_gateway.set_price("AAPL", 99.0)
    await until(lambda: parent.orderStatus.status == "Filled")
    await until(
        lambda: take_profit.orderStatus.status == stop_loss.orderStatus.status == "Submitted"
    )
    fake_gateway.set_price("AAPL", 111.0)
    await until(lambda: take_profit.orderStatus.status == "Filled")
    await until(lambda: stop_loss.orderStatus.status == "Cancelled")
    assert fake_gateway.positions() == {}


async def test_stop_and_stop_limit_orders_trigger(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """A sell stop fills at the bid once the price falls to it; a stop-limit then rests."""
    lib = session.lib
    fake_gateway.set_price("IBM", 200.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "IBM")
    stop = ib.placeOrder(contract, lib.StopOrder("SELL", 2, 190.0))
    stop_limit = ib.placeOrder(contract, lib.StopLimitOrder("SELL", 3, 185.0, 189.0))
    await until(lambda: stop_limit.orderStatus.status == "Submitted")
    fake_gateway.set_price("IBM", 189.0)
    await until(lambda: stop.orderStatus.status == "Filled")
    assert stop.orderStatus.avgFillPrice == 188.99
    assert stop_limit.orderStatus.status == "Filled"
    assert stop_limit.orderStatus.avgFillPrice == 189.0


async def test_oca_group_fill_cancels_the_others(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """When one order of an OCA group fills, the gateway cancels the rest of the group."""
    lib = session.lib
    fake_gateway.set_price("AAPL", 100.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "AAPL")
    orders = ib.oneCancelsAll(
        [lib.LimitOrder("BUY", 1, 95.0), lib.LimitOrder("BUY", 1, 90.0)], "g1", 1
    )
    first, second = [ib.placeOrder(contract, o) for o in orders]
    await until(lambda: second.orderStatus.status == "Submitted")
    fake_gateway.set_price("AAPL", 94.0)
    await until(lambda: first.orderStatus.status == "Filled")
    await until(lambda: second.orderStatus.status == "Cancelled")


async def test_what_if_returns_margin_and_executes_nothing(
    session: Session, fake_gateway: FakeIBGateway
) -> None:
    """A whatIf order is answered with margin and commission figures and never fills."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "AAPL")
    state = await bounded(ib.whatIfOrderAsync(contract, session.lib.MarketOrder("BUY", 10)))
    assert float(state.initMarginChange) == 500.0  # 50 % of 10 x 100
    assert float(state.equityWithLoanBefore) == 100_000.0
    assert state.commission == 1.0
    assert fake_gateway.placed[-1].what_if
    assert fake_gateway.positions() == {}
    assert await bounded(ib.reqAllOpenOrdersAsync()) == []


@pytest.mark.parametrize(
    ("quantity", "limit"),
    [
        (math.nan, 100.0),
        (math.inf, 100.0),
        (0.0, 100.0),
        (-5.0, 100.0),
        (1.0, math.nan),
        (1.0, math.inf),
        (1.0, -1.0),
    ],
)
async def test_invalid_numbers_are_rejected_and_block_nothing(
    session: Session, fake_gateway: FakeIBGateway, quantity: float, limit: float
) -> None:
    """An order with a NaN, infinite, zero or negative number gets error 201 at once."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await session.connect()
    contract = await session.qualified(ib, "AAPL")
    bad = ib.placeOrder(contract, session.lib.LimitOrder("BUY", quantity, limit))
    await until(lambda: bad.orderStatus.status == "Cancelled")
    assert [entry.errorCode for entry in bad.log][-1] == 201
    other = await session.connect(client_id=2)
    assert await bounded(other.reqAllOpenOrdersAsync()) == []


async def test_global_cancel_and_reconnect(session: Session, fake_gateway: FakeIBGateway) -> None:
    """Global cancel reaches another client's orders; a reconnect replays state."""
    lib = session.lib
    fake_gateway.set_price("AAPL", 100.0)
    trader = await session.connect(client_id=1)
    contract = await session.qualified(trader, "AAPL")
    filled = trader.placeOrder(contract, lib.MarketOrder("BUY", 3))
    resting = trader.placeOrder(contract, lib.LimitOrder("BUY", 1, 50.0))
    await until(lambda: resting.orderStatus.status == "Submitted" and filled.isDone())
    operator = await session.connect(client_id=9)
    operator.reqGlobalCancel()
    await until(lambda: resting.orderStatus.status == "Cancelled")

    await fake_gateway.kill()
    await until(lambda: not trader.isConnected())
    await fake_gateway.restart()
    again = await session.connect(client_id=1)
    await until(lambda: [p.position for p in again.positions()] == [3.0])
    assert [f.execution.shares for f in again.fills()] == [3.0]
    summary = await bounded(again.accountSummaryAsync())
    cash = [float(v.value) for v in summary if v.tag == "TotalCashValue"]
    assert cash == [100_000.0 - 3 * 100.01 - 1.0]
