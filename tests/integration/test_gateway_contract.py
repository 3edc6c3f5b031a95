"""The BrokerContract suite over BrokerGateway + the real ib_async client + FakeIBGateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hydra.testing import FakeIBGateway
from hydra.testing.contract import BrokerContract
from tests.integration.gateway_harness import SIM_PRICES, GatewayHarness, make_gateway

pytestmark = pytest.mark.integration


@pytest.fixture
async def fake_gateway() -> AsyncIterator[FakeIBGateway]:
    """A started FakeIBGateway filling market orders at the reference price, like the simulator.

    It starts from the simulator's prices too, so an option's underlying has one. The
    adapter contract holds the simulator and the IB path to the same fills; touch fills
    (the gateway's default) are pinned in test_fake_gateway_market.py.
    """
    gateway = FakeIBGateway(port=0, market_fill="last", prices=SIM_PRICES)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


class TestBrokerGatewayContract(BrokerContract):
    """BrokerGateway honours the BrokerPort contract, over a real socket."""

    @pytest.fixture
    async def harness(self, fake_gateway: FakeIBGateway) -> AsyncIterator[GatewayHarness]:
        """A BrokerGateway connected to the fake as the trading client."""
        gateway = make_gateway(fake_gateway)
        await gateway.connect()
        yield GatewayHarness(fake_gateway, gateway)
        await gateway.disconnect()
