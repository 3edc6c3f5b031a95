"""What issue 19's checks read from the fake gateway, with the real ib_async client.

whatIf margin figures that move with the order, exchange rates per currency, a stock in
yen, and shortable shares on the market data stream.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from ib_async import IB, Future, LimitOrder, MarketOrder, Option, Stock

from hydra.testing import FakeIBGateway, MarginModel

from .ib_async_kit import WAIT, Clients, account_value, qualified, until

pytestmark = pytest.mark.integration


async def test_what_if_margin_moves_with_the_order(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Stocks 50 %, ES 20,000 a contract, a short call on its underlying; never executed."""
    fake_gateway.set_price("AAPL", 200.0)
    fake_gateway.set_price("ESZ6", 6000.0)
    fake_gateway.set_price("AAPL  261218C00210000", 5.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    [es] = await ib.qualifyContractsAsync(Future("ES", "202612", "CME"))
    [call] = await ib.qualifyContractsAsync(Option("AAPL", "20261218", 210, "C", "SMART"))

    async def change(contract: object, order: object) -> float:
        state = await asyncio.wait_for(ib.whatIfOrderAsync(contract, order), WAIT)
        return float(state.initMarginChange)

    assert await change(aapl, MarketOrder("BUY", 100)) == 10_000.0  # 50 % of 20,000
    assert await change(es, MarketOrder("BUY", 1)) == 20_000.0
    assert await change(es, MarketOrder("SELL", 6)) == 120_000.0
    # Short 5 calls, 210 strike, AAPL at 200: max(20 % x 200 - 10, 10 % x 200) x 100 each.
    assert await change(call, LimitOrder("SELL", 5, 5.0)) == 15_000.0
    assert await change(call, LimitOrder("BUY", 5, 5.0)) == 0.0  # a long option: paid up
    assert fake_gateway.positions() == {}
    assert [p.what_if for p in fake_gateway.placed] == [True] * 5


async def test_what_if_figures_start_from_the_account_and_a_closing_order_frees_margin(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Before/after follow the positions held; a sale of half of them frees half the margin."""
    fake_gateway.set_price("ESZ6", 6000.0)
    ib = await clients.connect(fake_gateway)
    [es] = await ib.qualifyContractsAsync(Future("ES", "202612", "CME"))
    bought = ib.placeOrder(es, MarketOrder("BUY", 2))
    await until(lambda: bought.orderStatus.status == "Filled")
    await until(lambda: account_value(ib, "InitMarginReq") == 40_000.0)
    assert account_value(ib, "MaintMarginReq") == 36_000.0
    state = await asyncio.wait_for(ib.whatIfOrderAsync(es, MarketOrder("SELL", 1)), WAIT)
    assert (float(state.initMarginBefore), float(state.initMarginAfter)) == (40_000.0, 20_000.0)
    assert float(state.initMarginChange) == -20_000.0
    equity = account_value(ib, "NetLiquidation")
    assert float(state.equityWithLoanBefore) == pytest.approx(equity)
    assert float(state.equityWithLoanAfter) == pytest.approx(equity - 1.0)  # the commission
    assert float(state.equityWithLoanChange) == -1.0
    fake_gateway.margin_model = MarginModel(stock_initial=1.0, stock_maintenance=0.5)
    aapl_state = await asyncio.wait_for(
        ib.whatIfOrderAsync(await qualified(ib, "AAPL"), LimitOrder("BUY", 10, 150.0)), WAIT
    )
    assert float(aapl_state.initMarginChange) == 1500.0


async def test_a_what_if_can_be_left_unanswered_or_refused(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """what_if_answers("ignore") leaves the client waiting; "error" answers error 201."""
    fake_gateway.set_price("AAPL", 200.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    fake_gateway.what_if_answers("ignore")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ib.whatIfOrderAsync(aapl, MarketOrder("BUY", 1)), 0.3)
    fake_gateway.what_if_answers("error", message="margin service down")
    errors: list[tuple[int, str]] = []
    ib.errorEvent += lambda req_id, code, text, contract: errors.append((code, text))
    refused = await asyncio.wait_for(ib.whatIfOrderAsync(aapl, MarketOrder("BUY", 1)), WAIT)
    assert refused in (None, [])  # ib_async ends the request without an order state
    assert errors == [(201, "Order rejected - reason:margin service down")]
    fake_gateway.what_if_answers("answer")
    state = await asyncio.wait_for(ib.whatIfOrderAsync(aapl, MarketOrder("BUY", 1)), WAIT)
    assert float(state.initMarginChange) == 100.0
    with pytest.raises(ValueError, match="mode must be one of"):
        fake_gateway.what_if_answers("maybe")


async def test_exchange_rates_and_a_yen_stock_in_the_account(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """ExchangeRate per currency; 100 x 3,000 yen books yen cash and values it in dollars."""
    fake_gateway.set_exchange_rate("JPY", 0.0067)
    fake_gateway.set_price("7203", 3000.0)
    ib = await clients.connect(fake_gateway)
    await until(lambda: account_value(ib, "ExchangeRate", "JPY") == 0.0067)
    assert account_value(ib, "ExchangeRate", "BASE") == 1.0
    assert account_value(ib, "ExchangeRate", "USD") == 1.0
    toyota = (await ib.qualifyContractsAsync(Stock("7203", "SMART", "JPY")))[0]
    trade = ib.placeOrder(toyota, LimitOrder("BUY", 100, 3000.0))
    await until(lambda: trade.orderStatus.status == "Filled")
    await until(lambda: _reported(ib, "CashBalance", "JPY") == [-300_001.0])
    assert account_value(ib, "StockMarketValue", "JPY") == 300_000.0
    assert account_value(ib, "NetLiquidation") == pytest.approx(100_000.0 - 0.0067)
    assert fake_gateway.cash_balances() == {"USD": 100_000.0, "JPY": -300_001.0}
    fake_gateway.set_exchange_rate("JPY", 0.0070)  # the yen strengthens: the stock is worth more
    await until(lambda: account_value(ib, "ExchangeRate", "JPY") == 0.0070)
    assert account_value(ib, "NetLiquidation") == pytest.approx(100_000.0 - 0.0070)
    fake_gateway.set_exchange_rate("JPY", None)  # no longer reported: a missing rate
    assert fake_gateway.exchange_rate("JPY") is None
    await until(lambda: _raw(ib, "ExchangeRate", "JPY") == [""])  # withdrawn: no value
    fresh = await clients.connect(fake_gateway, client_id=2)
    rates = {v.currency for v in fresh.accountValues() if v.tag == "ExchangeRate"}
    assert "JPY" not in rates
    assert {"BASE", "USD", "EUR"} <= rates


def _raw(ib: IB, tag: str, currency: str) -> list[str]:
    """The client's values of a tag in a currency, as IB sent them (text)."""
    return [v.value for v in ib.accountValues() if (v.tag, v.currency) == (tag, currency)]


def _reported(ib: IB, tag: str, currency: str) -> list[float]:
    """The client's values of a tag in a currency (none yet: an empty list)."""
    return [float(v.value) for v in ib.accountValues() if (v.tag, v.currency) == (tag, currency)]


async def test_shortable_shares_stream_as_generic_tick_236(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Tick 236 brings the indicator and the shares; none available is 1.0 and 0 shares."""
    fake_gateway.set_price("TSLA", 300.0)
    fake_gateway.set_price("AAPL", 200.0)
    ib = await clients.connect(fake_gateway)
    tsla = await qualified(ib, "TSLA")
    ticker = ib.reqMktData(tsla, "236")
    await until(lambda: ticker.shortableShares == 10_000_000.0)
    assert ticker.shortable == 3.0
    fake_gateway.set_shortable("TSLA", 500)
    await until(lambda: ticker.shortableShares == 500.0)
    assert ticker.shortable == 2.0
    fake_gateway.set_shortable("TSLA", 0)
    await until(lambda: ticker.shortableShares == 0.0)
    assert ticker.shortable == 1.0
    fake_gateway.set_shortable("TSLA", None)  # unknown from now on: NaN once, then nothing
    assert fake_gateway.shortable("TSLA") is None
    await until(lambda: math.isnan(ticker.shortableShares))
    plain = ib.reqMktData(await qualified(ib, "AAPL"))  # no tick 236 asked for
    await until(lambda: plain.last == 200.0)
    fake_gateway.set_shortable("AAPL", 5)
    await asyncio.sleep(0.05)
    assert plain.shortableShares != plain.shortableShares  # never set: NaN
    with pytest.raises(ValueError, match="shortable shares"):
        fake_gateway.set_shortable("TSLA", -1)
