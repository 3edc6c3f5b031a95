"""The application layer: broker ports, order handles and the RiskGate service."""

from __future__ import annotations

from hydra.application.audit import AuditListener
from hydra.application.checks import Check
from hydra.application.config import GateConfig
from hydra.application.context import DecisionContext
from hydra.application.decisions import GateStatus, KillReport, OrderDecision
from hydra.application.exposure import ExposureLedger, LedgerEntry
from hydra.application.orders import OrderHandle
from hydra.application.ports import (
    AuditJournal,
    BrokerObserver,
    BrokerPort,
    OrderListener,
    Unsubscribe,
)
from hydra.application.prices import PriceRefusedError
from hydra.application.records import AuditRecord, DecisionRecord, parse_record
from hydra.application.replay import JournalReplay, replay_journal
from hydra.application.risk_gate import RiskGate
from hydra.application.views import BreakersView, BrokerView

__all__ = [
    "AuditJournal",
    "AuditListener",
    "AuditRecord",
    "BreakersView",
    "BrokerObserver",
    "BrokerPort",
    "BrokerView",
    "Check",
    "DecisionContext",
    "DecisionRecord",
    "ExposureLedger",
    "GateConfig",
    "GateStatus",
    "JournalReplay",
    "KillReport",
    "LedgerEntry",
    "OrderDecision",
    "OrderHandle",
    "OrderListener",
    "PriceRefusedError",
    "RiskGate",
    "Unsubscribe",
    "parse_record",
    "replay_journal",
]
