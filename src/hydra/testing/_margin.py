"""The fake gateway's margin model: what IB would hold for a position, simply and predictably.

* Stocks (and anything without a rule of its own): Reg T-like, ``stock_initial`` (50 %)
  of the position's value initially, ``stock_maintenance`` (25 %) to maintain, long or
  short.
* Futures: the instrument's ``initial_margin`` per contract (maintenance: its
  ``maintenance_margin``, else 90 % of the initial); a future without one is margined
  like a stock.
* Long options: nothing (the premium is paid in full).
* Short options: per contract, the underlying's value times ``option_rate`` (20 %) less
  the amount the option is out of the money, but at least ``option_floor`` (10 %) of the
  underlying's value (a call) or of the strike (a put); times the multiplier. The
  maintenance margin is the same.

All figures are in the instrument's currency; the account converts them to its base.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hydra.testing._instruments import FakeInstrument

__all__ = ["MarginModel"]


@dataclass(frozen=True, slots=True)
class MarginModel:
    """The rates of the margin model (see the module docstring).

    Raises:
        ValueError: A rate outside (0, 1], or a maintenance above the initial rate.
    """

    stock_initial: float = 0.5
    stock_maintenance: float = 0.25
    option_rate: float = 0.2
    option_floor: float = 0.1

    def __post_init__(self) -> None:
        for name in ("stock_initial", "stock_maintenance", "option_rate", "option_floor"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 < value <= 1):
                msg = f"{name} must be a fraction in (0, 1], not {value!r}"
                raise ValueError(msg)
        if self.stock_maintenance > self.stock_initial:
            msg = "stock_maintenance must not exceed stock_initial"
            raise ValueError(msg)

    def requirement(
        self,
        inst: FakeInstrument,
        quantity: float,
        price: float,
        underlying_price: float | None,
    ) -> tuple[float, float]:
        """``(initial, maintenance)`` margin of ``quantity`` (signed) at ``price``.

        ``underlying_price`` is the underlying's price for an option (None: unknown, the
        option's own strike stands in for it).
        """
        if quantity == 0:
            return 0.0, 0.0
        size = abs(quantity)
        if inst.sec_type in {"FUT", "CONTFUT"} and inst.initial_margin is not None:
            initial = inst.initial_margin
            maintenance = inst.maintenance_margin or 0.9 * initial
            return size * initial, size * maintenance
        if inst.sec_type in {"OPT", "FOP"}:
            if quantity > 0:
                return 0.0, 0.0
            per_contract = self._short_option(inst, underlying_price) * inst.multiplier
            return size * per_contract, size * per_contract
        value = size * price * inst.multiplier
        return value * self.stock_initial, value * self.stock_maintenance

    def _short_option(self, inst: FakeInstrument, underlying_price: float | None) -> float:
        under = underlying_price if underlying_price is not None else inst.strike
        if inst.right == "C":
            out_of_the_money = max(inst.strike - under, 0.0)
            floor = self.option_floor * under
        else:
            out_of_the_money = max(under - inst.strike, 0.0)
            floor = self.option_floor * inst.strike
        return max(self.option_rate * under - out_of_the_money, floor)
