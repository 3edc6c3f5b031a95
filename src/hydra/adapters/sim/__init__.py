"""An in-memory simulated broker: the offline adapter for demos and tests.

Names load on first use (PEP 562): importing a submodule (``hydra.adapters.sim.config``,
which ``hydra.settings`` reads) does not load the adapter itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.lazy import lazy_exports

if TYPE_CHECKING:
    from hydra.adapters.sim.broker import (
        DEFAULT_ACCOUNT,
        DEFAULT_INSTRUMENTS,
        DEFAULT_PRICES,
        SimulatedBroker,
    )

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_INSTRUMENTS",
    "DEFAULT_PRICES",
    "SimulatedBroker",
]

_HOMES = {
    "DEFAULT_ACCOUNT": ".broker",
    "DEFAULT_INSTRUMENTS": ".broker",
    "DEFAULT_PRICES": ".broker",
    "SimulatedBroker": ".broker",
}


__getattr__ = lazy_exports(__name__, _HOMES)
