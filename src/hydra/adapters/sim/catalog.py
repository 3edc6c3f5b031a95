"""The simulator's contracts: what it knows, how it qualifies a description, chains, specs.

A description names a contract by contract id, or by its fields (symbol, type, currency,
and for a derivative expiry, strike, right, local symbol, trading class). One match is
the contract; several are an ``AmbiguousContractError`` listing them (never a silent
pick); none is an ``UnknownInstrumentError``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping

from hydra.domain import (
    AmbiguousContractError,
    ContractChain,
    ContractSpec,
    Instrument,
    InvalidInputError,
    Right,
    SecurityType,
    TradingHours,
    UnknownInstrumentError,
)
from hydra.domain._validate import positive

__all__ = ["DEFAULT_INSTRUMENTS", "DEFAULT_PRICES", "DEFAULT_TICKS", "Catalog", "occ_symbol"]


def occ_symbol(symbol: str, expiry: str, right: Right, strike: float) -> str:
    """An option's local symbol as IB shows US equity options (OCC: root, date, C/P, strike)."""
    return f"{symbol:<6}{expiry[2:]}{right.value}{round(strike * 1000):08d}"


def _aapl_options() -> tuple[Instrument, ...]:
    """AAPL options, Dec-2026 and Jan-2027, strikes 190/200/210, calls and puts."""
    options = []
    con_id = 700_000_001
    for expiry in ("20261218", "20270115"):
        for strike in (190.0, 200.0, 210.0):
            for right in (Right.CALL, Right.PUT):
                options.append(
                    Instrument(
                        "AAPL",
                        SecurityType.OPTION,
                        "SMART",
                        "USD",
                        "",
                        con_id,
                        100.0,
                        expiry=expiry,
                        strike=strike,
                        right=right,
                        local_symbol=occ_symbol("AAPL", expiry, right, strike),
                        trading_class="AAPL",
                    )
                )
                con_id += 1
    return tuple(options)


DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("AAPL", SecurityType.STOCK, "SMART", "USD", "NASDAQ", 265598),
    Instrument("MSFT", SecurityType.STOCK, "SMART", "USD", "NASDAQ", 272093),
    Instrument("SPY", SecurityType.STOCK, "SMART", "USD", "ARCA", 756733),
    Instrument("IBM", SecurityType.STOCK, "SMART", "USD", "NYSE", 8314),
    Instrument("7203", SecurityType.STOCK, "SMART", "JPY", "TSEJ", 13_085_231),
    Instrument(
        "ES",
        SecurityType.FUTURE,
        "CME",
        "USD",
        "",
        495512563,
        50.0,
        expiry="20261218",
        local_symbol="ESZ6",
        trading_class="ES",
    ),
    Instrument(
        "ES",
        SecurityType.FUTURE,
        "CME",
        "USD",
        "",
        551601561,
        50.0,
        expiry="20270319",
        local_symbol="ESH7",
        trading_class="ES",
    ),
    *_aapl_options(),
)
"""What a SimulatedBroker knows unless told otherwise: four US stocks, Toyota (7203) in
yen on the Tokyo exchange, two ES expiries
(ESZ6, ESH7; multiplier 50, tick 0.25) and AAPL options as the fake IB Gateway lists them
(Dec-2026 and Jan-2027; strikes 190, 200, 210; calls and puts; multiplier 100)."""

DEFAULT_PRICES: Mapping[str, float] = {
    "AAPL": 200.0,
    "MSFT": 400.0,
    "SPY": 500.0,
    "IBM": 250.0,
    "ES": 5000.0,
    "7203": 3000.0,
}
"""Starting prices by symbol (options start at intrinsic value plus 5.00)."""

DEFAULT_TICKS: Mapping[str, float] = {"ES": 0.25, "7203": 1.0}
"""Minimum price increments by symbol, unless told otherwise (others: 0.01)."""

_DEFAULT_TICK = 0.01


class Catalog:
    """The contracts a simulator knows, and their economics.

    Args:
        instruments: the contracts (given without a contract id, one is made up).
        size_increments: per symbol, the quantity step orders must respect (default 1).
        ticks: per symbol, the minimum price increment (default ``DEFAULT_TICKS``, else
            0.01).
    """

    def __init__(
        self,
        instruments: Iterable[Instrument],
        size_increments: Mapping[str, float] | None = None,
        ticks: Mapping[str, float] | None = None,
    ) -> None:
        self.by_con_id: dict[int, Instrument] = {}
        for instrument in instruments:
            if not isinstance(instrument, Instrument):
                raise InvalidInputError("instruments", "must hold Instrument values", instrument)
            known = (
                instrument
                if instrument.is_qualified
                else instrument.qualified(_synthetic_con_id(instrument))
            )
            self.by_con_id[known.con_id] = known
        symbols = {i.symbol for i in self.by_con_id.values()}
        steps = dict(size_increments or {})
        tick_table = {**DEFAULT_TICKS, **(ticks or {})}
        for name, table in (("size_increments", steps), ("ticks", ticks or {})):
            unknown = sorted(set(table) - symbols)
            if unknown:
                raise InvalidInputError(name, "names symbols the simulator does not know", unknown)
        self.underlying = _underlyings(self.by_con_id.values())
        always = TradingHours.around_the_clock()
        self._specs = {
            i.con_id: dataclasses.replace(
                ContractSpec.of(
                    i,
                    positive(f"size_increments[{i.symbol}]", steps.get(i.symbol, 1.0)),
                    positive(f"ticks[{i.symbol}]", tick_table.get(i.symbol, _DEFAULT_TICK)),
                ),
                hours=always,
                underlying_con_id=u.con_id if (u := self.underlying.get(i.con_id)) else 0,
            )
            for i in self.by_con_id.values()
        }

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self.by_con_id.values())

    def candidates(self, contract: Instrument) -> list[Instrument]:
        """Every known contract the description fits."""
        if contract.con_id:
            known = self.by_con_id.get(contract.con_id)
            return [known] if known is not None else []
        return [known for known in self.by_con_id.values() if contract.matches(known)]

    def lookup(self, contract: Instrument) -> Instrument | None:
        """The one contract the description names (None: unknown or ambiguous)."""
        if contract.con_id:  # perf: sim_submit_fill (a contract id names one, or none)
            return self.by_con_id.get(contract.con_id)
        found = self.candidates(contract)
        return found[0] if len(found) == 1 else None

    def qualify(self, contract: Instrument) -> Instrument:
        """The contract the description names.

        Raises:
            UnknownInstrumentError: no contract fits.
            AmbiguousContractError: several fit (listed).
        """
        found = self.candidates(contract)
        if len(found) == 1:
            return found[0]
        description = f"{contract.label} ({contract.sec_type.value}, {contract.currency})"
        if found:
            raise AmbiguousContractError(description, tuple(found))
        raise UnknownInstrumentError(
            f"unknown instrument {description}; the simulator knows "
            f"{sorted({i.symbol for i in self.by_con_id.values()})}"
        )

    def spec(self, instrument: Instrument) -> ContractSpec | None:
        """The simulator's economics for the contract (None when it does not know it)."""
        known = self.lookup(instrument)
        return None if known is None else self._specs[known.con_id]

    def named(self, name: str) -> list[Instrument]:
        """The contracts a scripting name means.

        A local symbol or a label names one contract; a symbol names every contract of
        that symbol but its options.
        """
        exact = [i for i in self.by_con_id.values() if name in (i.local_symbol, i.label)]
        if exact:
            return exact
        return [
            i
            for i in self.by_con_id.values()
            if i.symbol == name
            and i.sec_type not in (SecurityType.OPTION, SecurityType.FUTURE_OPTION)
        ]

    def chain(self, contract: Instrument) -> ContractChain:
        """The expiries (and strikes) listed for the description's symbol and type.

        Raises:
            UnknownInstrumentError: nothing of that symbol and type is known.
        """
        listed = [
            i
            for i in self.by_con_id.values()
            if i.symbol == contract.symbol and i.sec_type is contract.sec_type
        ]
        if not listed:
            raise UnknownInstrumentError(
                f"no {contract.sec_type.value} contracts of {contract.symbol} are listed"
            )
        return ContractChain(
            contract.symbol,
            contract.sec_type,
            tuple(sorted({i.expiry for i in listed if i.expiry})),
            tuple(sorted({i.strike for i in listed if i.strike is not None})),
            tuple(sorted(listed, key=lambda i: (i.expiry, i.strike or 0.0, str(i.right)))),
        )


def _underlyings(instruments: Iterable[Instrument]) -> dict[int, Instrument]:
    """Each option's underlying, by the option's contract id.

    The stock (an option) or future (a future option) listed with its symbol and
    currency (the nearest expiry for a future).
    """
    listed = list(instruments)
    found: dict[int, Instrument] = {}
    for option in listed:
        if option.sec_type is SecurityType.OPTION:
            kind = SecurityType.STOCK
        elif option.sec_type is SecurityType.FUTURE_OPTION:
            kind = SecurityType.FUTURE
        else:
            continue
        under = sorted(
            (
                i
                for i in listed
                if i.sec_type is kind
                and i.symbol == option.symbol
                and i.currency == option.currency
            ),
            key=lambda i: i.expiry,
        )
        if under:
            found[option.con_id] = under[0]
    return found


def default_price(instrument: Instrument, prices: Mapping[str, float]) -> float | None:
    """The starting price of a contract: its own entry, else its symbol's.

    An option without an entry starts at the underlying's intrinsic value plus 5.00.
    """
    for name in (instrument.local_symbol, instrument.label):
        if name and name in prices:
            return prices[name]
    underlying = prices.get(instrument.symbol)
    if instrument.sec_type is not SecurityType.OPTION:
        return underlying
    if underlying is None or instrument.strike is None:
        return None
    intrinsic = (
        underlying - instrument.strike
        if instrument.right is Right.CALL
        else instrument.strike - underlying
    )
    return round(max(intrinsic, 0.0) + 5.0, 2)


def _synthetic_con_id(instrument: Instrument) -> int:
    """A stable made-up contract id for instruments given without one."""
    text = f"{instrument.symbol}|{instrument.sec_type.value}|{instrument.expiry}|"
    text += f"{instrument.strike}|{instrument.right}"
    return 900_000_000 + sum((i + 1) * ord(c) for i, c in enumerate(text)) % 99_999_999
