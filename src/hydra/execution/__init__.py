"""The seed's public import path: ``from hydra.execution import BrokerGateway, RiskGate``."""

from __future__ import annotations

from hydra.adapters.ib import BrokerGateway, IBOrderHandle
from hydra.application import BrokerView, OrderDecision, OrderHandle, RiskGate

__all__ = [
    "BrokerGateway",
    "BrokerView",
    "IBOrderHandle",
    "OrderDecision",
    "OrderHandle",
    "RiskGate",
]
