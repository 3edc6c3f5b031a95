"""What the adapter contract suites share: the harness, waiting, the order tests' start."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Protocol

from hydra.application import OrderHandle, RiskGate
from hydra.domain import Instrument, OrderRequest, OrderStatus, Side, TradingHours

__all__ = [
    "OK",
    "BrokerHarness",
    "aapl_at_200",
    "broker_caught_up",
    "buy_bracket",
    "eventually",
    "filled",
    "long_aapl",
]


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


async def filled(handle: object) -> None:
    """Wait until the order's handle reports it FILLED."""
    await eventually(lambda: getattr(handle, "status", None) is OrderStatus.FILLED)


async def aapl_at_200(harness: BrokerHarness, gate: RiskGate) -> Instrument:
    """AAPL qualified, once the gate sees its reference price of 200."""
    harness.set_price("AAPL", 200.0)
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    await eventually(lambda: gate.broker.reference_price(aapl) is not None)
    return aapl


async def long_aapl(harness: BrokerHarness, gate: RiskGate, quantity: float) -> Instrument:
    """Hold ``quantity`` AAPL bought at 200 (the reference price)."""
    aapl = await aapl_at_200(harness, gate)
    bought = await gate.submit(aapl, OrderRequest.market(Side.BUY, quantity))
    assert bought is not None
    await filled(bought)
    await eventually(lambda: bool(gate.broker.positions()))
    return aapl


async def broker_caught_up(harness: BrokerHarness, instrument: Instrument) -> None:
    """Return once the broker has acted on every order message sent before.

    An amendment is a message IB acts on when it reads it, and ``gate.modify`` returns
    once it is sent; a margin preview is one more message on the same channel (a whatIf
    order), answered only after the ones before it. The simulator acts at once.
    """
    preview = harness.broker.margin_impact  # type: ignore[attr-defined]
    answer = preview(instrument, OrderRequest.market(Side.BUY, 1))
    if inspect.isawaitable(answer):
        await asyncio.wait_for(answer, timeout=5.0)


async def buy_bracket(
    gate: RiskGate, instrument: Instrument, quantity: float, entry: float, take: float, stop: float
) -> tuple[OrderHandle, OrderHandle, OrderHandle]:
    """A buy bracket sent through the gate: entry LMT, take-profit LMT, stop-loss STP."""
    sent = await gate.submit_bracket(
        instrument,
        OrderRequest.limit(Side.BUY, quantity, entry),
        take_profit=OrderRequest.limit(Side.SELL, quantity, take),
        stop_loss=OrderRequest.stop(Side.SELL, quantity, stop),
    )
    assert sent is not None
    assert sent.take_profit is not None
    assert sent.stop_loss is not None
    return sent.entry, sent.take_profit, sent.stop_loss
