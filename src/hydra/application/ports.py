"""Ports: what the application needs from a broker, as typing.Protocols.

``BrokerPort`` is the read and lifecycle port anyone may hold. Placing an order is NOT on
it: that is the submit capability (``hydra.application.capability``), which only the
RiskGate may claim.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hydra.application.orders import OrderHandle
from hydra.domain import (
    AccountSnapshot,
    ConnectionState,
    Instrument,
    OrderEvent,
    Position,
    Quote,
)

__all__ = ["AuditJournal", "BrokerPort", "OrderListener", "Unsubscribe"]

OrderListener = Callable[[OrderEvent], None]
"""A callback for order-status and fill events."""

Unsubscribe = Callable[[], None]
"""Call it to stop receiving events."""


class BrokerPort(Protocol):
    """A broker's connection lifecycle, reads, cancel and events (no way to submit)."""

    async def connect(self) -> None:
        """Open the connection and synchronise state."""
        ...

    async def disconnect(self) -> None:
        """Close the connection deliberately (no auto-reconnect)."""
        ...

    def is_connected(self) -> bool:
        """True when the connection is up and synchronised."""
        ...

    @property
    def connection_state(self) -> ConnectionState:
        """The connection's state; only CONNECTED admits orders."""
        ...

    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Return the instrument with the broker's contract id; raise if unknown."""
        ...

    def get_positions(self) -> list[Position]:
        """Current non-zero positions."""
        ...

    def get_account_summary(self) -> AccountSnapshot:
        """Current equity, cash and P&L."""
        ...

    def open_orders(self) -> list[OrderHandle]:
        """Handles of orders that are not done yet."""
        ...

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The latest price the broker knows for ``instrument`` and when it was seen."""
        ...

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Ask the broker to cancel an order; raise if it is unknown or done."""
        ...

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event; returns a function that unsubscribes."""
        ...


class AuditJournal(Protocol):
    """An append-only audit trail: one JSON-ready record per call."""

    def append(self, record: Mapping[str, Any]) -> None:
        """Append one record durably (as the journal's fsync policy defines)."""
        ...
