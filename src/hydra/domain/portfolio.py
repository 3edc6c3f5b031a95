"""Positions and account snapshots, as read from a broker."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.domain._validate import finite, non_negative, positive, text
from hydra.domain.instruments import Instrument

__all__ = ["AccountSnapshot", "Position"]


@dataclass(frozen=True, slots=True)
class Position:
    """A signed holding: ``quantity`` > 0 long, < 0 short; ``avg_cost`` per unit."""

    instrument: Instrument
    quantity: float
    avg_cost: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", finite("position.quantity", self.quantity))
        object.__setattr__(self, "avg_cost", non_negative("position.avg_cost", self.avg_cost))

    @property
    def symbol(self) -> str:
        """The instrument's symbol, the key positions are held under."""
        return self.instrument.symbol


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """Account values in ``currency``: equity (net liquidation), cash and P&L."""

    account: str
    net_liquidation: float
    cash: float
    realized_pnl: float = 0.0
    unrealized_pnl: float = 0.0
    currency: str = "USD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "account", text("account.account", self.account))
        object.__setattr__(
            self, "net_liquidation", positive("account.net_liquidation", self.net_liquidation)
        )
        object.__setattr__(self, "cash", finite("account.cash", self.cash))
        object.__setattr__(self, "realized_pnl", finite("account.realized_pnl", self.realized_pnl))
        object.__setattr__(
            self, "unrealized_pnl", finite("account.unrealized_pnl", self.unrealized_pnl)
        )
        object.__setattr__(self, "currency", text("account.currency", self.currency).upper())
