"""Money in the broker's units: exchange rates, exposure values, the portfolio's exposure.

Every figure the gate judges in money is in the account's base currency: an
instrument's price x multiplier is converted with the broker's rate for its currency
(``fx.missing`` when the broker gives none, or an old one). A derivative's exposure is
its underlying's: a future's notional, an option's underlying price x multiplier (delta
1, conservative: the broker's delta is not used).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from hydra.application.exposure import LedgerEntry
from hydra.application.ports import BrokerPort
from hydra.application.prices import ReferencePrices
from hydra.domain import (
    ContractSpec,
    Instrument,
    Reason,
    Right,
    SecurityType,
)

__all__ = ["Exposures", "Valuer"]

_OPTIONS = (SecurityType.OPTION, SecurityType.FUTURE_OPTION)

Exposures = tuple[float, float, float, float]
"""Gross before, gross after, net before, net after, in the base currency."""


def fx_missing(currency: str, base: str, why: str) -> Reason:
    """``fx.missing``: no usable rate from ``currency`` to the base currency."""
    return Reason(
        "fx.missing",
        "fx_missing",
        f"no usable {currency}->{base} exchange rate from the broker ({why}); an order in "
        f"{currency} cannot be valued in {base}",
    )


def underlying_missing(instrument: Instrument) -> Reason:
    """``price.missing``: an option's exposure needs its underlying's price."""
    return Reason(
        "price.missing",
        "underlying_price_missing",
        f"no price for the underlying of {instrument.label}: its exposure (the "
        "underlying's notional) cannot be valued",
    )


class Valuer:
    """Values exposure in the base currency with the broker's rates and prices.

    Args:
        broker: the rates, contract economics and the underlyings' prices.
        prices: the reference prices (a fed price counts as in the checks).
        max_rate_age: an older rate is no rate (``fx.missing``).
    """

    __slots__ = ("_broker", "_max_rate_age", "_prices")

    def __init__(
        self, broker: BrokerPort, prices: ReferencePrices, max_rate_age: timedelta
    ) -> None:
        self._broker = broker
        self._prices = prices
        self._max_rate_age = max_rate_age

    def rate(self, currency: str, base: str, now: datetime) -> tuple[float | None, Reason | None]:
        """One unit of ``currency`` in ``base``, or why there is no usable rate."""
        if currency == base:
            return 1.0, None
        quote = self._broker.exchange_rate(currency)
        if quote is None:
            return None, fx_missing(currency, base, "none reported")
        age = now - quote.time
        if age > self._max_rate_age:
            return None, fx_missing(
                currency,
                base,
                f"{age.total_seconds():.0f}s old, max {self._max_rate_age.total_seconds():g}s",
            )
        return quote.price, None

    def underlying(self, spec: ContractSpec, instrument: Instrument) -> float | None:
        """The price of an option's underlying (None: not an option, or no price)."""
        if spec.sec_type not in _OPTIONS or not spec.underlying_con_id:
            return None
        kind = SecurityType.STOCK if spec.sec_type is SecurityType.OPTION else SecurityType.FUTURE
        under = Instrument(
            instrument.symbol, kind, currency=spec.currency, con_id=spec.underlying_con_id
        )
        quote = self._prices.quote(under)
        return None if quote is None else quote.price

    def unit(
        self, spec: ContractSpec, instrument: Instrument, price: float | None, rate: float
    ) -> tuple[float | None, Reason | None]:
        """The base-currency exposure of one unit (None with the reason when unknown).

        ``price`` is the instrument's own; an option is valued on its underlying.
        """
        if spec.sec_type in _OPTIONS:
            under = self.underlying(spec, instrument)
            if under is None:
                return None, underlying_missing(instrument)
            return under * spec.multiplier * rate, None
        if price is None:
            return None, None
        return price * spec.multiplier * rate, None

    def exposures(
        self,
        entries: Iterable[tuple[object, LedgerEntry]],
        key: object,
        own: tuple[float, float, float, float],
        base: str,
        now: datetime,
    ) -> Exposures | Reason:
        """Gross and net exposure before and after the order, in the base currency.

        ``own`` is the order's instrument: its extremes (lowest, highest signed
        position) before and after the order, already x its unit value and direction.
        Every other instrument with a position or working orders counts at its
        extremes too (every working order on one side filled); one that cannot be
        valued makes the answer a reason (``exposure.unavailable``).
        """
        gross = 0.0
        low = high = 0.0
        for other, entry in entries:
            if other == key:
                continue
            value = self._entry_value(entry, base, now)
            if isinstance(value, Reason):
                return value
            down, up = entry.extremes()
            a, b = sorted((down * value, up * value))
            gross += max(abs(a), abs(b))
            low += a
            high += b
        before_low, before_high, after_low, after_high = own
        gross_before = gross + max(abs(before_low), abs(before_high))
        gross_after = gross + max(abs(after_low), abs(after_high))
        net_before = max(abs(low + before_low), abs(high + before_high))
        net_after = max(abs(low + after_low), abs(high + after_high))
        return gross_before, gross_after, net_before, net_after

    def _entry_value(self, entry: LedgerEntry, base: str, now: datetime) -> float | Reason:
        """One unit of an instrument's exposure, signed by its direction (a put: -)."""
        instrument = entry.instrument
        spec = self._broker.contract_spec(instrument) if instrument is not None else None
        if instrument is None or spec is None:
            name = instrument.label if instrument is not None else "an instrument"
            return _unavailable(f"{name} is held or working but not qualified")
        rate, problem = self.rate(spec.currency, base, now)
        if rate is None:
            return problem or _unavailable(f"no rate for {spec.currency}")
        quote = self._prices.quote(instrument)
        unit, why = self.unit(spec, instrument, quote.price if quote else None, rate)
        if unit is None:
            return why or _unavailable(f"no price for {instrument.label}")
        return -unit if instrument.right is Right.PUT else unit


def _unavailable(why: str) -> Reason:
    return Reason(
        "exposure.unavailable",
        "exposure_unavailable",
        f"the portfolio's exposure cannot be valued: {why}",
    )
