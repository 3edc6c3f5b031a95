"""What the adapter contract suites share: the harness each adapter provides, and waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from hydra.domain import TradingHours

__all__ = ["OK", "BrokerHarness", "eventually"]


OK: tuple[float, ...] = ()
"""No caller inputs: the gate derives them from the broker."""


class BrokerHarness(Protocol):
    """What the contract needs from an adapter under test."""

    @property
    def broker(self) -> object:
        """The connected adapter (BrokerPort + claim_submit_capability)."""
        ...

    def set_price(self, symbol: str, price: float) -> None:
        """Set the reference price market orders fill at."""
        ...

    def reject_next(self, reason: str) -> None:
        """Make the broker reject the next order with ``reason``."""
        ...

    def received(self) -> list[int]:
        """Order ids of every order that reached the broker."""
        ...

    async def drop(self) -> None:
        """Break the connection as a network failure would."""
        ...

    async def restore(self) -> None:
        """Bring the connection back (the adapter reconnects)."""
        ...

    def inject_foreign_stop(self, symbol: str, side: str, quantity: float, stop: float) -> None:
        """An order placed at the broker by someone else (TWS): a stop, resting."""
        ...

    def close_market(self) -> None:
        """Run the closing auction (MOC and LOC orders)."""
        ...

    def set_exchange_rate(self, currency: str, rate: float | None) -> None:
        """One unit of ``currency`` in the base currency (None: no longer reported)."""
        ...

    def set_shortable(self, symbol: str, shares: float | None) -> None:
        """Shares the broker can lend for a short sale (None: not reported)."""
        ...

    def set_hours(self, symbol: str, hours: TradingHours) -> None:
        """The trading hours the broker gives for a contract (before it is qualified)."""
        ...

    def margin_previews(self, mode: str) -> None:
        """How margin previews are answered: ``answer``, ``error`` or ``ignore``."""
        ...


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds; brokers report some effects asynchronously."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
