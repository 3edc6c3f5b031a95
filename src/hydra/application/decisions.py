"""What the gate answers: the decision on one order, the kill report, the gate's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from hydra.application.orders import OrderHandle
from hydra.domain import (
    BreakerInputs,
    BreakerStatus,
    ConnectionState,
    OrderLimits,
    OrderType,
    Reason,
    Side,
    TradingState,
)

__all__ = ["GateStatus", "KillReport", "OrderDecision"]


class OrderDecision(NamedTuple):
    """The gate's decision on one submit attempt: outcome, every reason, the order id.

    Immutable (a NamedTuple: built once per order, so it is also the cheapest to build).
    """

    seq: int
    time: datetime
    symbol: str
    side: Side | None
    quantity: float | None
    order_type: OrderType | None
    limit_price: float | None
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    order_id: int | None = None
    inputs: BreakerInputs | None = None
    trading_state: TradingState = TradingState.ACTIVE
    handle: OrderHandle | None = None

    @property
    def triggered(self) -> tuple[str, ...]:
        """Names of everything that blocked the order (empty when allowed)."""
        return tuple(reason.name for reason in self.reasons)

    @property
    def outcome(self) -> str:
        """``"allowed"`` or ``"blocked"``."""
        return "allowed" if self.allowed else "blocked"


@dataclass(frozen=True, slots=True)
class KillReport:
    """What the kill switch did: orders cancelled, failures, flattening orders.

    ``cancelled`` lists the working orders (own and foreign) the global cancel covered;
    ``not_flattened`` names positions left open and why (e.g. an order still working).
    """

    cancelled: tuple[int, ...]
    failed: tuple[tuple[int, str], ...]
    flattened: tuple[OrderHandle, ...] = ()
    not_flattened: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GateStatus:
    """The gate at a glance: trading state, connection, breakers and limits."""

    trading_state: TradingState
    connection: ConnectionState
    breakers: tuple[BreakerStatus, ...]
    limits: OrderLimits | None
    derive_inputs: bool
    session_start: datetime | None
    session_start_equity: float | None
    peak_equity: float | None
