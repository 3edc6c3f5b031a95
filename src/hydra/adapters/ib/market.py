"""Market data and contract economics over ib_async: what the gate judges prices by.

Qualifying a contract reads IB's contract details once: the qualified instrument, its
economics (multiplier, size increment) and, when streaming is on, a market-data
subscription whose prices become the reference price; the last fill price counts too.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC

import structlog
from ib_async import IB, Contract, Ticker
from ib_async import Fill as IBFill

from hydra.adapters.ib.convert import instrument_from_ib, to_ib_contract
from hydra.domain import ContractSpec, Instrument, Quote, UnknownInstrumentError

__all__ = ["IBMarketData"]

_log = structlog.get_logger("hydra.ib")


class IBMarketData:
    """Qualified contracts, their economics, streamed prices and last fill prices.

    Args:
        ib: the gateway's ib_async client.
        stream: subscribe to market data for every qualified instrument.
        first_tick_wait: seconds ``qualify`` waits for a new subscription's first prices.
    """

    def __init__(self, ib: IB, *, stream: bool, first_tick_wait: float) -> None:
        self._ib = ib
        self.stream = stream
        self.first_tick_wait = first_tick_wait
        # The broker's economics per qualified contract, and how to find them by name.
        self._specs: dict[int, ContractSpec] = {}
        self._names: dict[tuple[str, str, str], int] = {}
        self._contracts: dict[int, Contract] = {}
        self._tickers: dict[int, Ticker] = {}
        # Last fill prices, and the last streamed price of tickers a reconnect replaced.
        self._fill_quotes: dict[int, Quote] = {}
        # The Quote read from each ticker, with the tick time it was read at: the gate asks
        # on every decision, and a ticker whose time has not moved has not changed.
        self._read: dict[int, tuple[object, Quote | None]] = {}

    async def qualify(self, contract: Instrument) -> Instrument:
        """Qualify at IB (contract details); remember the economics; start streaming.

        Raises:
            UnknownInstrumentError: IB has no unique contract for it.
        """
        details = await self._ib.reqContractDetailsAsync(to_ib_contract(contract))
        if len(details) != 1 or details[0].contract is None:
            raise UnknownInstrumentError(
                f"IB has no unique contract for {contract.symbol!r} "
                f"({contract.sec_type.value}, {contract.exchange}, {contract.currency}): "
                f"{len(details)} matches"
            )
        result = details[0].contract
        qualified = instrument_from_ib(result)
        step = float(details[0].sizeIncrement or 0.0)
        spec = ContractSpec.of(qualified, step if math.isfinite(step) and step > 0 else 1.0)
        self._specs[spec.con_id] = spec
        self._names[(spec.symbol, spec.sec_type.value, spec.currency)] = spec.con_id
        if self.stream and result.conId not in self._contracts:
            self._contracts[result.conId] = result
            ticker = self._ib.reqMktData(result)
            self._tickers[result.conId] = ticker
            await self._first_tick(ticker)
        return qualified

    def spec(self, instrument: Instrument) -> ContractSpec | None:
        """IB's economics for a contract qualified here (None: not qualified)."""
        con_id = instrument.con_id or self._names.get(
            (instrument.symbol, instrument.sec_type.value, instrument.currency), 0
        )
        return self._specs.get(con_id)

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
            self._tickers[con_id] = self._ib.reqMktData(contract)

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
