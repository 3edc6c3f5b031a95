"""HYDRA: the risk-gated execution layer of an automated trading system for Interactive Brokers.

No order reaches a broker without passing the RiskGate. Start at ``hydra.execution``
(``BrokerGateway``, ``RiskGate``) or ``hydra.adapters.sim.SimulatedBroker`` for offline use.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
