"""The application layer: broker ports, order handles and the RiskGate service.

Names load on first use (PEP 562): a settings module that reads ``GateConfig`` does not
load the gate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES = {
    "AuditJournal": ".ports",
    "AuditListener": ".audit",
    "AuditRecord": ".records",
    "BreakersView": ".views",
    "BrokerObserver": ".ports",
    "BrokerPort": ".ports",
    "BrokerView": ".views",
    "Check": ".checks",
    "DecisionContext": ".context",
    "DecisionRecord": ".records",
    "ExposureLedger": ".exposure",
    "GateConfig": ".config",
    "GateStatus": ".decisions",
    "JournalReplay": ".replay",
    "KillReport": ".decisions",
    "LedgerEntry": ".exposure",
    "OrderDecision": ".decisions",
    "OrderHandle": ".orders",
    "OrderListener": ".ports",
    "PriceRefusedError": ".prices",
    "RiskGate": ".risk_gate",
    "Unsubscribe": ".ports",
    "parse_record": ".records",
    "replay_journal": ".replay",
}


__getattr__ = lazy_exports(__name__, _HOMES)
