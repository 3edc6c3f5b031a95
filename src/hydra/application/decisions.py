"""What the gate answers: the decision on one order, the kill report, the gate's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hydra.application.orders import OrderHandle
from hydra.application.records import DecisionRecord
from hydra.domain import (
    BreakerStatus,
    ConnectionState,
    OrderLimits,
    TradingState,
)

__all__ = ["GateStatus", "KillReport", "OrderDecision"]

OrderDecision = DecisionRecord
"""The gate's decision on one submit attempt; it is also its own audit record."""


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
    """The gate at a glance: trading state, connection, breakers, limits and checks.

    ``checks`` names every check in the order it runs (the gates, the built-in rules,
    then the user's own, ``user.<name>``).
    """

    trading_state: TradingState
    connection: ConnectionState
    breakers: tuple[BreakerStatus, ...]
    limits: OrderLimits | None
    derive_inputs: bool
    session_start: datetime | None
    session_start_equity: float | None
    peak_equity: float | None
    checks: tuple[str, ...] = ()
