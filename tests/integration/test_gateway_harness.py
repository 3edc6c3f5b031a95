"""The IB contract harness's valuation hooks do what the contract suite relies on.

They are synchronous (the suite waits for their effect with ``eventually``); each one's
effect reaches the gateway in the same session, as the suite needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from hydra.domain import (
    BrokerError,
    Instrument,
    OrderRequest,
    Quote,
    Session,
    Side,
    TradingHours,
)
from hydra.testing import FakeIBGateway
from hydra.testing.contract_kit import BrokerHarness, eventually
from tests.integration.gateway_harness import GatewayHarness, connected_harness

pytestmark = pytest.mark.integration


@pytest.fixture
async def harness(fake_gateway: FakeIBGateway) -> AsyncIterator[GatewayHarness]:
    """The harness over a connected trading client."""
    async with connected_harness(fake_gateway) as connected:
        yield connected


def test_the_ib_harness_is_a_broker_harness(harness: GatewayHarness) -> None:
    """It has every hook the Protocol names (a structural check, at runtime)."""
    hooks = [n for n in vars(BrokerHarness) if not n.startswith("_")]
    assert {"set_exchange_rate", "set_shortable", "set_hours", "margin_previews"} <= set(hooks)
    assert all(callable(getattr(harness, n)) or n == "broker" for n in hooks)


async def test_a_rate_set_or_withdrawn_reaches_the_gateway_in_the_same_session(
    harness: GatewayHarness,
) -> None:
    """Set: the new price; withdrawn: none, with the connection untouched."""
    reconnects = harness.broker.reconnects
    harness.set_exchange_rate("JPY", 0.0071)
    await eventually(lambda: _price(harness.broker.exchange_rate("JPY")) == 0.0071)
    harness.set_exchange_rate("JPY", None)
    await eventually(lambda: harness.broker.exchange_rate("JPY") is None)
    assert harness.broker.exchange_rate("EUR") is not None
    assert harness.broker.reconnects == reconnects
    assert harness.broker.is_connected()


async def test_shortable_shares_set_or_unreported_are_what_the_gateway_reports(
    harness: GatewayHarness,
) -> None:
    """Before and after qualification; None is unknown even after a number was seen."""
    harness.set_shortable("TSLA", 300)
    tsla = await harness.broker.qualify_contract(Instrument("TSLA"))
    await eventually(lambda: harness.broker.shortable_shares(tsla) == 300)
    harness.set_shortable("TSLA", 0)
    await eventually(lambda: harness.broker.shortable_shares(tsla) == 0)
    harness.set_shortable("TSLA", None)
    await eventually(lambda: harness.broker.shortable_shares(tsla) is None)
    harness.set_shortable("TSLA", 40)
    await eventually(lambda: harness.broker.shortable_shares(tsla) == 40)


async def test_hours_set_reach_a_qualified_spec(harness: GatewayHarness) -> None:
    """A calendar whose only session ended an hour ago: the qualified spec turns closed."""
    aapl = await harness.broker.qualify_contract(Instrument("AAPL"))
    before = _hours(harness, aapl)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ended = Session(now - timedelta(hours=2), now - timedelta(hours=1))
    start = now - timedelta(days=1)
    hours = TradingHours("UTC", (ended,), (ended,), start, start + timedelta(days=3))
    harness.set_hours("AAPL", hours)
    await eventually(lambda: _hours(harness, aapl) is not None and _hours(harness, aapl) != before)
    read = _hours(harness, aapl)
    assert read is not None
    assert read.is_open(now, regular=False) is False
    assert read.trading == (ended,)
    harness.set_hours("MSFT", hours)  # not qualified yet: its qualification reads them
    msft = await harness.broker.qualify_contract(Instrument("MSFT"))
    assert _hours(harness, msft) is not None
    assert _hours(harness, msft).trading == (ended,)  # type: ignore[union-attr]


async def test_margin_previews_switch_between_answer_error_and_silence(
    harness: GatewayHarness,
) -> None:
    """answer: figures; error: BrokerError; ignore: only the caller's timeout ends it."""
    harness.set_price("AAPL", 200.0)
    aapl = await harness.broker.qualify_contract(Instrument("AAPL"))
    order = OrderRequest.market(Side.BUY, 10)
    assert (await harness.broker.margin_impact(aapl, order)).initial_after == pytest.approx(1000)
    harness.margin_previews("error")
    with pytest.raises(BrokerError):
        await harness.broker.margin_impact(aapl, order)
    harness.margin_previews("ignore")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(harness.broker.margin_impact(aapl, order), 0.1)
    harness.margin_previews("answer")
    assert (await harness.broker.margin_impact(aapl, order)).initial_after == pytest.approx(1000)


def _price(quote: Quote | None) -> float | None:
    return None if quote is None else round(quote.price, 10)


def _hours(harness: GatewayHarness, instrument: Instrument) -> TradingHours | None:
    spec = harness.broker.contract_spec(instrument)
    return None if spec is None else spec.hours
