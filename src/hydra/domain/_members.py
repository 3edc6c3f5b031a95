"""Enum members as module names, for the code every order runs through.

On CPython 3.11, reading a member through its class (``Side.BUY``) costs about 900
machine instructions: ``enum.EnumType`` defines ``__getattr__``, which sends every
attribute read on an enum class through a Python-level hook. A module global costs about
50 (``python -m benchmarks.instructions``; CPython 3.12 dropped the hook). The decision
path and the simulator's order path compare against these names; elsewhere the code
reads members through their class, as usual. Modules this one imports keep their own
aliases instead (``domain/breakers.py``, ``domain/orders.py``, ``domain/valuation.py``).

perf: gate_pass, gate_checks_only, sim_submit_fill (BENCHMARKS.md, "Kept speed tricks").
"""

from __future__ import annotations

from typing import Final

from hydra.domain.breakers import BreakerName
from hydra.domain.connection import ConnectionState
from hydra.domain.instruments import SecurityType
from hydra.domain.orders import OrderStatus, OrderType, Side, TimeInForce
from hydra.domain.trading_state import TradingState

__all__ = [
    "BUY",
    "CANCELLED",
    "CONNECTED",
    "DAY",
    "FILLED",
    "LIMIT",
    "MARKET",
    "PENDING_SUBMIT",
    "POSITION_SIZE",
    "REJECTED",
    "SELL",
    "STATE_HALTED",
    "STATE_REDUCING",
    "STOCK",
    "STOP_LIMIT",
    "SUBMITTED",
    "TRAILING_STOP_LIMIT",
]

BUY: Final = Side.BUY
SELL: Final = Side.SELL
MARKET: Final = OrderType.MARKET
LIMIT: Final = OrderType.LIMIT
STOP_LIMIT: Final = OrderType.STOP_LIMIT
TRAILING_STOP_LIMIT: Final = OrderType.TRAILING_STOP_LIMIT
DAY: Final = TimeInForce.DAY
PENDING_SUBMIT: Final = OrderStatus.PENDING_SUBMIT
SUBMITTED: Final = OrderStatus.SUBMITTED
FILLED: Final = OrderStatus.FILLED
CANCELLED: Final = OrderStatus.CANCELLED
REJECTED: Final = OrderStatus.REJECTED
STATE_HALTED: Final = TradingState.HALTED
STATE_REDUCING: Final = TradingState.REDUCING
CONNECTED: Final = ConnectionState.CONNECTED
POSITION_SIZE: Final = BreakerName.POSITION_SIZE
STOCK: Final = SecurityType.STOCK
