"""How the broker values margin: an order's margin impact, and a margin model.

``MarginImpact`` is what a broker says an order would do to the account's margin (IB: a
whatIf order, never executed). ``MarginModel`` estimates initial margin the way the
simulator's broker does and the gate's ``margin = "model"`` setting does: Reg T-like for
stocks, a table per future, and short options on the underlying's value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hydra.domain._validate import finite, non_negative, positive, text
from hydra.domain.errors import InvalidInputError
from hydra.domain.instruments import Instrument, Right, SecurityType

__all__ = ["MarginImpact", "MarginModel"]

# perf: gate_pass (the simulator's account margin, every decision after a fill; see
# hydra.domain._members): module names, not enum class attributes.
_FUTURE = SecurityType.FUTURE
_OPTIONS = (SecurityType.OPTION, SecurityType.FUTURE_OPTION)
_CALL = Right.CALL


@dataclass(frozen=True, slots=True)
class MarginImpact:
    """An order's effect on the account's margin, in the account's base currency.

    ``initial_after`` is the initial margin the account would need once the order filled;
    ``equity_with_loan`` what it would have to meet it (IB's equityWithLoanAfter).
    """

    initial_before: float
    initial_after: float
    equity_with_loan: float
    currency: str = "USD"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "initial_before", non_negative("margin.initial_before", self.initial_before)
        )
        object.__setattr__(
            self, "initial_after", non_negative("margin.initial_after", self.initial_after)
        )
        object.__setattr__(
            self, "equity_with_loan", finite("margin.equity_with_loan", self.equity_with_loan)
        )
        object.__setattr__(self, "currency", text("margin.currency", self.currency).upper())


@dataclass(frozen=True, slots=True)
class MarginModel:
    """Initial margin as a broker's model computes it, in the instrument's currency.

    Stocks: ``stock_initial`` of the value (Reg T: 50 %; maintenance 25 %). Futures: a
    table of initial margin per contract (by symbol), else ``future_initial`` of the
    notional. Options: long, the premium; short, the premium plus the underlying's value x
    ``short_option_rate`` less the out-of-the-money amount, at least ``short_option_floor``
    of the underlying's value (a call) or of the strike (a put), per unit x multiplier.
    All in the instrument's currency.
    """

    stock_initial: float = field(
        default=0.5,
        metadata={"doc": "stocks' initial margin, a fraction of the value (Reg T: 0.5)"},
    )
    stock_maintenance: float = field(
        default=0.25, metadata={"doc": "stocks' maintenance margin fraction"}
    )
    future_initial: float = field(
        default=0.08,
        metadata={
            "doc": "a future's initial margin as a fraction of its notional (no table entry)"
        },
    )
    futures: Mapping[str, float] = field(
        default_factory=lambda: {"ES": 20_000.0},
        metadata={"doc": "initial margin per contract by symbol (a table)"},
    )
    short_option_rate: float = field(
        default=0.2,
        metadata={"doc": "short options: the underlying's value x this, less out of the money"},
    )
    short_option_floor: float = field(
        default=0.1,
        metadata={
            "doc": "short options: at least this x the underlying (a call) or strike (a put)"
        },
    )

    def __post_init__(self) -> None:
        for name in (
            "stock_initial",
            "stock_maintenance",
            "future_initial",
            "short_option_rate",
            "short_option_floor",
        ):
            value = positive(f"margin_model.{name}", getattr(self, name))
            if value > 1.0:
                raise InvalidInputError(
                    f"margin_model.{name}", "must be a fraction in (0, 1]", value
                )
        for symbol, amount in self.futures.items():
            positive(f"margin_model.futures[{symbol}]", amount)

    def of_position(
        self, instrument: Instrument, quantity: float, price: float, underlying: float | None
    ) -> float:
        """``initial`` for a signed position in ``instrument`` (its type, strike, right).

        Raises:
            InvalidInputError: a short option without the underlying's price (named
                ``underlying``, with the instrument).
        """
        try:
            return self.initial(
                instrument.sec_type,
                instrument.symbol,
                quantity,
                price,
                instrument.multiplier,
                strike=instrument.strike,
                right=instrument.right,
                underlying=underlying,
            )
        except InvalidInputError as exc:
            raise InvalidInputError(exc.field, f"{instrument.label}: {exc.reason}") from None

    def initial(
        self,
        sec_type: SecurityType,
        symbol: str,
        quantity: float,
        price: float,
        multiplier: float,
        *,
        strike: float | None = None,
        right: Right | None = None,
        underlying: float | None = None,
    ) -> float:
        """The initial margin a signed position of ``quantity`` needs (0 when flat).

        Raises:
            InvalidInputError: a short option without the underlying's price.
        """
        size = abs(quantity)
        if not size:
            return 0.0
        if sec_type is _FUTURE:
            per_contract = self.futures.get(symbol)
            if per_contract is not None:
                return size * per_contract
            return size * price * multiplier * self.future_initial
        if sec_type in _OPTIONS:
            premium = size * price * multiplier
            if quantity > 0:
                return premium
            if underlying is None or strike is None:
                raise InvalidInputError(
                    "underlying", "a short option's margin needs the underlying's price"
                )
            out_of_money = max(0.0, strike - underlying if right is _CALL else underlying - strike)
            floor = (underlying if right is _CALL else strike) * self.short_option_floor
            per_unit = max(underlying * self.short_option_rate - out_of_money, floor)
            return premium + size * per_unit * multiplier
        return size * price * multiplier * self.stock_initial
