"""Qualified contracts over ib_async: IB's economics, trading hours and underlyings.

Qualifying a contract reads IB's contract details: the qualified instrument and its
``ContractSpec`` (multiplier, size increment, minimum tick, the trading and liquid hours
parsed from ``tradingHours`` / ``liquidHours`` in ``timeZoneId``, and an option's
underlying from ``underConId``). An option's underlying is qualified too, so its price
streams. IB lists about a week of hours, so ``refresh`` re-reads the details of every
qualified contract (the gateway does it periodically and after each reconnect), and a
trader running for weeks never runs off the listed calendar.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math

import structlog
from ib_async import IB, Contract, ContractDetails

from hydra.adapters.ib.convert import instrument_from_ib, to_ib_contract
from hydra.adapters.ib.hours import HoursFormatError, parse_trading_hours
from hydra.adapters.ib.market import IBMarketData
from hydra.domain import (
    AmbiguousContractError,
    ContractChain,
    ContractSpec,
    Instrument,
    SecurityType,
    TradingHours,
    UnknownInstrumentError,
)

__all__ = ["IBContracts", "spec_from_details"]

_log = structlog.get_logger("hydra.ib")

_OPTIONS = frozenset({"OPT", "FOP"})


def spec_from_details(details: ContractDetails) -> tuple[Instrument, ContractSpec]:
    """The qualified instrument and its economics, as IB's contract details state them.

    Hours IB lists that cannot be read leave ``hours`` None (the gate then blocks them
    as unknown), with a warning naming the contract.
    """
    contract = details.contract
    assert contract is not None  # noqa: S101  (callers filter details without one)
    qualified = instrument_from_ib(contract)
    spec = ContractSpec.of(
        qualified, _positive(details.sizeIncrement, 1.0), _positive(details.minTick, 0.0)
    )
    under = details.underConId if contract.secType in _OPTIONS else 0
    return qualified, dataclasses.replace(
        spec,
        hours=_hours(details, qualified),
        underlying_con_id=under if isinstance(under, int) and under > 0 else 0,
    )


def _hours(details: ContractDetails, qualified: Instrument) -> TradingHours | None:
    try:
        return parse_trading_hours(details.tradingHours, details.liquidHours, details.timeZoneId)
    except HoursFormatError as exc:
        _log.warning(
            "gateway.hours_unreadable",
            contract=qualified.label,
            con_id=qualified.con_id,
            error=str(exc),
            time_zone=details.timeZoneId,
            trading_hours=details.tradingHours[:120],
        )
        return None


class IBContracts:
    """The contracts qualified through one gateway: their economics, hours and chains.

    Args:
        ib: the gateway's ib_async client.
        market: the gateway's market data (a qualified contract's prices stream there).
        timeout: seconds to wait for each contract's details when refreshing.
    """

    def __init__(self, ib: IB, market: IBMarketData, *, timeout: float) -> None:
        self._ib = ib
        self._market = market
        self.timeout = timeout
        self._specs: dict[int, ContractSpec] = {}
        self._qualified: dict[int, Instrument] = {}
        self._contracts: dict[int, Contract] = {}

    async def qualify(self, contract: Instrument) -> Instrument:
        """Qualify at IB (contract details); remember the economics; start streaming.

        An option's underlying is qualified and streamed as well.

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
        qualified, spec = self._remember(details[0])
        if spec.underlying_con_id:
            await self._qualify_underlying(spec.underlying_con_id, qualified)
        await self._market.follow(self._contracts[spec.con_id])
        return qualified

    def spec(self, instrument: Instrument) -> ContractSpec | None:
        """IB's economics for a contract qualified here.

        None when it is not qualified, or the description names several qualified ones.
        """
        if instrument.con_id:
            return self._specs.get(instrument.con_id)
        found = [q for q in self._qualified.values() if instrument.matches(q)]
        return self._specs[found[0].con_id] if len(found) == 1 else None

    async def refresh(self) -> int:
        """Re-read the contract details of every qualified contract (fresh hours).

        A contract IB no longer describes keeps what it had (its hours run out and then
        read as unknown), with a warning. Returns how many were refreshed.
        """
        contracts = list(self._contracts.values())
        answers = await asyncio.gather(
            *(
                asyncio.wait_for(self._ib.reqContractDetailsAsync(c), self.timeout)
                for c in contracts
            ),
            return_exceptions=True,
        )
        refreshed = 0
        for contract, answer in zip(contracts, answers, strict=True):
            found = [] if isinstance(answer, BaseException) else answer
            match = [
                d for d in found if d.contract is not None and d.contract.conId == contract.conId
            ]
            if len(match) != 1:
                _log.warning(
                    "gateway.contract_refresh_failed",
                    con_id=contract.conId,
                    symbol=contract.localSymbol or contract.symbol,
                    error=repr(answer) if isinstance(answer, BaseException) else "no details",
                )
                continue
            self._remember(match[0])
            refreshed += 1
        return refreshed

    async def _qualify_underlying(self, con_id: int, option: Instrument) -> None:
        """Qualify (and stream) an option's underlying by its contract id."""
        if con_id not in self._contracts:
            found = [
                d
                for d in await self._ib.reqContractDetailsAsync(Contract(conId=con_id))
                if d.contract is not None and d.contract.conId == con_id
            ]
            if len(found) != 1:
                _log.warning("gateway.no_underlying", option=option.label, underlying=con_id)
                return
            self._remember(found[0])
        await self._market.follow(self._contracts[con_id])

    def _remember(self, details: ContractDetails) -> tuple[Instrument, ContractSpec]:
        qualified, spec = spec_from_details(details)
        self._specs[spec.con_id] = spec
        self._qualified[spec.con_id] = qualified
        self._contracts[spec.con_id] = details.contract  # type: ignore[assignment]
        return qualified, spec

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


def _positive(value: object, default: float) -> float:
    """A positive finite IB number, else ``default`` (IB leaves unknown fields unset)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and 0 < number < 1e300 else default
