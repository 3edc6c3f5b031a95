"""Seed import path: ``from hydra.risk.circuit_breakers import CircuitBreakerManager``.

The rules live in ``hydra.domain.breakers``; this module re-exports them unchanged.
"""

from __future__ import annotations

from hydra.domain.breakers import (
    BreakerConfig,
    BreakerName,
    BreakerState,
    BreakerStatus,
    CircuitBreakerManager,
    TradeCheck,
)

__all__ = [
    "BreakerConfig",
    "BreakerName",
    "BreakerState",
    "BreakerStatus",
    "CircuitBreakerManager",
    "TradeCheck",
]
