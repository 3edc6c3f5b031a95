"""BrokerGateway.margin_impact: IB's whatIf through the gate's own door, never executed.

The real ib_async client over loopback against FakeIBGateway, whose whatIf figures come
from its margin model (stocks 50 %, ES 20,000 a contract).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from ib_async import Stock

from hydra.adapters.ib import BrokerGateway, to_ib_order
from hydra.application import RiskGate
from hydra.domain import (
    BrokerError,
    BrokerNotConnectedError,
    CircuitBreakerManager,
    Instrument,
    OrderRequest,
    PermissionDeniedError,
    SecurityType,
    Side,
)
from hydra.testing import FakeIBGateway
from hydra.testing.contract import eventually
from tests.integration.gateway_harness import make_gateway

pytestmark = pytest.mark.integration

ES = Instrument("ES", SecurityType.FUTURE, exchange="CME", expiry="202612", multiplier=50)


@pytest.fixture
async def gateway(fake_gateway: FakeIBGateway) -> AsyncIterator[BrokerGateway]:
    """The trading client, its capability claimed by a gate (so the door guards the client)."""
    fake_gateway.set_price("ESZ6", 6000.0)
    fake_gateway.set_price("AAPL", 200.0)
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    RiskGate(gateway, CircuitBreakerManager())
    yield gateway
    await gateway.disconnect()


def preview_futures(gateway: BrokerGateway) -> list[object]:
    """ib_async's requests by id still pending or holding a result (none once idle)."""
    wrapper = gateway._ib.wrapper
    return [k for k in (*wrapper._futures, *wrapper._results) if isinstance(k, int)]


async def test_the_figures_move_with_the_order(gateway: BrokerGateway) -> None:
    """1 ES takes ~20k initial margin, 6 ES ~120k, 100 AAPL at 200 ~10k; in USD."""
    es = await gateway.qualify_contract(ES)
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    one = await gateway.margin_impact(es, OrderRequest.market(Side.BUY, 1))
    six = await gateway.margin_impact(es, OrderRequest.limit(Side.BUY, 6, 6000.0))
    stock = await asyncio.wait_for(  # as the gate bounds it: in a task of its own
        gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 100)), 5
    )
    assert one.initial_before == 0.0
    assert one.initial_after == pytest.approx(20_000.0)
    assert six.initial_after == pytest.approx(120_000.0)
    assert stock.initial_after == pytest.approx(10_000.0)
    assert one.equity_with_loan == pytest.approx(100_000.0, abs=5)
    assert {one.currency, six.currency, stock.currency} == {"USD"}


async def test_a_preview_executes_nothing(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """The fake got whatIf messages only: no fill, no position, no order working anywhere."""
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    for quantity in (10, 20):
        await gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, quantity))
    assert [order.what_if for order in fake_gateway.placed] == [True, True]
    assert fake_gateway.positions() == {}
    assert all(fake_gateway.order_status(o.order_id) is None for o in fake_gateway.placed)
    assert gateway.open_orders() == []
    assert gateway.positions() == []
    assert gateway.account().cash == pytest.approx(100_000.0)


async def test_the_raw_client_cannot_send_a_what_if_past_the_door(
    gateway: BrokerGateway,
) -> None:
    """Only the gateway's own preview leaves through the door; ib_async's own call is refused."""
    order = to_ib_order(OrderRequest.market(Side.BUY, 1))
    with pytest.raises(PermissionDeniedError):
        gateway._ib.whatIfOrderAsync(Stock("AAPL", "SMART", "USD"), order)
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    assert (await gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 1))).initial_after


async def test_ibs_refusal_is_a_broker_error_with_its_text(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """Mode "error": IB's error for the preview's id becomes BrokerError naming its message."""
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    fake_gateway.what_if_answers("error", message="margin desk closed")
    with pytest.raises(BrokerError, match="margin desk closed"):
        await gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 10))
    assert preview_futures(gateway) == []
    assert gateway._previews.pending == 0


async def test_an_unanswered_preview_times_out_and_leaves_nothing_pending(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """Mode "ignore" + wait_for: TimeoutError; no waiter left; the next preview answers."""
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    fake_gateway.what_if_answers("ignore")
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 10)), 0.1
            )
    assert preview_futures(gateway) == []
    assert gateway._previews.pending == 0
    fake_gateway.what_if_answers("answer")
    impact = await asyncio.wait_for(
        gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 10)), 5
    )
    assert impact.initial_after == pytest.approx(1_000.0)
    assert gateway.is_connected()


async def test_a_late_answer_to_a_timed_out_preview_is_dropped(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """IB answering after the caller gave up changes nothing and leaves nothing behind."""
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    fake_gateway.what_if_answers("ignore")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 5)), 0.1)
    fake_gateway.what_if_answers("answer")
    assert fake_gateway.answer_ignored_previews() == 1
    impact = await gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 30))
    assert impact.initial_after == pytest.approx(3_000.0)  # this preview's, not the late 500
    assert preview_futures(gateway) == []
    assert gateway.open_orders() == []
    assert [k for k in gateway._ib.wrapper._results if isinstance(k, int)] == []


async def test_an_unknown_contract_is_ibs_error_200(gateway: BrokerGateway) -> None:
    """A contract IB does not know: BrokerError with IB's no-security-definition text."""
    with pytest.raises(BrokerError, match="No security definition"):
        await gateway.margin_impact(Instrument("NOPE"), OrderRequest.market(Side.BUY, 1))


async def test_no_preview_without_the_connection(
    fake_gateway: FakeIBGateway, gateway: BrokerGateway
) -> None:
    """Disconnected before, or dropped while waiting: BrokerNotConnectedError (a BrokerError)."""
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    fake_gateway.what_if_answers("ignore")
    waiting = asyncio.ensure_future(gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 1)))
    await eventually(lambda: bool(preview_futures(gateway)))
    fake_gateway.drop_connection(1)
    with pytest.raises(BrokerNotConnectedError, match="lost"):
        await asyncio.wait_for(waiting, 5)
    await gateway.disconnect()
    with pytest.raises(BrokerNotConnectedError, match="preview margin"):
        await gateway.margin_impact(aapl, OrderRequest.market(Side.BUY, 1))


async def test_a_read_only_client_previews_nothing(fake_gateway: FakeIBGateway) -> None:
    """The CLI's client (id 3, read-only) refuses: previews go over the trading client."""
    cli = make_gateway(fake_gateway, client_id=3)
    await cli.connect()
    aapl = await cli.qualify_contract(Instrument("AAPL"))
    with pytest.raises(BrokerError, match="read-only"):
        await cli.margin_impact(aapl, OrderRequest.market(Side.BUY, 1))
    assert fake_gateway.placed == []
    await cli.disconnect()
