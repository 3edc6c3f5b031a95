"""A Hypothesis state machine: RiskGate + SimulatedBroker against the rules they promise.

Rules drive a gate (derived inputs, default limits) over the simulator with a manual
clock: submit orders, move prices, kill, reset, change trading state, cross session
boundaries, drop and restore the connection. Invariants after every step:
no order reaches the broker while HALTED, disconnected or a latched breaker is tripped;
REDUCING never grows a position; the throttle is never exceeded; and there is exactly
one audit record per submit attempt. Async broker calls run through a small sync shim
with its own event loop (as zarr's stateful tests do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.application.records import DecisionRecord
from hydra.domain import (
    BreakerName,
    CircuitBreakerManager,
    ConnectionState,
    Instrument,
    ManualClock,
    OrderLimits,
    OrderRequest,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

T = TypeVar("T")
SYMBOLS = ("AAPL", "MSFT")
LIMITS = OrderLimits(max_orders=3, rate_window=timedelta(seconds=10))


class GateMachine(RuleBasedStateMachine):
    """Random sessions of the gate and the simulator, checked after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
        self.broker = SimulatedBroker(prices={"AAPL": 200.0, "MSFT": 400.0}, clock=self.clock)
        self.journal = MemoryJournal()
        self.gate = RiskGate(
            self.broker,
            CircuitBreakerManager(clock=self.clock),
            limits=LIMITS,
            journal=self.journal,
            clock=self.clock,
            config=GateConfig(derive_inputs=True),
        )
        self.attempts = 0
        self.sent_times: list[datetime] = []

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """The sync shim: run one coroutine on the machine's own loop."""
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        """Close the machine's loop."""
        self.loop.close()

    @initialize()
    def connect(self) -> None:
        """Start connected."""
        self.run(self.broker.connect())

    # ------------------------------------------------------------------ rules
    @rule(
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(list(Side)),
        quantity=st.integers(min_value=1, max_value=120),
        offset=st.one_of(st.none(), st.sampled_from([-0.06, -0.02, 0.0, 0.02, 0.06])),
    )
    def submit(self, symbol: str, side: Side, quantity: int, offset: float | None) -> None:
        """Submit a market order, or a limit order near (or far from) the market."""
        price = self.broker.price(symbol) or 1.0
        order = (
            OrderRequest.market(side, quantity)
            if offset is None
            else OrderRequest.limit(side, quantity, round(price * (1 + offset), 2))
        )
        before_received = len(self.broker.received)
        halted = self.gate.trading_state is TradingState.HALTED
        disconnected = self.broker.connection_state is not ConnectionState.CONNECTED
        latched_before = {t.breaker for t in self.gate.breakers.latched}
        reducing = self.gate.trading_state is TradingState.REDUCING
        exposure_before = self._exposure(symbol, side)
        self.attempts += 1
        decision = self.gate.submit_with_decision(Instrument(symbol), order)
        reached = len(self.broker.received) > before_received
        assert reached == decision.allowed
        if (
            halted
            or disconnected
            or latched_before
            & {
                BreakerName.DAILY_LOSS,
                BreakerName.DRAWDOWN,
                BreakerName.TRADE_LOSS,
            }
        ):
            assert not reached, (halted, disconnected, latched_before)
        if reached:
            self.sent_times.append(self.clock())
            if reducing:
                assert abs(self._exposure(symbol, side)) < abs(exposure_before)

    @rule(symbol=st.sampled_from(SYMBOLS), move=st.floats(min_value=-0.05, max_value=0.05))
    def move_price(self, symbol: str, move: float) -> None:
        """Move a price (fills resting limits it reaches)."""
        price = self.broker.price(symbol) or 1.0
        self.broker.set_price(symbol, round(max(1.0, price * (1 + move)), 2))

    @rule(seconds=st.sampled_from([1, 5, 30, 3600, 15 * 3600]))
    def advance_clock(self, seconds: int) -> None:
        """Let time pass (15 h crosses the New York session boundary); refresh quotes."""
        self.clock.advance(timedelta(seconds=seconds))
        for symbol in SYMBOLS:
            self.broker.set_price(symbol, self.broker.price(symbol) or 1.0)

    @rule(flatten=st.booleans())
    def kill(self, flatten: bool) -> None:
        """Pull the kill switch."""
        self.run(self.gate.kill_switch(who="machine", why="test", flatten=flatten))

    @rule(state=st.sampled_from([TradingState.ACTIVE, TradingState.REDUCING]))
    def change_state(self, state: TradingState) -> None:
        """Resume or go reduce-only."""
        self.gate.set_trading_state(state, who="machine", why="test")

    @rule(name=st.sampled_from(list(BreakerName)))
    def reset(self, name: BreakerName) -> None:
        """Deliberately re-arm a breaker."""
        self.gate.reset_breaker(name, who="machine", why="test")

    @rule()
    def disconnect(self) -> None:
        """The connection drops."""
        self.broker.drop_connection()

    @rule()
    def reconnect(self) -> None:
        """The connection comes back."""
        self.run(self.broker.connect())

    # ------------------------------------------------------------------ invariants
    @invariant()
    def throttle_never_exceeded(self) -> None:
        """No rolling window ever saw more orders sent than the throttle allows."""
        times = self.sent_times
        window = LIMITS.rate_window
        for index, start in enumerate(times):
            in_window = [t for t in times[index:] if t - start < window]
            assert len(in_window) <= LIMITS.max_orders

    @invariant()
    def one_audit_record_per_attempt(self) -> None:
        """Exactly one decision record per submit attempt, numbered in order."""
        decisions = [d for d in self.journal.of_type(DecisionRecord) if not d.exemption]
        assert len(decisions) == self.attempts

    def _exposure(self, symbol: str, side: Side) -> float:
        position = sum(p.quantity for p in self.broker.positions() if p.symbol == symbol)
        pending = sum(
            h.remaining * h.request.side.sign
            for h in self.broker.open_orders()
            if h.instrument.symbol == symbol and h.request.side is side
        )
        return position + pending


GateMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestGateMachine = GateMachine.TestCase
