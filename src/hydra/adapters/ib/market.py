"""Market data over ib_async: what the gate judges prices and short sales by.

When streaming is on, every qualified contract (and an option's underlying) gets one
market-data subscription: its prices become the reference price (the last fill price
counts too), and a stock's also carries generic tick 236, IB's shortable shares.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC

import structlog
from ib_async import IB, Contract, Ticker
from ib_async import Fill as IBFill

from hydra.domain import Instrument, Quote, SecurityType

__all__ = ["IBMarketData"]

_log = structlog.get_logger("hydra.ib")

# Generic tick 236: shortable shares (ticks 46 and 89), asked for with a stock's prices.
_SHORTABLE = "236"


class IBMarketData:
    """Streamed prices, shortable shares and last fill prices of qualified contracts.

    Args:
        ib: the gateway's ib_async client.
        stream: subscribe to market data for every qualified instrument.
        first_tick_wait: seconds ``follow`` waits for a new subscription's first prices.
    """

    def __init__(self, ib: IB, *, stream: bool, first_tick_wait: float) -> None:
        self._ib = ib
        self.stream = stream
        self.first_tick_wait = first_tick_wait
        # The contracts streamed, by contract id.
        self._contracts: dict[int, Contract] = {}
        self._tickers: dict[int, Ticker] = {}
        # Last fill prices, and the last streamed price of tickers a reconnect replaced.
        self._fill_quotes: dict[int, Quote] = {}
        # The Quote read from each ticker, with the tick time it was read at: the gate asks
        # on every decision, and a ticker whose time has not moved has not changed.
        self._read: dict[int, tuple[object, Quote | None]] = {}

    async def follow(self, contract: Contract) -> None:
        """Stream a qualified contract's market data (once), and wait for its first prices.

        A stock's subscription also asks for generic tick 236 (shortable shares).
        """
        if not self.stream or contract.conId in self._contracts:
            return
        self._contracts[contract.conId] = contract
        ticker = self._subscribe(contract)
        await self._first_tick(ticker)

    def _subscribe(self, contract: Contract) -> Ticker:
        ticker = self._ib.reqMktData(contract, _SHORTABLE if contract.secType == "STK" else "")
        self._tickers[contract.conId] = ticker
        return ticker

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The freshest of the streamed market price and the last fill price.

        Known only for qualified instruments (by contract id): an unqualified one has none.
        """
        if not instrument.con_id:
            return None
        con_id = instrument.con_id
        best = self._fill_quotes.get(con_id)
        ticker = self._tickers.get(con_id)
        if ticker is None:
            streamed = None
        else:
            read = self._read.get(con_id)
            if read is not None and read[0] is ticker.time and ticker.time is not None:
                streamed = read[1]
            else:
                streamed = self._ticker_quote(ticker)
                self._read[con_id] = (ticker.time, streamed)
        if streamed is not None and (best is None or streamed.time >= best.time):
            return streamed
        return best

    def shortable_shares(self, instrument: Instrument) -> float | None:
        """IB's shortable shares of a streamed stock (tick 89 of generic tick 236).

        None for anything but a stock, a contract not streamed, or before IB said.
        """
        if instrument.sec_type is not SecurityType.STOCK or not instrument.con_id:
            return None
        ticker = self._tickers.get(instrument.con_id)
        if ticker is None:
            return None
        shares = float(ticker.shortableShares)
        return shares if math.isfinite(shares) and shares >= 0 else None

    @staticmethod
    def _ticker_quote(ticker: Ticker | None) -> Quote | None:
        """A ticker's market price and time, if it has seen a usable one."""
        if ticker is None or ticker.time is None:
            return None
        price = ticker.marketPrice()
        if not (math.isfinite(price) and price > 0):
            return None
        stamp = ticker.time if ticker.time.tzinfo else ticker.time.replace(tzinfo=UTC)
        return Quote(float(price), stamp)

    def record_fill(self, fill: IBFill) -> None:
        """A fill's price is a reference price too (the freshest trade we know of)."""
        price, stamp = float(fill.execution.price), fill.execution.time
        con_id = fill.contract.conId
        if price > 0 and stamp.tzinfo is not None and con_id:
            known = self._fill_quotes.get(con_id)
            if known is None or stamp >= known.time:
                self._fill_quotes[con_id] = Quote(price, stamp)

    def resubscribe(self) -> None:
        """After a reconnect: ib_async dropped its tickers with the connection.

        The last price each old ticker saw stays a reference price (it ages like any other
        and turns stale after the limits' max age) until the new subscription's first tick,
        so a reconnect does not leave the gate without a price for a moment.
        """
        for con_id, contract in self._contracts.items():
            last = self._ticker_quote(self._tickers.get(con_id))
            if last is not None:
                known = self._fill_quotes.get(con_id)
                if known is None or last.time >= known.time:
                    self._fill_quotes[con_id] = last
            self._subscribe(contract)

    async def _first_tick(self, ticker: Ticker) -> None:
        """Wait (bounded) for a new subscription's first prices, so the gate can judge."""
        if ticker.time is not None:
            return
        arrived = asyncio.Event()

        def on_update(_ticker: Ticker) -> None:
            arrived.set()

        ticker.updateEvent += on_update
        try:
            await asyncio.wait_for(arrived.wait(), self.first_tick_wait)
        except TimeoutError:
            _log.warning(
                "gateway.no_market_data", symbol=ticker.contract.symbol if ticker.contract else ""
            )
        finally:
            ticker.updateEvent -= on_update
