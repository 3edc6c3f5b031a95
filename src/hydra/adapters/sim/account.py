"""The simulator's account: holdings per contract, cash, realized P&L, marked equity, margin.

Cash and P&L are kept in the account's base currency: a fill in another currency moves
cash at that currency's rate when it fills, and holdings are marked at today's rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hydra.domain import AccountSnapshot, BrokerError, Instrument

__all__ = ["SimAccount"]

MarginOf = Callable[[Instrument, float, float], float]
"""The initial margin of a signed position at a price, in the instrument's currency."""


@dataclass(slots=True)
class _Holding:
    instrument: Instrument
    quantity: float = 0.0
    avg_cost: float = 0.0


class SimAccount:
    """Cash, holdings by contract id and realized P&L; equity marked at the given prices.

    Args:
        account: the account id reported in snapshots.
        cash: starting cash in the base currency.
        price_of: the current price of a contract id (None: none known).
        rate_of: what one unit of a currency is worth in the base currency.
        base: the base currency.
        margin_of: the initial margin of a position (its instrument's currency).
    """

    def __init__(
        self,
        account: str,
        cash: float,
        price_of: Callable[[int], float | None],
        rate_of: Callable[[str], float],
        base: str,
        margin_of: MarginOf,
    ) -> None:
        self.account = account
        self.cash = cash
        self.realized = 0.0
        self.base = base
        self._price_of = price_of
        self._rate_of = rate_of
        self._margin_of = margin_of
        self.holdings: dict[int, _Holding] = {}
        # The last snapshot, until a fill or a price moves it (the gate asks per decision).
        self._snapshot: AccountSnapshot | None = None

    def moved(self) -> None:
        """A price, a rate or a fill moved the account: the next snapshot is marked afresh."""
        self._snapshot = None

    def snapshot(self) -> AccountSnapshot:
        """Equity (cash + marked positions), cash, realized/unrealized P&L and margin."""
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._snapshot = self._mark()
        return snapshot

    def quantity(self, con_id: int) -> float:
        """The position held in a contract (0 when none)."""
        holding = self.holdings.get(con_id)
        return holding.quantity if holding is not None else 0.0

    def avg_cost(self, con_id: int) -> float:
        """The average cost of the position in a contract (0 when flat)."""
        holding = self.holdings.get(con_id)
        return holding.avg_cost if holding is not None else 0.0

    def book(
        self, instrument: Instrument, signed_qty: float, price: float, fee: float = 0.0
    ) -> float:
        """Book a fill (cash and holding, in the base currency) and its fee, as ``charge``.

        Returns the new quantity.
        """
        self._snapshot = None
        multiplier = instrument.multiplier
        rate = self._rate_of(instrument.currency)
        holding = self.holdings.get(instrument.con_id)
        if holding is None:
            holding = self.holdings[instrument.con_id] = _Holding(instrument)
        old = holding.quantity
        new = old + signed_qty
        if old == 0.0 or (old > 0) == (signed_qty > 0):
            holding.avg_cost = (abs(old) * holding.avg_cost + abs(signed_qty) * price) / abs(new)
        else:
            closed = min(abs(signed_qty), abs(old))
            self.realized += (
                closed * (price - holding.avg_cost) * (1 if old > 0 else -1) * multiplier * rate
            )
            if new == 0.0:
                holding.avg_cost = 0.0
            elif (new > 0) != (old > 0):
                holding.avg_cost = price  # flipped: the remainder opened at this price
        holding.quantity = new
        self.cash -= signed_qty * price * multiplier * rate
        if fee:
            self.cash -= fee
        return new

    def charge(self, amount: float) -> None:
        """Take a commission (or any fee, in the base currency) from cash."""
        if amount:
            self._snapshot = None
            self.cash -= amount

    def margin(self, changed: Instrument | None = None, signed_qty: float = 0.0) -> float:
        """The initial margin of every holding, in the base currency.

        With ``changed``, as if ``signed_qty`` more of it were held (a preview).

        Raises:
            BrokerError: a holding the model cannot value (no price for its underlying).
        """
        total = 0.0
        extra = changed.con_id if changed is not None else 0
        seen = False
        for con_id, holding in self.holdings.items():
            quantity = holding.quantity
            if con_id == extra:
                quantity += signed_qty
                seen = True
            if quantity:
                total += self._valued(holding.instrument, quantity, holding.avg_cost)
        if changed is not None and not seen and signed_qty:
            total += self._valued(changed, signed_qty, 0.0)
        return total

    def _valued(self, instrument: Instrument, quantity: float, fallback: float) -> float:
        price = self._price_of(instrument.con_id)
        price = fallback if price is None else price
        return self._margin_of(instrument, quantity, price) * self._rate_of(instrument.currency)

    def _mark(self) -> AccountSnapshot:
        unrealized = 0.0
        market_value = 0.0
        for con_id, holding in self.holdings.items():
            if not holding.quantity:
                continue
            multiplier = holding.instrument.multiplier
            rate = self._rate_of(holding.instrument.currency)
            price = self._price_of(con_id)
            if price is None:
                price = holding.avg_cost
            market_value += holding.quantity * price * multiplier * rate
            unrealized += (price - holding.avg_cost) * holding.quantity * multiplier * rate
        net = self.cash + market_value
        try:
            margin: float | None = self.margin()
        except BrokerError:
            margin = None  # a holding the model cannot value: the margin is not known
        return AccountSnapshot(
            self.account,
            net,
            self.cash,
            self.realized,
            unrealized,
            self.base,
            margin,
            net,
        )
