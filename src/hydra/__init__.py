"""HYDRA: the risk-gated execution layer of an automated trading system for Interactive Brokers.

No order reaches a broker without passing the RiskGate. Everything a user touches is here::

    from hydra import RiskGate, SimulatedBroker, CircuitBreakerManager, Instrument, ...

Names are loaded on first use (PEP 562), so ``import hydra.domain`` stays light and
importing ``hydra`` does not pull in ib_async or the web stack until they are asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    # the gate and what it answers
    "RiskGate": "hydra.application",
    "GateConfig": "hydra.application",
    "DecisionContext": "hydra.application",
    "OrderDecision": "hydra.application",
    "DecisionRecord": "hydra.application",
    "AuditRecord": "hydra.application",
    "parse_record": "hydra.application",
    "KillReport": "hydra.application",
    "GateStatus": "hydra.application",
    "OrderHandle": "hydra.application",
    "PriceRefusedError": "hydra.application",
    # adapters
    "BrokerGateway": "hydra.adapters.ib",
    "SimulatedBroker": "hydra.adapters.sim",
    "JsonlJournal": "hydra.adapters.journal",
    "read_journal": "hydra.adapters.journal",
    # values and rules
    "Instrument": "hydra.domain",
    "ContractChain": "hydra.domain",
    "Right": "hydra.domain",
    "AmbiguousContractError": "hydra.domain",
    "SecurityType": "hydra.domain",
    "ContractSpec": "hydra.domain",
    "OrderRequest": "hydra.domain",
    "OrderType": "hydra.domain",
    "OrderStatus": "hydra.domain",
    "Side": "hydra.domain",
    "TimeInForce": "hydra.domain",
    "Position": "hydra.domain",
    "AccountSnapshot": "hydra.domain",
    "CircuitBreakerManager": "hydra.domain",
    "BreakerConfig": "hydra.domain",
    "BreakerName": "hydra.domain",
    "OrderLimits": "hydra.domain",
    "TradingState": "hydra.domain",
    "ConnectionState": "hydra.domain",
    "ManualClock": "hydra.domain",
    "SessionSchedule": "hydra.domain",
    "Clock": "hydra.domain",
    "ClientRole": "hydra.domain",
    # what handles, statuses and decisions carry
    "Fill": "hydra.domain",
    "BreakerState": "hydra.domain",
    "BreakerStatus": "hydra.domain",
    "BreakerInputs": "hydra.domain",
    "Reason": "hydra.domain",
    # what a BrokerPort adapter of your own reports
    "OrderEvent": "hydra.domain",
    "OrderLeg": "hydra.domain",
    "AccountLimits": "hydra.domain",
    "LimitTable": "hydra.domain",
    "MarginImpact": "hydra.domain",
    "MarginModel": "hydra.domain",
    "Session": "hydra.domain",
    "TradingHours": "hydra.domain",
    "Quote": "hydra.domain",
    # errors
    "HydraError": "hydra.domain",
    "InvalidInputError": "hydra.domain",
    "ConfigError": "hydra.domain",
    "BrokerError": "hydra.domain",
    "BrokerNotConnectedError": "hydra.domain",
    "PermissionDeniedError": "hydra.domain",
    "LiveTradingNotAllowedError": "hydra.domain",
    "CapabilityAlreadyClaimedError": "hydra.domain",
    "NotCopyableError": "hydra.domain",
    "UnknownInstrumentError": "hydra.domain",
    "UnknownOrderError": "hydra.domain",
    "OrderRejectedError": "hydra.domain",
    "JournalError": "hydra.domain",
    "JournalAccountError": "hydra.domain",
    "JournalDamagedError": "hydra.domain",
    "JournalLockedError": "hydra.domain",
    # composition and operation
    "build_container": "hydra.container",
    "configure_production": "hydra.logs",
}

__all__ = [
    "AccountLimits",
    "AccountSnapshot",
    "AmbiguousContractError",
    "AuditRecord",
    "BreakerConfig",
    "BreakerInputs",
    "BreakerName",
    "BreakerState",
    "BreakerStatus",
    "BrokerError",
    "BrokerGateway",
    "BrokerNotConnectedError",
    "CapabilityAlreadyClaimedError",
    "CircuitBreakerManager",
    "ClientRole",
    "Clock",
    "ConfigError",
    "ConnectionState",
    "ContractChain",
    "ContractSpec",
    "DecisionContext",
    "DecisionRecord",
    "Fill",
    "GateConfig",
    "GateStatus",
    "HydraError",
    "Instrument",
    "InvalidInputError",
    "JournalAccountError",
    "JournalDamagedError",
    "JournalError",
    "JournalLockedError",
    "JsonlJournal",
    "KillReport",
    "LimitTable",
    "LiveTradingNotAllowedError",
    "ManualClock",
    "MarginImpact",
    "MarginModel",
    "NotCopyableError",
    "OrderDecision",
    "OrderEvent",
    "OrderHandle",
    "OrderLeg",
    "OrderLimits",
    "OrderRejectedError",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PermissionDeniedError",
    "Position",
    "PriceRefusedError",
    "Quote",
    "Reason",
    "Right",
    "RiskGate",
    "SecurityType",
    "Session",
    "SessionSchedule",
    "Side",
    "SimulatedBroker",
    "TimeInForce",
    "TradingHours",
    "TradingState",
    "UnknownInstrumentError",
    "UnknownOrderError",
    "__version__",
    "build_container",
    "configure_production",
    "parse_record",
    "read_journal",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hydra' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from hydra.adapters.ib import BrokerGateway
    from hydra.adapters.journal import JsonlJournal, read_journal
    from hydra.adapters.sim import SimulatedBroker
    from hydra.application import (
        AuditRecord,
        DecisionContext,
        DecisionRecord,
        GateConfig,
        GateStatus,
        KillReport,
        OrderDecision,
        OrderHandle,
        PriceRefusedError,
        RiskGate,
        parse_record,
    )
    from hydra.container import build_container
    from hydra.domain import (
        AccountLimits,
        AccountSnapshot,
        AmbiguousContractError,
        BreakerConfig,
        BreakerInputs,
        BreakerName,
        BreakerState,
        BreakerStatus,
        BrokerError,
        BrokerNotConnectedError,
        CapabilityAlreadyClaimedError,
        CircuitBreakerManager,
        ClientRole,
        Clock,
        ConfigError,
        ConnectionState,
        ContractChain,
        ContractSpec,
        Fill,
        HydraError,
        Instrument,
        InvalidInputError,
        JournalAccountError,
        JournalDamagedError,
        JournalError,
        JournalLockedError,
        LimitTable,
        LiveTradingNotAllowedError,
        ManualClock,
        MarginImpact,
        MarginModel,
        NotCopyableError,
        OrderEvent,
        OrderLeg,
        OrderLimits,
        OrderRejectedError,
        OrderRequest,
        OrderStatus,
        OrderType,
        PermissionDeniedError,
        Position,
        Quote,
        Reason,
        Right,
        SecurityType,
        Session,
        SessionSchedule,
        Side,
        TimeInForce,
        TradingHours,
        TradingState,
        UnknownInstrumentError,
        UnknownOrderError,
    )
    from hydra.logs import configure_production
