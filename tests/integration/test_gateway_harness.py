"""The IB contract harness's valuation hooks do what the contract suite relies on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from hydra.domain import BrokerError, Instrument, OrderRequest, Session, Side, TradingHours
from hydra.testing import FakeIBGateway
from hydra.testing.contract_kit import BrokerHarness
from tests.integration.gateway_harness import GatewayHarness, make_gateway

pytestmark = pytest.mark.integration


@pytest.fixture
async def harness(fake_gateway: FakeIBGateway) -> AsyncIterator[GatewayHarness]:
    """The harness over a connected trading client."""
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    yield GatewayHarness(fake_gateway, gateway)
    await gateway.disconnect()


def test_the_ib_harness_is_a_broker_harness(harness: GatewayHarness) -> None:
    """It has every hook the Protocol names (a structural check, at runtime)."""
    hooks = [n for n in vars(BrokerHarness) if not n.startswith("_")]
    assert {"set_exchange_rate", "set_shortable", "set_hours", "margin_previews"} <= set(hooks)
    assert all(callable(getattr(harness, n)) or n == "broker" for n in hooks)


async def test_a_rate_set_or_withdrawn_is_what_the_gateway_reports_on_return(
    harness: GatewayHarness,
) -> None:
    """Set: the new price at once; withdrawn: none (after the session it takes)."""
    await harness.set_exchange_rate("JPY", 0.0071)
    assert harness.broker.exchange_rate("JPY").price == pytest.approx(0.0071)  # type: ignore[union-attr]
    await harness.set_exchange_rate("JPY", None)
    assert harness.broker.exchange_rate("JPY") is None
    assert harness.broker.exchange_rate("EUR") is not None


async def test_shortable_shares_set_or_unreported_are_what_the_gateway_reports(
    harness: GatewayHarness,
) -> None:
    """Before and after qualification; None is unknown even after a number was seen."""
    await harness.set_shortable("TSLA", 300)
    tsla = await harness.broker.qualify_contract(Instrument("TSLA"))
    assert harness.broker.shortable_shares(tsla) == 300
    await harness.set_shortable("TSLA", 0)
    assert harness.broker.shortable_shares(tsla) == 0
    await harness.set_shortable("TSLA", None)
    assert harness.broker.shortable_shares(tsla) is None


async def test_hours_set_reach_the_qualified_spec_at_once(harness: GatewayHarness) -> None:
    """A calendar whose only session ended an hour ago: closed now, on return."""
    aapl = await harness.broker.qualify_contract(Instrument("AAPL"))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ended = Session(now - timedelta(hours=2), now - timedelta(hours=1))
    start = now - timedelta(days=1)
    hours = TradingHours("UTC", (ended,), (ended,), start, start + timedelta(days=3))
    await harness.set_hours("AAPL", hours)
    spec = harness.broker.contract_spec(aapl)
    assert spec is not None
    assert spec.hours is not None
    assert spec.hours.is_open(now, regular=False) is False
    assert spec.hours.trading == (ended,)


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
