"""The simulator's money: exchange rates, shortable shares and margin, as IB reports them.

* Rates: a table of what one unit of each currency is worth in the account's base
  currency (the fake IB Gateway's defaults), movable with ``set_rate``; a currency whose
  rate is withdrawn (``set_rate(c, None)``) is no longer reported, while the account's
  own books keep valuing it at the last rate, as IB's would.
* Shortable shares: a table per contract id; stocks start with 10,000,000 shares to lend,
  anything else with none reported.
* Margin: ``hydra.domain.MarginModel`` over the account's holdings, in the base currency;
  a preview can be made to fail (``fail_previews``) as IB's whatIf can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from hydra.domain import (
    BrokerError,
    Clock,
    Instrument,
    InvalidInputError,
    MarginModel,
    Quote,
    SecurityType,
)
from hydra.domain._validate import non_negative, positive

__all__ = ["DEFAULT_RATES", "DEFAULT_SHORTABLE", "Rates", "Shortable", "margin_of"]

DEFAULT_RATES: Mapping[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CHF": 1.12,
    "CAD": 0.73,
    "AUD": 0.66,
    "HKD": 0.128,
    "JPY": 1 / 150,
}
"""One unit of each currency in US dollars (the fake IB Gateway's table)."""

DEFAULT_SHORTABLE = 10_000_000.0
"""Shares a stock has to lend until told otherwise."""


class Rates:
    """What one unit of each currency is worth in ``base``, and whether it is reported.

    Args:
        base: the account's base currency (its rate is 1 and cannot move).
        rates: the starting table (``DEFAULT_RATES`` converted to ``base`` by default).
        clock: a reported rate is as fresh as the simulator's clock says.
    """

    __slots__ = ("_as_of", "_base", "_clock", "_rates", "_withdrawn")

    def __init__(self, base: str, rates: Mapping[str, float] | None, clock: Clock) -> None:
        self._base = base
        self._clock = clock
        if rates is None:
            per_usd = DEFAULT_RATES.get(base)
            if per_usd is None:
                raise InvalidInputError(
                    "rates", f"no default rates for base currency {base}; pass rates", base
                )
            rates = {code: usd / per_usd for code, usd in DEFAULT_RATES.items()}
        self._rates = {
            code.upper(): positive(f"rates[{code}]", rate) for code, rate in rates.items()
        }
        self._rates[base] = 1.0
        self._withdrawn: set[str] = set()
        self._as_of: dict[str, datetime] = {}

    @property
    def base(self) -> str:
        """The account's base currency."""
        return self._base

    def quote(self, currency: str) -> Quote | None:
        """The reported rate of ``currency`` now (None: not reported)."""
        code = currency.upper()
        rate = None if code in self._withdrawn else self._rates.get(code)
        if rate is None:
            return None
        return Quote(rate, self._as_of.get(code) or self._clock())

    def book_rate(self, currency: str) -> float:
        """The rate the account's books value ``currency`` at (the last one known).

        Raises:
            BrokerError: the currency never had a rate (the simulator cannot book it).
        """
        rate = self._rates.get(currency.upper())
        if rate is None:
            raise BrokerError(f"the simulator has no exchange rate for {currency}")
        return rate

    def set(self, currency: str, rate: float | None, at: datetime | None = None) -> None:
        """Move a rate, or withdraw it (None: no longer reported; the books keep the last).

        ``at`` dates the rate (it then ages); without it the rate is always current.

        Raises:
            InvalidInputError: the base currency, a rate that is not positive, or a
                naive time.
        """
        code = currency.upper()
        if code == self._base:
            raise InvalidInputError("currency", "the base currency's rate is 1", currency)
        if rate is None:
            self._withdrawn.add(code)
            return
        if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
            raise InvalidInputError("at", "must be a timezone-aware datetime", at)
        self._rates[code] = positive(f"rates[{code}]", rate)
        self._withdrawn.discard(code)
        if at is None:
            self._as_of.pop(code, None)
        else:
            self._as_of[code] = at


class Shortable:
    """Shares the simulator can lend per contract id (None: not reported)."""

    __slots__ = ("_shares",)

    def __init__(self, instruments: Mapping[int, Instrument]) -> None:
        self._shares: dict[int, float | None] = {
            con_id: DEFAULT_SHORTABLE if i.sec_type is SecurityType.STOCK else None
            for con_id, i in instruments.items()
        }

    def get(self, con_id: int) -> float | None:
        """The shares to lend for a contract (None: not reported)."""
        return self._shares.get(con_id)

    def set(self, con_id: int, shares: float | None) -> None:
        """Set the shares to lend (0: none; None: not reported)."""
        self._shares[con_id] = None if shares is None else non_negative("shares", shares)


def margin_of(
    model: MarginModel,
    instrument: Instrument,
    quantity: float,
    price: float,
    underlying: Callable[[Instrument], float | None],
) -> float:
    """The model's initial margin of a signed position, in the instrument's currency.

    Raises:
        BrokerError: a short option whose underlying has no price.
    """
    try:
        return model.of_position(instrument, quantity, price, underlying(instrument))
    except InvalidInputError as exc:
        raise BrokerError(exc.reason) from None
