"""BrokerGateway values risk the way IB does: exchange rates, margin rows, shortable shares.

And an option's underlying, streamed from the option's qualification. The real ib_async
client over loopback against FakeIBGateway.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest

from hydra.adapters.ib import BrokerGateway
from hydra.domain import Instrument, Right, SecurityType
from hydra.testing import FakeIBGateway
from hydra.testing import _wire_account as wire_account
from hydra.testing.contract import eventually
from tests.integration.gateway_harness import make_gateway

pytestmark = pytest.mark.integration

ACCOUNT = "DU123456"
AAPL_CON_ID = 265598


@pytest.fixture
async def gateway(fake_gateway: FakeIBGateway) -> AsyncIterator[BrokerGateway]:
    """The trading client, connected to the fake."""
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    yield gateway
    await gateway.disconnect()


def rate(gateway: BrokerGateway, currency: str) -> float | None:
    """The rate's price, or None."""
    quote = gateway.exchange_rate(currency)
    return None if quote is None else quote.price


async def test_rates_are_ibs_exchange_rate_values_and_the_base_is_one(
    gateway: BrokerGateway,
) -> None:
    """Yen and euro as the account reports them; USD (the base) 1; an unlisted one None."""
    assert rate(gateway, "JPY") == pytest.approx(1 / 150)
    assert rate(gateway, "EUR") == pytest.approx(1.08)
    assert rate(gateway, "USD") == 1.0
    assert gateway.exchange_rate("XAU") is None
    quote = gateway.exchange_rate("JPY")
    assert quote is not None
    assert quote.time.tzinfo is not None


async def test_a_moved_rate_arrives_and_an_unchanged_one_stays_current(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """A new JPY rate streams in; any later account message makes the old one current again."""
    fake_gateway.set_exchange_rate("JPY", 0.0068)
    await eventually(lambda: rate(gateway, "JPY") == pytest.approx(0.0068))
    before = gateway.exchange_rate("JPY")
    assert before is not None
    await asyncio.sleep(0.002)  # so the wall clock has moved on
    fake_gateway.send_raw(1, wire_account.account_value("AccountType", "INDIVIDUAL", "", ACCOUNT))
    await eventually(lambda: gateway.exchange_rate("JPY").time > before.time)  # type: ignore[union-attr]
    assert rate(gateway, "JPY") == pytest.approx(0.0068)
    stamped = gateway.exchange_rate("JPY")
    await asyncio.sleep(0.002)
    fake_gateway.send_raw(1, wire_account.account_time("12:00"))  # IB's account time alone
    await eventually(lambda: gateway.exchange_rate("JPY").time > stamped.time)  # type: ignore[union-attr]


async def test_a_rate_sent_as_zero_is_missing(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """IB sending 0 (or no number) for a rate leaves it missing, never a zero price."""
    fake_gateway.send_raw(1, wire_account.account_value("ExchangeRate", "0", "EUR", ACCOUNT))
    await eventually(lambda: gateway.exchange_rate("EUR") is None)
    assert rate(gateway, "JPY") == pytest.approx(1 / 150)


async def test_rates_go_with_the_connection_and_come_back_as_ib_resends_them(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """A lost session forgets every rate; the next one has what IB sends then."""
    reconnects = gateway.reconnects
    assert rate(gateway, "JPY") == pytest.approx(1 / 150)
    await fake_gateway.kill()
    fake_gateway.set_exchange_rate("JPY", None)  # heard by nobody: the next session lacks yen
    await fake_gateway.restart()
    await eventually(lambda: gateway.reconnects > reconnects and gateway.is_connected())
    await eventually(lambda: rate(gateway, "EUR") == pytest.approx(1.08))
    assert gateway.exchange_rate("JPY") is None


async def test_a_rate_withdrawn_in_session_is_missing_at_once(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """The fake's withdrawal (the row without a value) makes the rate missing, no reconnect."""
    fake_gateway.set_exchange_rate("JPY", None)
    await eventually(lambda: gateway.exchange_rate("JPY") is None)
    assert rate(gateway, "EUR") == pytest.approx(1.08)
    fake_gateway.set_exchange_rate("JPY", 0.0066)
    await eventually(lambda: rate(gateway, "JPY") == pytest.approx(0.0066))


async def test_the_account_carries_ibs_initial_margin_and_equity_with_loan(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """InitMarginReq and EquityWithLoanValue in the base currency; they move with a fill."""
    account = gateway.account()
    assert account.initial_margin == 0.0
    assert account.equity_with_loan == pytest.approx(fake_gateway.net_liquidation())
    fake_gateway.set_price("AAPL", 200.0)
    fake_gateway.inject_foreign_order("AAPL", "BUY", 100, order_type="MKT")
    await eventually(lambda: gateway.account().initial_margin == pytest.approx(10_000.0, abs=5))
    fake_gateway.send_raw(1, wire_account.account_value("InitMarginReq", "777.00", "BASE", ACCOUNT))
    await eventually(lambda: gateway.account().initial_margin == 777.0)


async def test_a_stocks_shortable_shares_stream_with_its_prices(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """Tick 236 on the stock's subscription: the shares, then none, then a few."""
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    await eventually(lambda: gateway.shortable_shares(aapl) == 10_000_000)
    fake_gateway.set_shortable("AAPL", 0)
    await eventually(lambda: gateway.shortable_shares(aapl) == 0.0)
    fake_gateway.set_shortable("AAPL", 500)
    await eventually(lambda: gateway.shortable_shares(aapl) == 500.0)
    assert gateway.shortable_shares(Instrument("AAPL")) is None  # not qualified: no con id


async def test_shortable_shares_are_unknown_until_reported_and_for_non_stocks(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """A stock IB says nothing about is None; a future or an option is None."""
    fake_gateway.set_price("TSLA", 250.0)
    fake_gateway.set_shortable("TSLA", None)
    tsla = await gateway.qualify_contract(Instrument("TSLA"))
    assert gateway.reference_price(tsla) is not None  # its prices did arrive
    assert gateway.shortable_shares(tsla) is None
    fake_gateway.set_price("ESZ6", 6000.0)
    es = await gateway.qualify_contract(
        Instrument("ES", SecurityType.FUTURE, exchange="CME", expiry="202612", multiplier=50)
    )
    assert gateway.shortable_shares(es) is None


async def test_without_market_data_no_shares_are_known(fake_gateway: FakeIBGateway) -> None:
    """market_data=False streams nothing: no price, no shortable shares (fail closed)."""
    gateway = make_gateway(fake_gateway, market_data=False)
    await gateway.connect()
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    assert gateway.shortable_shares(aapl) is None
    await gateway.disconnect()


async def test_an_option_names_its_underlying_whose_price_streams(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """AAPL Dec 200 call: underlying_con_id is AAPL's, and AAPL's price follows the fake."""
    fake_gateway.set_price("AAPL", 201.0)
    fake_gateway.set_price("AAPL  261218C00200000", 7.5)
    call = await gateway.qualify_contract(
        Instrument(
            "AAPL",
            SecurityType.OPTION,
            expiry="20261218",
            strike=200.0,
            right=Right.CALL,
            multiplier=100,
        )
    )
    spec = gateway.contract_spec(call)
    assert spec is not None
    assert spec.underlying_con_id == AAPL_CON_ID
    underlying = Instrument("AAPL", SecurityType.STOCK, "USD", con_id=spec.underlying_con_id)
    quote = gateway.reference_price(underlying)
    assert quote is not None
    assert quote.price == pytest.approx(201.0)
    fake_gateway.set_price("AAPL", 190.0)
    await eventually(lambda: gateway.reference_price(underlying).price == 190.0)  # type: ignore[union-attr]
    stock = gateway.contract_spec(underlying)
    assert stock is not None
    assert (stock.sec_type, stock.underlying_con_id) == (SecurityType.STOCK, 0)
    assert math.isclose(gateway.reference_price(call).price, 7.5)  # type: ignore[union-attr]
    assert fake_gateway.market_data_subscriptions()["AAPL"] == 1
