"""The application layer: broker ports, order handles and the RiskGate service."""

from __future__ import annotations

from hydra.application.orders import OrderHandle
from hydra.application.ports import AuditJournal, BrokerPort, OrderListener, Unsubscribe
from hydra.application.risk_gate import (
    AuditListener,
    BreakersView,
    BrokerView,
    GateStatus,
    JournalReplay,
    KillReport,
    OrderDecision,
    RiskGate,
    replay_journal,
)

__all__ = [
    "AuditJournal",
    "AuditListener",
    "BreakersView",
    "BrokerPort",
    "BrokerView",
    "GateStatus",
    "JournalReplay",
    "KillReport",
    "OrderDecision",
    "OrderHandle",
    "OrderListener",
    "RiskGate",
    "Unsubscribe",
    "replay_journal",
]
