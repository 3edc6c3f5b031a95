"""What the adapter contract suites share: the harness each adapter provides, and waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
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

    async def set_exchange_rate(self, currency: str, rate: float | None) -> None:
        """Make one unit of ``currency`` worth ``rate`` of the base currency (None: no rate).

        Returns once the adapter's ``exchange_rate`` says so. A rate withdrawn (None) is
        one the broker no longer reports: IB never unsends a value, so the IB harness
        restarts the adapter's connection, and the next session has no rate for it.
        """
        ...

    async def set_shortable(self, symbol: str, shares: float | None) -> None:
        """Make the broker report ``shares`` shortable for a stock (None: not reported).

        Returns once the adapter's ``shortable_shares`` says so for a qualified stock
        (over IB, None restarts the connection, as for ``set_exchange_rate``).
        """
        ...

    async def set_hours(self, symbol: str, hours: TradingHours) -> None:
        """Make the broker list ``hours`` for an instrument (its sessions and calendar).

        Returns once the adapter's ``contract_spec`` carries them, if it has qualified the
        instrument (otherwise its next qualification does).
        """
        ...

    def margin_previews(self, mode: str) -> None:
        """How the broker answers margin previews from now on.

        ``"answer"`` (figures), ``"error"`` (refused: ``margin_impact`` raises
        ``BrokerError``) or ``"ignore"`` (no answer: the caller's timeout decides).
        """
        ...


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds; brokers report some effects asynchronously."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
