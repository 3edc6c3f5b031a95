"""Helpers that put BrokerGateway (real ib_async client) in front of a FakeIBGateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hydra.adapters.ib import BrokerGateway
from hydra.adapters.sim.catalog import DEFAULT_PRICES
from hydra.domain import Instrument, TradingHours
from hydra.testing import FakeIBGateway, ib_hours_text

FAST_RECONNECT = (0.05,) * 10
"""Backoff delays for tests: ten quick attempts instead of 1, 2, 4 ... 30 s."""

SIM_PRICES = {
    **{name: price for name, price in DEFAULT_PRICES.items() if name != "ES"},
    "ESZ6": DEFAULT_PRICES["ES"],
    "ESH7": DEFAULT_PRICES["ES"],
}
"""The simulator's starting prices by the fake's names, for tests that run over both (so
an option's underlying has a price on each)."""


def make_gateway(fake: FakeIBGateway, client_id: int = 1, **kwargs: object) -> BrokerGateway:
    """A BrokerGateway aimed at ``fake`` with short timeouts and fast reconnects."""
    options: dict[str, object] = {"connect_timeout": 2.0, "reconnect_delays": FAST_RECONNECT}
    options.update(kwargs)
    return BrokerGateway("127.0.0.1", fake.port, client_id, **options)  # type: ignore[arg-type]


@asynccontextmanager
async def connected_harness(fake: FakeIBGateway) -> AsyncIterator[GatewayHarness]:
    """A BrokerGateway connected to ``fake`` as the trading client, in its harness."""
    gateway = make_gateway(fake)
    await gateway.connect()
    try:
        yield GatewayHarness(fake, gateway)
    finally:
        await gateway.disconnect()


class GatewayHarness:
    """The BrokerContract's scripting hooks, over BrokerGateway + FakeIBGateway."""

    def __init__(self, fake: FakeIBGateway, broker: BrokerGateway) -> None:
        self.fake = fake
        self.broker = broker
        self._tasks: set[asyncio.Task[int]] = set()  # background refreshes, held until done

    def set_price(self, symbol: str, price: float) -> None:
        """Set the fake's reference price."""
        self.fake.set_price(symbol, price)

    def reject_next(self, reason: str) -> None:
        """Make the fake reject exactly the next order (error 201)."""
        remaining = [1]

        def rule(_order: object) -> str | None:
            if remaining[0]:
                remaining[0] -= 1
                return reason
            return None

        self.fake.reject_orders(rule)

    def received(self) -> list[int]:
        """Order ids of every order the fake received (whatIf previews are not orders)."""
        return [order.order_id for order in self.fake.placed if not order.what_if]

    async def drop(self) -> None:
        """Kill the fake gateway: every socket closes, nothing listens."""
        await self.fake.kill()

    async def restore(self) -> None:
        """Serve again; the gateway reconnects by itself."""
        await self.fake.restart()

    def inject_foreign_stop(self, symbol: str, side: str, quantity: float, stop: float) -> None:
        """A stop placed in TWS (client id 0)."""
        self.fake.inject_foreign_order(symbol, side, quantity, order_type="STP", stop_price=stop)

    def close_market(self) -> None:
        """The fake's closing auction."""
        self.fake.close_market()

    def set_exchange_rate(self, currency: str, rate: float | None) -> None:
        """The fake's ExchangeRate: pushed to the gateway (None: the row sent without a value)."""
        self.fake.set_exchange_rate(currency, rate)

    def set_shortable(self, symbol: str, shares: float | None) -> None:
        """The fake's tick 236 shares (None: tick 89 sent once as NaN, then nothing)."""
        self.fake.set_shortable(symbol, shares)

    def set_hours(self, symbol: str, hours: TradingHours) -> None:
        """The fake lists ``hours`` (in the instrument's zone) from now on.

        A contract the gateway already qualified has its details read again in the
        background (wait for the spec with ``eventually``); otherwise its qualification
        reads them.
        """
        inst = self.fake.instrument(symbol)
        self.fake.set_trading_hours(symbol, *ib_hours_text(hours, inst.time_zone))
        if self.broker.contract_spec(Instrument(symbol, con_id=inst.con_id)) is not None:
            task = asyncio.get_running_loop().create_task(self.broker.refresh_contract_details())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def margin_previews(self, mode: str) -> None:
        """The fake's whatIf answers: answer, error or ignore."""
        self.fake.what_if_answers(mode)
