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
from hydra.domain import (
    AmbiguousContractError,
    ContractChain,
    ContractSpec,
    Instrument,
    Quote,
    SecurityType,
    UnknownInstrumentError,
)

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
        self._qualified: dict[int, Instrument] = {}
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
        details = [
            d
            for d in await self._ib.reqContractDetailsAsync(to_ib_contract(contract))
            if d.contract is not None
        ]
        description = f"{contract.label} ({contract.sec_type.value}, {contract.currency})"
        if not details:
            raise UnknownInstrumentError(f"IB has no contract for {description}")
        if len(details) > 1:
            raise AmbiguousContractError(
                description,
                tuple(instrument_from_ib(d.contract) for d in details),  # type: ignore[arg-type]
            )
        result = details[0].contract
        assert result is not None  # noqa: S101  (filtered above)
        qualified = instrument_from_ib(result)
        step = _positive(details[0].sizeIncrement, 1.0)
        spec = ContractSpec.of(qualified, step, _positive(details[0].minTick, 0.0))
        self._specs[spec.con_id] = spec
        self._qualified[spec.con_id] = qualified
        if self.stream and result.conId not in self._contracts:
            self._contracts[result.conId] = result
            ticker = self._ib.reqMktData(result)
            self._tickers[result.conId] = ticker
            await self._first_tick(ticker)
        return qualified

    def spec(self, instrument: Instrument) -> ContractSpec | None:
        """IB's economics for a contract qualified here.

        None when it is not qualified, or the description names several qualified ones.
        """
        if instrument.con_id:
            return self._specs.get(instrument.con_id)
        found = [q for q in self._qualified.values() if instrument.matches(q)]
        return self._specs[found[0].con_id] if len(found) == 1 else None

    async def chain(self, contract: Instrument) -> ContractChain:
        """A future's listed expiries, or an option's expiries and strikes.

        Futures come from the contract details; options from IB's security-definition
        parameters of the underlying stock.

        Raises:
            UnknownInstrumentError: IB lists nothing for it.
        """
        if contract.sec_type in (SecurityType.OPTION, SecurityType.FUTURE_OPTION):
            return await self._option_chain(contract)
        probe = Contract(
            symbol=contract.symbol,
            secType=contract.sec_type.value,
            exchange=contract.exchange,
            currency=contract.currency,
        )
        listed = [
            instrument_from_ib(d.contract)
            for d in await self._ib.reqContractDetailsAsync(probe)
            if d.contract is not None
        ]
        if not listed:
            raise UnknownInstrumentError(
                f"IB lists no {contract.sec_type.value} contracts of {contract.symbol}"
            )
        listed.sort(key=lambda i: i.expiry)
        return ContractChain(
            contract.symbol,
            contract.sec_type,
            tuple(sorted({i.expiry for i in listed if i.expiry})),
            contracts=tuple(listed),
        )

    async def _option_chain(self, contract: Instrument) -> ContractChain:
        underlying = await self._ib.reqContractDetailsAsync(
            Contract(
                symbol=contract.symbol, secType="STK", exchange="SMART", currency=contract.currency
            )
        )
        if not underlying or underlying[0].contract is None:
            raise UnknownInstrumentError(f"IB knows no stock {contract.symbol} to list options of")
        params = await self._ib.reqSecDefOptParamsAsync(
            contract.symbol, "", "STK", underlying[0].contract.conId
        )
        if not params:
            raise UnknownInstrumentError(f"IB lists no options of {contract.symbol}")
        return ContractChain(
            contract.symbol,
            contract.sec_type,
            tuple(sorted({e for p in params for e in p.expirations})),
            tuple(sorted({float(s) for p in params for s in p.strikes})),
        )

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


def _positive(value: object, default: float) -> float:
    """A positive finite IB number, else ``default`` (IB leaves unknown fields unset)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and 0 < number < 1e300 else default
