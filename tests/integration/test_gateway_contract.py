"""The BrokerContract suite over BrokerGateway + the real ib_async client + FakeIBGateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hydra.testing import FakeIBGateway
from tests.contract.broker_contract import BrokerContract
from tests.integration.gateway_harness import GatewayHarness, make_gateway


class TestBrokerGatewayContract(BrokerContract):
    """BrokerGateway honours the BrokerPort contract, over a real socket."""

    @pytest.fixture
    async def harness(self, fake_gateway: FakeIBGateway) -> AsyncIterator[GatewayHarness]:
        """A BrokerGateway connected to the fake as the trading client."""
        gateway = make_gateway(fake_gateway)
        await gateway.connect()
        yield GatewayHarness(fake_gateway, gateway)
        await gateway.disconnect()
