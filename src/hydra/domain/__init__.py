"""The domain: pure trading rules and values (no I/O, no asyncio, no vendor library).

``__all__`` holds what a user of HYDRA touches: the values they build, the rules they
configure, the errors they catch, what they read on statuses and decisions, and the types
in the ``BrokerPort`` signatures (for writing an adapter). The machinery behind them
(``judge``, ``OrderLimitChecker``, ``BreakerControl``, ...) is not re-exported: HYDRA's own
code imports it from its defining module, e.g. ``hydra.domain.limits``.
"""

from __future__ import annotations

from hydra.domain.account_limits import AccountLimits
from hydra.domain.breakers import (
    BreakerConfig,
    BreakerInputs,
    BreakerName,
    BreakerState,
    BreakerStatus,
    CircuitBreakerManager,
)
from hydra.domain.clock import Clock, ManualClock, SessionSchedule
from hydra.domain.connection import ClientRole, ConnectionState
from hydra.domain.decisions import Reason
from hydra.domain.errors import (
    AmbiguousContractError,
    BrokerError,
    BrokerNotConnectedError,
    CapabilityAlreadyClaimedError,
    ConfigError,
    HydraError,
    InvalidInputError,
    JournalAccountError,
    JournalDamagedError,
    JournalError,
    JournalLockedError,
    LiveTradingNotAllowedError,
    NotCopyableError,
    OrderRejectedError,
    PermissionDeniedError,
    UnknownInstrumentError,
    UnknownOrderError,
)
from hydra.domain.hours import Session, TradingHours
from hydra.domain.instruments import ContractChain, ContractSpec, Instrument, Right, SecurityType
from hydra.domain.limit_table import LimitTable
from hydra.domain.limits import OrderLimits, Quote
from hydra.domain.orders import (
    Fill,
    OrderEvent,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from hydra.domain.portfolio import AccountSnapshot, Position
from hydra.domain.trading_state import TradingState
from hydra.domain.valuation import MarginImpact, MarginModel

__all__ = [
    "AccountLimits",
    "AccountSnapshot",
    "AmbiguousContractError",
    "BreakerConfig",
    "BreakerInputs",
    "BreakerName",
    "BreakerState",
    "BreakerStatus",
    "BrokerError",
    "BrokerNotConnectedError",
    "CapabilityAlreadyClaimedError",
    "CircuitBreakerManager",
    "ClientRole",
    "Clock",
    "ConfigError",
    "ConnectionState",
    "ContractChain",
    "ContractSpec",
    "Fill",
    "HydraError",
    "Instrument",
    "InvalidInputError",
    "JournalAccountError",
    "JournalDamagedError",
    "JournalError",
    "JournalLockedError",
    "LimitTable",
    "LiveTradingNotAllowedError",
    "ManualClock",
    "MarginImpact",
    "MarginModel",
    "NotCopyableError",
    "OrderEvent",
    "OrderLeg",
    "OrderLimits",
    "OrderRejectedError",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PermissionDeniedError",
    "Position",
    "Quote",
    "Reason",
    "Right",
    "SecurityType",
    "Session",
    "SessionSchedule",
    "Side",
    "TimeInForce",
    "TradingHours",
    "TradingState",
    "UnknownInstrumentError",
    "UnknownOrderError",
]
