"""A HALT request left by `hydra kill` for a trader that did not answer: journaled, then obeyed."""

from __future__ import annotations

from pathlib import Path

from hydra.adapters.journal import HaltInbox, halt_request_path, write_halt_request
from hydra.application.records import DecisionRecord, GateRestored, StateChanged
from hydra.domain import BreakerInputs, OrderRequest, Side, TradingState
from hydra.domain.halt_request import HaltRequest
from tests.unit.gate.desk import AAPL, NY_MORNING, OK, trading_desk

REQUEST = HaltRequest(
    id="k1", who="bob", why="kill switch (trader unreachable)", time=NY_MORNING, account="SIM0001"
)


async def test_the_next_decision_journals_the_halt_first_then_blocks(tmp_path: Path) -> None:
    """A pending request becomes a StateChanged (path broker) before the decision, which blocks."""
    inbox = HaltInbox(tmp_path / "j.jsonl", "SIM0001", interval=0.0)
    broker, gate, _clock, journal = await trading_desk(halt_requests=inbox)
    write_halt_request(tmp_path / "j.jsonl", REQUEST)
    decision = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert decision.triggered == ("halted",)
    assert broker.received == []
    kinds = [type(r) for r in journal.typed]
    assert kinds == [StateChanged, DecisionRecord]
    (halt,) = journal.of_type(StateChanged)
    assert (halt.state, halt.previous, halt.who, halt.path) == (
        TradingState.HALTED,
        TradingState.ACTIVE,
        "bob",
        "broker",
    )
    assert not halt_request_path(tmp_path / "j.jsonl").exists()


async def test_a_journal_that_refuses_the_halt_keeps_the_request(tmp_path: Path) -> None:
    """The request is taken only once journaled; the gate halts anyway (fail closed)."""
    inbox = HaltInbox(tmp_path / "j.jsonl", "SIM0001", interval=0.0)
    broker, gate, _clock, journal = await trading_desk(halt_requests=inbox)
    write_halt_request(tmp_path / "j.jsonl", REQUEST)
    journal.failure = OSError("disk full")
    gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK))
    assert gate.trading_state is TradingState.HALTED
    assert broker.received == []
    assert halt_request_path(tmp_path / "j.jsonl").exists()


async def test_restore_journals_a_request_left_while_the_trader_was_down(tmp_path: Path) -> None:
    """A trader restarting on a journal with a request waiting comes back HALTED, journaled."""
    inbox = HaltInbox(tmp_path / "j.jsonl", "SIM0001", interval=60.0)
    _broker, gate, _clock, journal = await trading_desk(halt_requests=inbox)
    write_halt_request(tmp_path / "j.jsonl", REQUEST)
    opened = StateChanged(time=NY_MORNING, state=TradingState.ACTIVE, who="desk", why="open")
    gate.restore([opened.as_json()])
    assert gate.trading_state is TradingState.HALTED
    assert [type(r) for r in journal.typed] == [GateRestored, StateChanged]
    assert journal.of_type(StateChanged)[0].who == "bob"
    assert not halt_request_path(tmp_path / "j.jsonl").exists()
