"""``hydra trade``: a real trader process, wired by the container, operable from outside.

The host does what any HYDRA trader does: it takes the broker, the RiskGate (journal
replayed first) and the control server from the container, connects the broker (paper:
BrokerGateway as client id 1), serves the control API in its own loop, and trades until
SIGINT/SIGTERM. Its strategy is deliberately trivial, so the operating machinery is what
shows: keep a ladder of ``levels`` BUY limit orders resting ``offset``, 2 x ``offset`` ...
below the reference price of ``symbol``, re-placing a level whenever it is no longer
working (every ``interval`` seconds). After a kill it keeps trying, and the HALTED gate
blocks every attempt (each one journaled), so "the next submit is blocked" is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hydra.application import OrderHandle, RiskGate
from hydra.domain import Instrument, InvalidInputError, OrderRequest, Side

if TYPE_CHECKING:
    from hydra.adapters.control import ControlServer
    from hydra.adapters.ib import BrokerGateway
    from hydra.adapters.sim import SimulatedBroker
    from hydra.container import Container

__all__ = ["LadderConfig", "run_trader"]


@dataclass(frozen=True, slots=True)
class LadderConfig:
    """The trader's resting ladder: what, how many levels, how far below, how often."""

    symbol: str = "SPY"
    levels: int = 3
    quantity: float = 1.0
    offset: float = 0.01
    interval: float = 0.5

    def __post_init__(self) -> None:
        if not self.symbol.strip():
            raise InvalidInputError("--symbol", "must not be empty", self.symbol)
        if not 1 <= self.levels <= 20:  # the gate's default throttle
            raise InvalidInputError("--levels", "must be between 1 and 20", self.levels)
        if not 0 < self.offset * self.levels < 1:
            raise InvalidInputError(
                "--offset", "must be > 0 with offset x levels below 1", self.offset
            )
        if not 0 < self.interval < float("inf"):
            raise InvalidInputError("--interval", "must be a finite number > 0", self.interval)


async def run_trader(
    container: Container,
    ladder: LadderConfig,
    *,
    on_ready: Callable[[ControlServer, RiskGate], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Connect, build the gate, serve the control API and trade the ladder until stopped.

    Raises:
        ConfigError: the journal, the control port or the token file is unusable.
        BrokerError: the broker cannot be reached.
    """
    broker: SimulatedBroker | BrokerGateway = container.broker()
    await broker.connect()  # first: the journal is opened for the broker's account
    try:
        gate: RiskGate = container.risk_gate()
        server: ControlServer = container.control_server()
        instrument = await gate.broker.qualify_contract(Instrument(ladder.symbol))
        done = stop if stop is not None else asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        try:
            async with server:
                if on_ready is not None:
                    on_ready(server, gate)
                working: dict[int, OrderHandle] = {}
                while not done.is_set():
                    await _step(gate, instrument, ladder, working)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(done.wait(), ladder.interval)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            gate.close()
    finally:
        await broker.disconnect()


async def _step(
    gate: RiskGate, instrument: Instrument, ladder: LadderConfig, working: dict[int, OrderHandle]
) -> None:
    """Place the first ladder level that has no working order (one order per step)."""
    for level, handle in list(working.items()):
        if handle.status.is_done:
            del working[level]
    free = [level for level in range(ladder.levels) if level not in working]
    quote = gate.broker.reference_price(instrument)
    if not free or quote is None:
        return
    level = free[0]
    price = round(quote.price * (1 - ladder.offset * (level + 1)), 2)
    # place: IB's margin preview is awaited before the decision.
    decision = await gate.place(instrument, OrderRequest.limit(Side.BUY, ladder.quantity, price))
    if decision.handle is not None:
        working[level] = decision.handle
