"""An in-memory simulated broker: the offline adapter for demos and tests."""

from __future__ import annotations

from hydra.adapters.sim.broker import (
    DEFAULT_ACCOUNT,
    DEFAULT_INSTRUMENTS,
    DEFAULT_PRICES,
    SimulatedBroker,
)

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_INSTRUMENTS", "DEFAULT_PRICES", "SimulatedBroker"]
