"""The application layer: broker ports, order handles and the RiskGate service."""

from __future__ import annotations

from hydra.application.orders import OrderHandle
from hydra.application.ports import BrokerPort, OrderListener, Unsubscribe
from hydra.application.risk_gate import BrokerView, OrderDecision, RiskGate

__all__ = [
    "BrokerPort",
    "BrokerView",
    "OrderDecision",
    "OrderHandle",
    "OrderListener",
    "RiskGate",
    "Unsubscribe",
]
