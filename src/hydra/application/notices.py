"""What the gate notices on its own and records: trips, sessions, foreign orders, the ledger.

The breakers latch a trip while judging an order; the session tracker sees a new session
start; the exposure ledger sees an order the gate did not send, or a broker position that
disagrees with it. ``Notices`` turns each into its typed record on the gate's audit trail.
"""

from __future__ import annotations

from datetime import datetime

from hydra.application.audit import AuditTrail
from hydra.application.orders import OrderHandle
from hydra.application.records import (
    BreakerTripped,
    ForeignOrder,
    LedgerMismatch,
    LedgerReconciled,
    PriceRefused,
    SessionStarted,
)
from hydra.domain import CircuitBreakerManager, Clock, Instrument, Position

__all__ = ["Notices"]


class Notices:
    """Records what the breakers, the session tracker and the ledger report to the gate."""

    __slots__ = ("_audit", "_breakers", "_clock")

    def __init__(self, audit: AuditTrail, breakers: CircuitBreakerManager, clock: Clock) -> None:
        self._audit = audit
        self._breakers = breakers
        self._clock = clock

    def trips(self) -> None:
        """Record the trips the breakers latched since the last call (none: nothing)."""
        for trip in self._breakers.take_new_trips():
            self._audit.record(
                BreakerTripped(
                    time=self._clock(),
                    breaker=trip.breaker,
                    since=trip.since,
                    value=trip.value,
                    reason=trip.reason,
                )
            )

    def session_started(self, start: datetime, equity: float) -> None:
        """A new trading session, and the equity it starts with."""
        self._audit.record(SessionStarted(time=self._clock(), start=start, equity=equity))

    def foreign_order(self, handle: OrderHandle) -> None:
        """An order the broker reports that this gate did not send."""
        self._audit.record(
            ForeignOrder(
                time=self._clock(),
                order_id=handle.order_id,
                symbol=handle.instrument.symbol,
                con_id=handle.instrument.con_id,
                side=handle.request.side,
                quantity=handle.request.quantity,
                why="an order this gate did not send (another client, TWS or a manual order); "
                "it counts as exposure and the kill switch cancels it",
            )
        )

    def ledger_mismatch(self, position: Position, ledger: float) -> None:
        """The broker's position differs from the ledger's."""
        self._audit.record(
            LedgerMismatch(
                time=self._clock(),
                symbol=position.symbol,
                con_id=position.instrument.con_id,
                broker=position.quantity,
                ledger=ledger,
                why="the broker's position differs from the ledger; the stricter view counts",
            )
        )

    def price_refused(self, instrument: Instrument, price: object, reason: str) -> None:
        """A fed reference price too far from the broker's own."""
        self._audit.record(
            PriceRefused(
                time=self._clock(),
                symbol=instrument.symbol,
                con_id=instrument.con_id,
                price=price if isinstance(price, float | int) else repr(price),
                reason=reason,
            )
        )

    def ledger_reconciled(self, position: Position) -> None:
        """The broker's position agrees with the ledger again."""
        self._audit.record(
            LedgerReconciled(
                time=self._clock(),
                symbol=position.symbol,
                con_id=position.instrument.con_id,
                position=position.quantity,
            )
        )
