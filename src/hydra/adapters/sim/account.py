"""The simulator's account: holdings per contract, cash, realized P&L, and marked equity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hydra.domain import AccountSnapshot, Instrument

__all__ = ["SimAccount"]


@dataclass(slots=True)
class _Holding:
    instrument: Instrument
    quantity: float = 0.0
    avg_cost: float = 0.0


class SimAccount:
    """Cash, holdings by contract id and realized P&L; equity marked at the given prices.

    Args:
        account: the account id reported in snapshots.
        cash: starting cash in the account currency.
        price_of: the current price of a contract id (None: none known).
    """

    def __init__(self, account: str, cash: float, price_of: Callable[[int], float | None]) -> None:
        self.account = account
        self.cash = cash
        self.realized = 0.0
        self._price_of = price_of
        self.holdings: dict[int, _Holding] = {}
        # The last snapshot, until a fill or a price moves it (the gate asks per decision).
        self._snapshot: AccountSnapshot | None = None

    def moved(self) -> None:
        """A price or a fill moved the account: the next snapshot is marked afresh."""
        self._snapshot = None

    def snapshot(self) -> AccountSnapshot:
        """Equity (cash + marked positions), cash and realized/unrealized P&L."""
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

    def book(self, instrument: Instrument, signed_qty: float, price: float) -> float:
        """Book a fill (cash and holding); returns the new quantity."""
        self._snapshot = None
        multiplier = instrument.multiplier
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
                closed * (price - holding.avg_cost) * (1 if old > 0 else -1) * (multiplier)
            )
            if new == 0.0:
                holding.avg_cost = 0.0
            elif (new > 0) != (old > 0):
                holding.avg_cost = price  # flipped: the remainder opened at this price
        holding.quantity = new
        self.cash -= signed_qty * price * multiplier
        return new

    def charge(self, amount: float) -> None:
        """Take a commission (or any fee) from cash."""
        if amount:
            self._snapshot = None
            self.cash -= amount

    def _mark(self) -> AccountSnapshot:
        unrealized = 0.0
        market_value = 0.0
        for con_id, holding in self.holdings.items():
            if not holding.quantity:
                continue
            multiplier = holding.instrument.multiplier
            price = self._price_of(con_id)
            if price is None:
                price = holding.avg_cost
            market_value += holding.quantity * price * multiplier
            unrealized += (price - holding.avg_cost) * holding.quantity * multiplier
        return AccountSnapshot(
            self.account, self.cash + market_value, self.cash, self.realized, unrealized
        )
