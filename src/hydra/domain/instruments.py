"""Instruments: what can be traded, as a frozen value the broker qualifies."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace
from enum import StrEnum

from hydra.domain._validate import non_negative, positive, text
from hydra.domain.decisions import Reason
from hydra.domain.errors import InvalidInputError
from hydra.domain.hours import TradingHours

__all__ = ["ContractChain", "ContractSpec", "Instrument", "Right", "SecurityType"]


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


class Right(StrEnum):
    """An option's right (IB's codes)."""

    CALL = "C"
    PUT = "P"


_DERIVATIVES = frozenset({SecurityType.FUTURE, SecurityType.OPTION, SecurityType.FUTURE_OPTION})


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument; ``con_id`` is 0 until the broker qualifies it.

    Once qualified, the broker's ``con_id`` is the instrument's identity: positions,
    exposure and limits are keyed by it (the symbol is for display). Before that, a
    future or an option is named by its contract fields, never picked silently:
    ``expiry`` (IB's lastTradeDateOrContractMonth, ``YYYYMM`` or ``YYYYMMDD``), ``strike``
    and ``right`` (options), or ``local_symbol`` (e.g. ``ESZ6``) and ``trading_class``.
    ``multiplier`` turns quantity x price into money (1 for stocks).
    """

    symbol: str
    sec_type: SecurityType = SecurityType.STOCK
    exchange: str = "SMART"
    currency: str = "USD"
    primary_exchange: str = ""
    con_id: int = 0
    multiplier: float = 1.0
    _: KW_ONLY
    expiry: str = ""
    strike: float | None = None
    right: Right | None = None
    local_symbol: str = ""
    trading_class: str = ""

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
        expiry = text("instrument.expiry", self.expiry, allow_empty=True)
        if expiry and not (expiry.isdigit() and len(expiry) in (6, 8)):
            raise InvalidInputError("instrument.expiry", "must be YYYYMM or YYYYMMDD", expiry)
        object.__setattr__(self, "expiry", expiry)
        if self.strike is not None:
            object.__setattr__(self, "strike", positive("instrument.strike", self.strike))
        if self.right is not None:
            object.__setattr__(self, "right", _right(self.right))
        for name in ("local_symbol", "trading_class"):
            object.__setattr__(
                self, name, text(f"instrument.{name}", getattr(self, name), allow_empty=True)
            )

    @property
    def key(self) -> tuple[object, ...]:
        """What identifies the instrument for positions, exposure and prices.

        The broker's contract id once qualified; before that its contract fields (symbol,
        type, currency, multiplier, expiry, strike, right), so a stock and an option on
        it, or two expiries of a future, are never mistaken for each other.
        """
        if self.con_id:
            return (self.con_id,)
        return (
            self.symbol,
            self.sec_type,
            self.currency,
            self.multiplier,
            self.expiry,
            self.strike,
            self.right,
        )

    def same_as(self, other: Instrument) -> bool:
        """True when both name the same instrument (by contract id when both have one)."""
        if self.con_id and other.con_id:
            return self.con_id == other.con_id
        return self.key == other.key

    @property
    def label(self) -> str:
        """How the instrument is shown: the symbol, and a derivative's contract fields."""
        if self.sec_type not in _DERIVATIVES and not self.expiry:
            return self.symbol
        if self.local_symbol:
            return self.local_symbol
        parts = [self.symbol, self.expiry]
        if self.strike is not None:
            parts.append(f"{self.strike:g}")
        if self.right is not None:
            parts.append(self.right.value)
        return " ".join(part for part in parts if part)

    def matches(self, candidate: Instrument) -> bool:
        """True when ``candidate`` fits every contract field this instrument gives."""
        if self.con_id:
            return self.con_id == candidate.con_id
        return (
            self.symbol == candidate.symbol
            and self.sec_type is candidate.sec_type
            and self.currency == candidate.currency
            and (not self.expiry or candidate.expiry.startswith(self.expiry))
            and (self.strike is None or self.strike == candidate.strike)
            and (self.right is None or self.right is candidate.right)
            and (not self.local_symbol or self.local_symbol == candidate.local_symbol)
            and (not self.trading_class or self.trading_class == candidate.trading_class)
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
    multiple of ``size_increment`` and at least ``min_size``; every price must be a whole
    multiple of ``min_tick`` (0: the broker states no tick). ``hours`` is when it trades
    (None: the broker did not say); ``underlying_con_id`` is an option's underlying
    (0: none, or not known), whose price values the option's exposure.
    """

    con_id: int
    symbol: str
    sec_type: SecurityType
    currency: str
    multiplier: float = 1.0
    size_increment: float = 1.0
    min_size: float = 0.0
    min_tick: float = 0.0
    hours: TradingHours | None = None
    underlying_con_id: int = 0

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
        object.__setattr__(self, "min_tick", non_negative("spec.min_tick", self.min_tick))
        if self.hours is not None and not isinstance(self.hours, TradingHours):
            raise InvalidInputError("spec.hours", "must be TradingHours or None", self.hours)
        underlying = self.underlying_con_id
        if isinstance(underlying, bool) or not isinstance(underlying, int) or underlying < 0:
            raise InvalidInputError(
                "spec.underlying_con_id", "must be a non-negative integer", underlying
            )

    @classmethod
    def of(
        cls, instrument: Instrument, size_increment: float = 1.0, min_tick: float = 0.0
    ) -> ContractSpec:
        """The spec a broker derives from its own qualified instrument."""
        return cls(
            instrument.con_id,
            instrument.symbol,
            instrument.sec_type,
            instrument.currency,
            instrument.multiplier,
            size_increment,
            min_tick=min_tick,
        )

    def tick_reason(self, prices: tuple[float, ...]) -> Reason | None:
        """``instrument.tick``: a price that is not a whole multiple of the minimum tick."""
        tick = self.min_tick
        if not tick:
            return None
        for price in prices:
            steps = price / tick
            if abs(steps - round(steps)) > 1e-6:
                return Reason(
                    "instrument.tick",
                    "tick",
                    f"price {price:g} for {self.symbol} is not on its tick {tick:g} "
                    f"(nearest {round(steps) * tick:g}); the broker would reject it",
                    price,
                    tick,
                )
        return None

    def mismatch(self, instrument: Instrument) -> str:
        """Why ``instrument`` disagrees with these economics ("" when it agrees)."""
        con_id = instrument.con_id
        if con_id and con_id != self.con_id:
            return f"contract id {con_id} is not the broker's {self.con_id}"
        if (
            instrument.sec_type is self.sec_type
            and instrument.currency == self.currency
            and instrument.multiplier == self.multiplier
        ):
            return ""  # perf: gate_checks_only (agreement, the usual case, builds no list)
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


@dataclass(frozen=True, slots=True)
class ContractChain:
    """The contracts of one underlying the broker lists: a future's expiries, an option's.

    ``contracts`` are qualified instruments (every future expiry; for options, what the
    broker listed, which may be empty when it only gives the grid); ``expiries`` and
    ``strikes`` are the grid (for options, IB's security-definition parameters).
    """

    symbol: str
    sec_type: SecurityType
    expiries: tuple[str, ...]
    strikes: tuple[float, ...] = ()
    contracts: tuple[Instrument, ...] = ()


def _right(value: object) -> Right:
    if isinstance(value, Right):
        return value
    if isinstance(value, str):
        text_ = value.strip().upper()
        aliases = {"C": Right.CALL, "CALL": Right.CALL, "P": Right.PUT, "PUT": Right.PUT}
        if text_ in aliases:
            return aliases[text_]
    raise InvalidInputError("instrument.right", "must be C (call) or P (put)", value)
