"""Version negotiation: every server version 157..178 decodes cleanly; others are refused.

IB's own client (ibapi, the reference every other client mirrors) is pinned to each
version in turn by lowering the top of its offered range, and runs the messages whose
layout changes with the version: contract details, errors, open and completed orders,
executions and matching symbols. ib_async runs the same at the versions where a layout
changes (it reads openOrder's duration from 159 where IB's client reads it from 158, so
158 is left to ibapi).
"""

from __future__ import annotations

import asyncio
import struct

import ibapi.client
import pytest
from ib_async import IB, LimitOrder, MarketOrder, Stock
from ibapi.execution import ExecutionFilter

from hydra.testing import FakeIBGateway
from hydra.testing import _wire as wire

from .ibapi_kit import Apps, order, stock, until

pytestmark = pytest.mark.integration


async def run_layout_sensitive_flow_ibapi(apps: Apps, gateway: FakeIBGateway, version: int) -> None:
    """Connect at ``version`` and exercise every message whose layout depends on it."""
    app = await apps.connect()
    assert app.serverVersion() == version
    app.reqContractDetails(1, stock("MSFT"))
    await until(lambda: ("details", 1) in app.done)
    filled, resting = app.take_id(), app.take_id()
    app.placeOrder(filled, stock("MSFT"), order("BUY", 2))
    app.placeOrder(resting, stock("MSFT"), order("BUY", 1, "LMT", lmtPrice=1.0))
    await until(lambda: app.statuses.get(filled) == "Filled" and resting in app.statuses)
    app.reqAllOpenOrders()
    app.reqCompletedOrders(apiOnly=False)
    app.reqExecutions(2, ExecutionFilter())
    app.reqMatchingSymbols(3, "MS")
    app.reqContractDetails(4, stock("NOPE"))
    await until(lambda: ("executions", 2) in app.done and any(e[0] == 4 for e in app.errors))
    assert [(req, code) for req, code, _ in app.errors] == [(4, 200)]
    assert app.details[1][0].contract.conId == 272093


@pytest.mark.parametrize("version", range(wire.MIN_SERVER_VERSION, wire.MAX_SERVER_VERSION + 1))
async def test_ibapi_decodes_every_version(
    apps: Apps, fake_gateway: FakeIBGateway, monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    """IB's client offering 100..N gets version N and decodes every message exactly."""
    fake_gateway.set_price("MSFT", 100.0)
    monkeypatch.setattr(ibapi.client, "MAX_CLIENT_VER", version)
    await run_layout_sensitive_flow_ibapi(apps, fake_gateway, version)


@pytest.mark.parametrize("version", [157, 163, 164, 166, 170, 176, 177, 178])
async def test_ib_async_decodes_versions_where_layouts_change(
    fake_gateway: FakeIBGateway, version: int
) -> None:
    """ib_async pinned to a version decodes details, orders, fills and errors there."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = IB()
    ib.client.MaxClientVersion = version
    await ib.connectAsync("127.0.0.1", fake_gateway.port, clientId=1, timeout=3)
    try:
        assert ib.client.serverVersion() == version
        [contract] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        filled = ib.placeOrder(contract, MarketOrder("BUY", 1))
        resting = ib.placeOrder(contract, LimitOrder("BUY", 1, 1.0))
        await until(lambda: filled.isDone() and resting.orderStatus.status == "Submitted")
        assert filled.fills[0].commissionReport.commission == 1.0
        assert len(await asyncio.wait_for(ib.reqAllOpenOrdersAsync(), 3)) == 1
        assert len(await asyncio.wait_for(ib.reqCompletedOrdersAsync(apiOnly=False), 3)) == 1
        assert len(await asyncio.wait_for(ib.reqExecutionsAsync(), 3)) == 1
        assert await ib.qualifyContractsAsync(Stock("NOPE", "SMART", "USD")) == [None]
    finally:
        ib.disconnect()
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("offer", ["v100..156", "v179..190", "v100", "garbage"])
async def test_client_outside_157_178_is_refused(fake_gateway: FakeIBGateway, offer: str) -> None:
    """A client whose range lies wholly outside 157..178 has its socket closed, no reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", fake_gateway.port)
    payload = offer.encode()
    writer.write(wire.HANDSHAKE_PREFIX + struct.pack(">I", len(payload)) + payload)
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 3) == b""
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize(
    ("offer", "expected"),
    [
        ("v157..178", 178),
        ("v100..213 +PACEAPI", 178),
        ("v157..176", 176),
        ("v170..200", 178),
        ("v160", 160),
        ("v100..156", None),
        ("v179..213", None),
        ("nonsense", None),
    ],
)
def test_negotiation_picks_the_highest_common_version(offer: str, expected: int | None) -> None:
    """The gateway answers the top of the overlap between the offer and 157..178."""
    assert wire.negotiate(offer) == expected
