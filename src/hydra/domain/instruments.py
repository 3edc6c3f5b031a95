"""Instruments: what can be traded, as a frozen value the broker qualifies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from hydra.domain._validate import non_negative, positive, text
from hydra.domain.decisions import Reason
from hydra.domain.errors import InvalidInputError

__all__ = ["ContractSpec", "Instrument", "SecurityType"]


class SecurityType(StrEnum):
    """The instrument kinds HYDRA trades (IB's ``secType`` codes)."""

    STOCK = "STK"
    FUTURE = "FUT"
    OPTION = "OPT"
    FUTURE_OPTION = "FOP"
    FOREX = "CASH"
    INDEX = "IND"
    CFD = "CFD"
    BOND = "BOND"
    WARRANT = "WAR"
    FUND = "FUND"
    COMMODITY = "CMDTY"
    CRYPTO = "CRYPTO"


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument; ``con_id`` is 0 until the broker qualifies it.

    ``symbol`` is the key HYDRA uses for positions and per-instrument limits.
    ``multiplier`` turns quantity x price into money (1 for stocks).
    """

    symbol: str
    sec_type: SecurityType = SecurityType.STOCK
    exchange: str = "SMART"
    currency: str = "USD"
    primary_exchange: str = ""
    con_id: int = 0
    multiplier: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", text("instrument.symbol", self.symbol).upper())
        try:
            object.__setattr__(self, "sec_type", SecurityType(self.sec_type))
        except ValueError:
            known = ", ".join(t.value for t in SecurityType)
            raise InvalidInputError(
                "instrument.sec_type", f"must be one of {known}", self.sec_type
            ) from None
        object.__setattr__(self, "exchange", text("instrument.exchange", self.exchange).upper())
        currency = text("instrument.currency", self.currency).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInputError(
                "instrument.currency", "must be a 3-letter ISO code", self.currency
            )
        object.__setattr__(self, "currency", currency)
        object.__setattr__(
            self,
            "primary_exchange",
            text("instrument.primary_exchange", self.primary_exchange, allow_empty=True).upper(),
        )
        if isinstance(self.con_id, bool) or not isinstance(self.con_id, int) or self.con_id < 0:
            raise InvalidInputError(
                "instrument.con_id", "must be a non-negative integer", self.con_id
            )
        object.__setattr__(self, "multiplier", positive("instrument.multiplier", self.multiplier))

    @property
    def key(self) -> tuple[object, ...]:
        """What identifies the instrument for positions, exposure and prices.

        The broker's contract id once qualified; before that symbol, type, currency and
        multiplier, so a stock and an option on it are never mistaken for each other.
        """
        if self.con_id:
            return (self.con_id,)
        return (self.symbol, self.sec_type, self.currency, self.multiplier)

    def same_as(self, other: Instrument) -> bool:
        """True when both name the same instrument (by contract id when both have one)."""
        if self.con_id and other.con_id:
            return self.con_id == other.con_id
        return (
            self.symbol == other.symbol
            and self.sec_type is other.sec_type
            and self.currency == other.currency
            and self.multiplier == other.multiplier
        )

    @property
    def is_qualified(self) -> bool:
        """True once a broker has assigned the instrument its contract id."""
        return self.con_id > 0

    def qualified(self, con_id: int, primary_exchange: str = "") -> Instrument:
        """Return a copy carrying the broker's contract id (and primary exchange)."""
        return replace(
            self, con_id=con_id, primary_exchange=primary_exchange or self.primary_exchange
        )


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """A contract's economics as the BROKER states them: the only numbers the gate values by.

    ``multiplier`` turns quantity x price into money; an order's quantity must be a whole
    multiple of ``size_increment`` and at least ``min_size``.
    """

    con_id: int
    symbol: str
    sec_type: SecurityType
    currency: str
    multiplier: float = 1.0
    size_increment: float = 1.0
    min_size: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.con_id, bool) or not isinstance(self.con_id, int) or self.con_id <= 0:
            raise InvalidInputError("spec.con_id", "must be a positive integer", self.con_id)
        object.__setattr__(self, "symbol", text("spec.symbol", self.symbol).upper())
        try:
            object.__setattr__(self, "sec_type", SecurityType(self.sec_type))
        except ValueError:
            raise InvalidInputError(
                "spec.sec_type", "unknown security type", self.sec_type
            ) from None
        object.__setattr__(self, "currency", text("spec.currency", self.currency).upper())
        object.__setattr__(self, "multiplier", positive("spec.multiplier", self.multiplier))
        object.__setattr__(
            self, "size_increment", positive("spec.size_increment", self.size_increment)
        )
        object.__setattr__(self, "min_size", non_negative("spec.min_size", self.min_size))

    @classmethod
    def of(cls, instrument: Instrument, size_increment: float = 1.0) -> ContractSpec:
        """The spec a broker derives from its own qualified instrument."""
        return cls(
            instrument.con_id,
            instrument.symbol,
            instrument.sec_type,
            instrument.currency,
            instrument.multiplier,
            size_increment,
        )

    def mismatch(self, instrument: Instrument) -> str:
        """Why ``instrument`` disagrees with these economics ("" when it agrees)."""
        if instrument.con_id and instrument.con_id != self.con_id:
            return f"contract id {instrument.con_id} is not the broker's {self.con_id}"
        wrong = [
            f"{name} {mine!r} (broker: {theirs!r})"
            for name, mine, theirs in (
                ("sec_type", instrument.sec_type.value, self.sec_type.value),
                ("currency", instrument.currency, self.currency),
                ("multiplier", instrument.multiplier, self.multiplier),
            )
            if mine != theirs
        ]
        return ", ".join(wrong)

    def size_reason(self, quantity: float) -> Reason | None:
        """A block when ``quantity`` is below the minimum or off the size increment."""
        if quantity < self.min_size:
            return Reason(
                "instrument.size",
                "size_increment",
                f"quantity {quantity:g} {self.symbol} is below the minimum size {self.min_size:g}",
                quantity,
                self.min_size,
            )
        steps = quantity / self.size_increment
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps) or round(steps) < 1:
            return Reason(
                "instrument.size",
                "size_increment",
                f"quantity {quantity:g} {self.symbol} is not a whole multiple of the size "
                f"increment {self.size_increment:g}",
                quantity,
                self.size_increment,
            )
        return None
