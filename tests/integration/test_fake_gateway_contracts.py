"""Contract identity at the fake gateway, with the real ib_async: expiries, options, hours."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from ib_async import Contract, Future, LimitOrder, Option, Stock

from hydra.testing import FakeIBGateway

from .ib_async_kit import WAIT, Clients, record_errors, until

pytestmark = pytest.mark.integration

MONDAY = date(2026, 12, 21)  # Friday 25 December is the holiday below


async def _details(ib: object, contract: Contract) -> list[object]:
    return await asyncio.wait_for(ib.reqContractDetailsAsync(contract), WAIT)  # type: ignore[attr-defined, no-any-return]


async def test_a_future_by_symbol_lists_each_expiry_and_one_expiry_qualifies(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ES alone matches Dec-2026 and Mar-2027, with IB's fields; ES 202612 is one contract."""
    ib = await clients.connect(fake_gateway)
    both = await _details(ib, Future("ES", exchange="CME"))
    assert [
        (d.contract.lastTradeDateOrContractMonth, d.contract.localSymbol, d.contractMonth)
        for d in both
    ] == [("20261218", "ESZ6", "202612"), ("20270319", "ESH7", "202703")]
    dec = both[0]
    assert (dec.contract.tradingClass, dec.contract.multiplier, dec.minTick) == ("ES", "50", 0.25)
    assert (dec.timeZoneId, dec.realExpirationDate, dec.longName) == (
        "US/Central",
        "20261218",
        "E-mini S&P 500",
    )
    assert await ib.qualifyContractsAsync(Future("ES", exchange="CME")) == [None]  # ambiguous
    [esz6] = await ib.qualifyContractsAsync(Future("ES", "202612", "CME"))
    assert (esz6.conId, esz6.localSymbol) == (730_283_085, "ESZ6")
    [esh7] = await ib.qualifyContractsAsync(Contract(secType="FUT", localSymbol="ESH7"))
    assert esh7.lastTradeDateOrContractMonth == "20270319"


async def test_options_match_by_expiry_right_and_strike(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """AAPL OPT Dec-2026 calls list three strikes (multiplier 100); a strike makes it one."""
    ib = await clients.connect(fake_gateway)
    calls = await _details(ib, Option("AAPL", "20261218", right="C", exchange="SMART"))
    assert [d.contract.strike for d in calls] == [190.0, 200.0, 210.0]
    assert {d.contract.multiplier for d in calls} == {"100"}
    assert {d.underConId for d in calls} == {265598}
    [call] = await ib.qualifyContractsAsync(Option("AAPL", "20261218", 200, "C", "SMART"))
    assert call.localSymbol == "AAPL  261218C00200000"
    every = await _details(ib, Option("AAPL", exchange="SMART"))
    assert len(every) == 12


async def test_an_order_or_a_quote_for_an_ambiguous_contract_gets_error_200(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ES without an expiry names two contracts: placeOrder and reqMktData are refused."""
    fake_gateway.set_price("ESZ6", 6000.0)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    trade = ib.placeOrder(Future("ES", exchange="CME"), LimitOrder("BUY", 1, 5990.0))
    # ib_async refuses to subscribe an unqualified contract itself; its client sends it.
    ib.client.reqMktData(
        ib.client.getReqId(),
        Future("ES", exchange="CME"),
        genericTickList="",
        snapshot=False,
        regulatorySnapshot=False,
        mktDataOptions=[],
    )
    await until(lambda: len(errors) == 2)
    assert {code for _, code, _ in errors} == {200}
    assert all("ambiguous" in text for _, _, text in errors)
    assert trade.orderStatus.status == "Cancelled"
    assert fake_gateway.order_status(trade.order.orderId) == "Inactive"


async def test_hours_are_24_hour_days_by_default_whatever_the_holidays(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Out of the box every listed day is one session 00:00-00:00, trading and liquid."""
    fake_gateway.list_hours_from(MONDAY)
    fake_gateway.set_holidays({date(2026, 12, 25)})
    assert fake_gateway.exchange_hours is False
    assert FakeIBGateway(exchange_hours=True).exchange_hours is True
    ib = await clients.connect(fake_gateway)
    [es] = await _details(ib, Future("ES", "202612", "CME"))
    [aapl] = await _details(ib, Stock("AAPL", "SMART", "USD"))
    for details in (es, aapl):
        assert details.tradingHours == details.liquidHours
        assert details.tradingHours.split(";") == [
            f"202612{day}:0000-202612{day + 1}:0000" for day in range(21, 28)
        ]
    assert (es.timeZoneId, aapl.timeZoneId) == ("US/Central", "US/Eastern")


async def test_hours_are_ibs_format_with_the_holiday_closed(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Exchange hours: a week from the listed day, overnight for ES, CLOSED on holidays."""
    fake_gateway.use_exchange_hours()
    fake_gateway.list_hours_from(MONDAY)
    fake_gateway.set_holidays({date(2026, 12, 25)})
    ib = await clients.connect(fake_gateway)
    [es] = await _details(ib, Future("ES", "202612", "CME"))
    assert es.tradingHours.split(";") == [
        "20261220:1700-20261221:1600",
        "20261221:1700-20261222:1600",
        "20261222:1700-20261223:1600",
        "20261223:1700-20261224:1600",
        "20261225:CLOSED",
        "20261226:CLOSED",
        "20261227:CLOSED",
    ]
    assert es.liquidHours.split(";")[0] == "20261221:0830-20261221:1500"
    [aapl] = await _details(ib, Stock("AAPL", "SMART", "USD"))
    assert aapl.timeZoneId == "US/Eastern"
    assert aapl.liquidHours.split(";")[:2] == [
        "20261221:0930-20261221:1600",
        "20261222:0930-20261222:1600",
    ]
    assert aapl.tradingHours.startswith("20261221:0400-20261221:2000;")
    fake_gateway.set_trading_hours("AAPL", "20261221:CLOSED")
    [closed] = await _details(ib, Stock("AAPL", "SMART", "USD"))
    assert (closed.tradingHours, closed.liquidHours) == ("20261221:CLOSED", "20261221:CLOSED")


async def test_a_tokyo_stock_trades_in_yen_in_tokyo_hours(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """7203 on TSEJ: currency JPY, tick 1, Asia/Tokyo, 09:00-15:30 (exchange hours)."""
    fake_gateway.list_hours_from(MONDAY)
    ib = await clients.connect(fake_gateway)
    [always] = await _details(ib, Stock("7203", "SMART", "JPY"))
    assert always.liquidHours.startswith("20261221:0000-20261222:0000;")
    fake_gateway.use_exchange_hours(on=True)
    [toyota] = await _details(ib, Stock("7203", "SMART", "JPY"))
    assert (toyota.contract.currency, toyota.contract.primaryExchange, toyota.minTick) == (
        "JPY",
        "TSEJ",
        1.0,
    )
    assert toyota.timeZoneId == "Asia/Tokyo"
    assert toyota.liquidHours.startswith("20261221:0900-20261221:1530;")


async def test_market_rules_follow_each_instruments_tick(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ES advertises a rule of 0.25 from 0; a stock IB's rule 26 (0.01)."""
    ib = await clients.connect(fake_gateway)
    [es] = await _details(ib, Future("ES", "202612", "CME"))
    [aapl] = await _details(ib, Stock("AAPL", "SMART", "USD"))
    es_rule = await asyncio.wait_for(ib.reqMarketRuleAsync(int(es.marketRuleIds)), WAIT)
    assert [(r.lowEdge, r.increment) for r in es_rule] == [(0.0, 0.25)]
    assert aapl.marketRuleIds == "26"


async def test_matching_symbols_name_the_derivatives_listed_on_a_stock(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """AAPL's row lists OPT; ES's futures give one FUT row."""
    ib = await clients.connect(fake_gateway)
    [aapl] = await asyncio.wait_for(ib.reqMatchingSymbolsAsync("AAPL"), WAIT)
    assert (aapl.contract.secType, aapl.derivativeSecTypes) == ("STK", ["OPT"])
    [es] = await asyncio.wait_for(ib.reqMatchingSymbolsAsync("ES"), WAIT)
    assert (es.contract.symbol, es.contract.secType) == ("ES", "FUT")
