"""The BrokerContract suite over the SimulatedBroker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.domain import Instrument, OrderRequest, TradingHours
from hydra.testing.contract import BrokerContract


class SimHarness:
    """Scripting hooks for the simulator."""

    def __init__(self, broker: SimulatedBroker) -> None:
        self.broker = broker

    def set_price(self, symbol: str, price: float) -> None:
        """Set the simulator's reference price."""
        self.broker.set_price(symbol, price)

    def reject_next(self, reason: str) -> None:
        """Reject the next order."""
        self.broker.reject_next(1, reason)

    def received(self) -> list[int]:
        """Ids of orders the simulator received."""
        return [order.order_id for order in self.broker.received]

    async def drop(self) -> None:
        """Drop the simulated connection."""
        self.broker.drop_connection()

    async def restore(self) -> None:
        """Reconnect."""
        await self.broker.connect()

    def inject_foreign_stop(self, symbol: str, side: str, quantity: float, stop: float) -> None:
        """A stop placed at the simulator by someone else."""
        contract = Instrument(symbol)
        self.broker.inject_foreign_order(contract, OrderRequest.stop(side, quantity, stop))

    def close_market(self) -> None:
        """The simulator's closing auction."""
        self.broker.close_auction()

    def set_exchange_rate(self, currency: str, rate: float | None) -> None:
        """Move or withdraw the simulator's rate."""
        self.broker.set_rate(currency, rate)

    def set_shortable(self, symbol: str, shares: float | None) -> None:
        """The simulator's shares to lend."""
        self.broker.set_shortable(symbol, shares)

    def set_hours(self, symbol: str, hours: TradingHours) -> None:
        """Override the simulator's hours for a contract."""
        self.broker.set_hours(symbol, hours)

    def margin_previews(self, mode: str) -> None:
        """The simulator answers at once: anything but ``answer`` fails the preview."""
        self.broker.fail_margin_previews(None if mode == "answer" else f"previews: {mode}")


class TestSimulatedBrokerContract(BrokerContract):
    """SimulatedBroker honours the BrokerPort contract."""

    @pytest.fixture
    async def harness(self) -> AsyncIterator[SimHarness]:
        """A connected simulator."""
        broker = SimulatedBroker()
        await broker.connect()
        yield SimHarness(broker)
        await broker.disconnect()
