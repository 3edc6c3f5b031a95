"""Ports: what the application needs from a broker, as typing.Protocols.

``BrokerPort`` is the read and lifecycle port anyone may hold. Placing an order is NOT on
it: that is the submit capability (``hydra.application.capability``), which only the
RiskGate may claim.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from hydra.application.orders import OrderHandle
from hydra.domain import (
    AccountSnapshot,
    ConnectionState,
    ContractChain,
    ContractSpec,
    Instrument,
    MarginImpact,
    OrderEvent,
    OrderRequest,
    Position,
    Quote,
)
from hydra.domain.halt_request import HaltRequest

__all__ = [
    "AuditJournal",
    "BrokerObserver",
    "BrokerPort",
    "HaltRequests",
    "OrderListener",
    "Unsubscribe",
]

OrderListener = Callable[[OrderEvent], None]
"""A callback for order-status and fill events."""

Unsubscribe = Callable[[], None]
"""Call it to stop receiving events."""


class BrokerObserver(Protocol):
    """Follows what the broker reports: every order (own or foreign) and every position."""

    def on_order(self, handle: OrderHandle) -> None:
        """Called after each change of an order the broker reports, with its handle."""
        ...

    def on_position(self, position: Position) -> None:
        """Called with each position message from the broker (it may lag the fills)."""
        ...


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

    @property
    def reconnects(self) -> int:
        """Reconnect attempts since the adapter was built (0 for one that never reconnects)."""
        ...

    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Return the instrument with the broker's contract id; raise if unknown."""
        ...

    def contract_spec(self, instrument: Instrument) -> ContractSpec | None:
        """The broker's economics for a contract it has qualified (None: not qualified)."""
        ...

    async def contract_chain(self, contract: Instrument) -> ContractChain:
        """A future's listed expiries, or an option's expiries and strikes."""
        ...

    async def get_positions(self) -> list[Position]:
        """Current non-zero positions (the seed's async read)."""
        ...

    async def get_account_summary(self) -> AccountSnapshot:
        """Current equity, cash and P&L (the seed's async read)."""
        ...

    def positions(self) -> list[Position]:
        """Non-zero positions as the broker last reported them (a synchronous snapshot)."""
        ...

    def account(self) -> AccountSnapshot:
        """Account values as last reported (a synchronous snapshot)."""
        ...

    def open_orders(self) -> list[OrderHandle]:
        """Handles of orders that are not done yet, foreign ones (``handle.foreign``) too."""
        ...

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The latest price the broker knows for ``instrument`` and when it was seen."""
        ...

    def exchange_rate(self, currency: str) -> Quote | None:
        """What one unit of ``currency`` is worth in the account's base currency.

        With the time the broker said so; the base currency itself is 1; None when the
        broker gives no rate for it.
        """
        ...

    def shortable_shares(self, instrument: Instrument) -> float | None:
        """Shares the broker can lend to sell ``instrument`` short now (None: not known)."""
        ...

    def margin_impact(
        self, instrument: Instrument, order: OrderRequest
    ) -> MarginImpact | Awaitable[MarginImpact]:
        """The account's initial margin and equity with loan once ``order`` filled.

        As the broker computes them (IB: a whatIf order, never executed; awaitable).

        Raises:
            BrokerError: the broker cannot say (not connected, refused, timed out).
        """
        ...

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Ask the broker to cancel an order; raise if it is unknown or done."""
        ...

    async def cancel_all(self) -> None:
        """Cancel every working order of the account, whoever placed it (global cancel)."""
        ...

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event; returns a function that unsubscribes."""
        ...

    def observe(self, observer: BrokerObserver) -> Unsubscribe:
        """Follow every order handle change and position message; returns the unsubscribe."""
        ...


class AuditJournal(Protocol):
    """An append-only audit trail: one JSON-ready record per call."""

    def append(self, record: Mapping[str, Any]) -> None:
        """Append one record durably (as the journal's fsync policy defines)."""
        ...


class HaltRequests(Protocol):
    """HALT requests left for the gate by an operator who could not reach it (``hydra kill``)."""

    def pending(self) -> HaltRequest | None:
        """The request waiting to be journaled, if any (cheap: called before every decision)."""
        ...

    def taken(self, request: HaltRequest) -> None:
        """The gate journaled ``request`` and halted: remove it (a newer one stays)."""
        ...
