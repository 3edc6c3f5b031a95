"""Helpers that put BrokerGateway (real ib_async client) in front of a FakeIBGateway."""

from __future__ import annotations

from hydra.adapters.ib import BrokerGateway
from hydra.testing import FakeIBGateway

FAST_RECONNECT = (0.05,) * 10
"""Backoff delays for tests: ten quick attempts instead of 1, 2, 4 ... 30 s."""


def make_gateway(fake: FakeIBGateway, client_id: int = 1, **kwargs: object) -> BrokerGateway:
    """A BrokerGateway aimed at ``fake`` with short timeouts and fast reconnects."""
    options: dict[str, object] = {"connect_timeout": 2.0, "reconnect_delays": FAST_RECONNECT}
    options.update(kwargs)
    return BrokerGateway("127.0.0.1", fake.port, client_id, **options)  # type: ignore[arg-type]


class GatewayHarness:
    """The BrokerContract's scripting hooks, over BrokerGateway + FakeIBGateway."""

    def __init__(self, fake: FakeIBGateway, broker: BrokerGateway) -> None:
        self.fake = fake
        self.broker = broker

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
        """Order ids of every placeOrder the fake received."""
        return [order.order_id for order in self.fake.placed]

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
