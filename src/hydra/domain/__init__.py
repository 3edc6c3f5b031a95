"""The domain: pure trading rules and values (no I/O, no asyncio, no vendor library)."""

from __future__ import annotations

from hydra.domain._unique import Unique
from hydra.domain.breakers import (
    Breach,
    BreakerConfig,
    BreakerControl,
    BreakerInputs,
    BreakerName,
    BreakerState,
    BreakerStatus,
    BreakerVerdict,
    CircuitBreakerManager,
    LatchedTrip,
    TradeCheck,
    judge,
)
from hydra.domain.clock import Clock, ManualClock, SessionSchedule, system_clock
from hydra.domain.connection import ClientRole, ConnectionState
from hydra.domain.decisions import Reason
from hydra.domain.errors import (
    BrokerError,
    BrokerNotConnectedError,
    CapabilityAlreadyClaimedError,
    ConfigError,
    HydraError,
    InvalidInputError,
    JournalAccountError,
    JournalDamagedError,
    JournalError,
    LiveTradingNotAllowedError,
    NotCopyableError,
    OrderRejectedError,
    PermissionDeniedError,
    UnknownInstrumentError,
    UnknownOrderError,
)
from hydra.domain.instruments import ContractSpec, Instrument, SecurityType
from hydra.domain.limits import OrderLimitChecker, OrderLimits, Quote, RestingOrder
from hydra.domain.orders import (
    Fill,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from hydra.domain.portfolio import AccountSnapshot, Position
from hydra.domain.trading_state import TradingState, shrinks_position

__all__ = [
    "AccountSnapshot",
    "Breach",
    "BreakerConfig",
    "BreakerControl",
    "BreakerInputs",
    "BreakerName",
    "BreakerState",
    "BreakerStatus",
    "BreakerVerdict",
    "BrokerError",
    "BrokerNotConnectedError",
    "CapabilityAlreadyClaimedError",
    "CircuitBreakerManager",
    "ClientRole",
    "Clock",
    "ConfigError",
    "ConnectionState",
    "ContractSpec",
    "Fill",
    "HydraError",
    "Instrument",
    "InvalidInputError",
    "JournalAccountError",
    "JournalDamagedError",
    "JournalError",
    "LatchedTrip",
    "LiveTradingNotAllowedError",
    "ManualClock",
    "NotCopyableError",
    "OrderEvent",
    "OrderLimitChecker",
    "OrderLimits",
    "OrderRejectedError",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PermissionDeniedError",
    "Position",
    "Quote",
    "Reason",
    "RestingOrder",
    "SecurityType",
    "SessionSchedule",
    "Side",
    "TimeInForce",
    "TradeCheck",
    "TradingState",
    "Unique",
    "UnknownInstrumentError",
    "UnknownOrderError",
    "judge",
    "shrinks_position",
    "system_clock",
]
