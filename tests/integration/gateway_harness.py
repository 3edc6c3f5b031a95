"""Helpers that put BrokerGateway (real ib_async client) in front of a FakeIBGateway."""

from __future__ import annotations

import math

from hydra.adapters.ib import BrokerGateway
from hydra.domain import Instrument, TradingHours
from hydra.testing import FakeIBGateway, ib_hours_text
from hydra.testing.contract_kit import eventually

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

    async def set_exchange_rate(self, currency: str, rate: float | None) -> None:
        """The fake's ExchangeRate; a withdrawn one needs a new session (IB never unsends)."""
        self.fake.set_exchange_rate(currency, rate)
        if rate is None:
            await self._new_session()
            await eventually(lambda: self.broker.exchange_rate(currency) is None)
        else:
            await eventually(lambda: _same(self.broker.exchange_rate(currency), rate))

    async def set_shortable(self, symbol: str, shares: float | None) -> None:
        """The fake's tick 236; unreported (None) takes a new session, as at IB."""
        self.fake.set_shortable(symbol, shares)
        stock = Instrument(symbol, con_id=self.fake.instrument(symbol).con_id)
        if self.broker.contract_spec(stock) is None:
            return  # not qualified: its subscription starts with the new value
        if shares is None:
            await self._new_session()
        await eventually(lambda: self.broker.shortable_shares(stock) == shares)

    async def set_hours(self, symbol: str, hours: TradingHours) -> None:
        """The fake lists ``hours`` (in the instrument's zone); the gateway reads them again."""
        inst = self.fake.instrument(symbol)
        self.fake.set_trading_hours(symbol, *ib_hours_text(hours, inst.time_zone))
        if self.broker.contract_spec(Instrument(symbol, con_id=inst.con_id)) is not None:
            await self.broker.refresh_contract_details()

    def margin_previews(self, mode: str) -> None:
        """The fake's whatIf answers: answer, error or ignore."""
        self.fake.what_if_answers(mode)

    async def _new_session(self) -> None:
        """Cut the gateway's socket and wait until it has reconnected and resynced."""
        reconnects = self.broker.reconnects
        self.fake.drop_connection(self.broker.client_id)
        await eventually(lambda: self.broker.reconnects > reconnects and self.broker.is_connected())


def _same(quote: object, rate: float) -> bool:
    price = getattr(quote, "price", None)
    return price is not None and math.isclose(price, rate, rel_tol=1e-9)
