"""The domain: pure trading rules and values (no I/O, no asyncio, no vendor library)."""

from __future__ import annotations

from hydra.domain.breakers import (
    Breach,
    BreakerConfig,
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
    LiveTradingNotAllowedError,
    OrderRejectedError,
    PermissionDeniedError,
    UnknownInstrumentError,
    UnknownOrderError,
)
from hydra.domain.instruments import Instrument, SecurityType
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

__all__ = [
    "AccountSnapshot",
    "Breach",
    "BreakerConfig",
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
    "Fill",
    "HydraError",
    "Instrument",
    "InvalidInputError",
    "LatchedTrip",
    "LiveTradingNotAllowedError",
    "ManualClock",
    "OrderEvent",
    "OrderRejectedError",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PermissionDeniedError",
    "Position",
    "Reason",
    "SecurityType",
    "SessionSchedule",
    "Side",
    "TimeInForce",
    "TradeCheck",
    "UnknownInstrumentError",
    "UnknownOrderError",
    "judge",
    "system_clock",
]
