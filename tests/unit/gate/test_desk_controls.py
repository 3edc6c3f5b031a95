"""Desk controls: journaled before they take effect, who/why validated, restore on a fresh gate."""

from __future__ import annotations

import pytest

from hydra.application.records import BreakerReset, GateRestored, StateChanged
from hydra.domain import (
    BreakerInputs,
    BreakerName,
    InvalidInputError,
    JournalError,
    OrderRequest,
    PermissionDeniedError,
    Side,
    TradingState,
)

from .desk import AAPL, OK, trading_desk

DRAWDOWN = BreakerInputs(0.0, 100_000.0, 80_000.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("who", "problem"),
    [
        ("\ud800", "UTF-8"),  # valid JSON, unwritable by a journal
        ("ops\x1b]0;pwned\x07", "control characters"),  # rewrites a terminal's title
        ("a\nforged row", "control characters"),
        ("x" * 501, "at most 500"),
        ("   ", "empty"),
    ],
)
async def test_a_reset_with_an_unwritable_who_changes_nothing(who: str, problem: str) -> None:
    """A bad who is refused before the reset: the breaker stays latched, no record is written."""
    _, gate, _, journal = await trading_desk()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=DRAWDOWN)
    with pytest.raises(InvalidInputError, match=problem):
        gate.reset_breaker("drawdown", who=who, why="reviewed")
    assert [t.breaker for t in gate.breakers.latched] == [BreakerName.DRAWDOWN]
    assert journal.of_type(BreakerReset) == []


async def test_a_resume_the_journal_refuses_leaves_the_gate_halted() -> None:
    """HALTED -> ACTIVE whose record cannot be written raises and stays HALTED."""
    _, gate, _, journal = await trading_desk()
    gate.set_trading_state(TradingState.HALTED, who="ops", why="close")
    journal.failure = OSError(28, "No space left on device")
    with pytest.raises(JournalError, match="nothing changed"):
        gate.set_trading_state(TradingState.ACTIVE, who="ops", why="reopen")
    assert gate.trading_state is TradingState.HALTED


async def test_a_reset_the_journal_refuses_keeps_the_breaker_latched() -> None:
    """A reset whose record cannot be written raises; the trip stays, and the gate halts."""
    _, gate, _, journal = await trading_desk()
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=DRAWDOWN)
    journal.failure = OSError(28, "No space left on device")
    with pytest.raises(JournalError):
        gate.reset_breaker("drawdown", who="cro", why="reviewed")
    assert [t.breaker for t in gate.breakers.latched] == [BreakerName.DRAWDOWN]
    assert gate.trading_state is TradingState.HALTED  # no audit trail, no trading


async def test_a_state_change_is_journaled_before_it_takes_effect() -> None:
    """A listener sees the StateChanged record while the gate is still in its old state."""
    _, gate, _, _ = await trading_desk()
    seen: list[tuple[TradingState, TradingState]] = []
    gate.subscribe(
        lambda r: (
            seen.append((r.state, gate.trading_state)) if isinstance(r, StateChanged) else None
        )
    )
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="news")
    assert seen == [(TradingState.REDUCING, TradingState.ACTIVE)]


async def test_restore_after_a_kill_is_refused_and_the_halt_stands() -> None:
    """restore([]) after the kill switch cannot lift the HALT: the gate is not fresh."""
    _, gate, _, journal = await trading_desk()
    await gate.kill_switch(who="ops", why="runaway strategy")
    with pytest.raises(PermissionDeniedError, match="fresh gate"):
        gate.restore([])
    assert gate.trading_state is TradingState.HALTED
    assert journal.of_type(GateRestored) == []


@pytest.mark.parametrize("first", ["state", "reset", "decision"])
async def test_restore_is_refused_once_anything_happened(first: str) -> None:
    """A state change, a reset or a decision each make the gate no longer fresh."""
    _, gate, _, _ = await trading_desk()
    if first == "state":
        gate.set_trading_state(TradingState.REDUCING, who="ops", why="news")
    elif first == "reset":
        gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=DRAWDOWN)
    else:
        gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK))
    with pytest.raises(PermissionDeniedError):
        gate.restore([])


async def test_restore_on_a_fresh_gate_with_damage_comes_back_halted() -> None:
    """A fresh gate restored with a damage report halts, naming the damage as why."""
    _, gate, _, journal = await trading_desk()
    gate.restore([], damage="journal lost its last records")
    assert gate.trading_state is TradingState.HALTED
    [halt] = journal.of_type(StateChanged)
    assert (halt.who, halt.why) == ("risk gate", "journal lost its last records")
