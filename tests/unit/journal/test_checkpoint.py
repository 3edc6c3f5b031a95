"""Checkpoints: the gate's memory as one record, and a replay that folds from the last one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hydra.application import RiskGate
from hydra.application.records import (
    Checkpoint,
    DecisionRecord,
    LedgerPosition,
    StateChanged,
    decision_peak,
    journal_form,
    parse_record,
)
from hydra.application.replay import JournalFold, replay_journal
from hydra.domain import (
    BreakerInputs,
    BreakerName,
    CircuitBreakerManager,
    InvalidInputError,
    OrderRequest,
    Side,
    TradingState,
)
from hydra.domain.breakers import LatchedTrip
from tests.unit.gate.desk import NY_MORNING, STOCK, funded_sim, trading_desk

DRAWN_DOWN = BreakerInputs(0.0, 100_000.0, 85_000.0, 0.0, 0.0)
TRIP = LatchedTrip(BreakerName.DRAWDOWN, NY_MORNING, 0.15, "drawdown 15% from peak")


async def test_the_gate_checkpoint_holds_state_trips_session_peak_version_and_ledger() -> None:
    """gate.checkpoint(): what a restart needs, and the ledger's exposure by contract id."""
    broker, clock = await funded_sim()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, config_version="v7")
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 10))  # fills: position 10
    gate.submit_with_decision(STOCK, OrderRequest.limit(Side.BUY, 5, 199.0))  # rests: 5 working
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1), inputs=DRAWN_DOWN)
    gate.set_trading_state(TradingState.REDUCING, who="desk", why="checkpoint test")
    checkpoint = gate.checkpoint()
    assert checkpoint.state is TradingState.REDUCING
    assert [t.breaker for t in checkpoint.trips] == [BreakerName.DRAWDOWN]
    assert checkpoint.session_start is not None
    assert checkpoint.session_equity == pytest.approx(1e6)
    assert checkpoint.peak_equity == pytest.approx(1e6)
    assert checkpoint.config_version == "v7"
    assert checkpoint.ledger == (LedgerPosition(STOCK.con_id, 10.0, 5.0, 0.0),)
    assert checkpoint.time == clock()


def test_a_checkpoint_reads_back_as_it_was_written() -> None:
    """as_json then parse_record gives the same checkpoint; empty parts are left out."""
    full = Checkpoint(
        time=NY_MORNING,
        state=TradingState.HALTED,
        trips=(TRIP,),
        session_start=NY_MORNING - timedelta(hours=10),
        session_equity=100_000.0,
        peak_equity=101_000.0,
        config_version="abc",
        ledger=(LedgerPosition(265598, -3.0, 0.0, 2.0),),
    )
    assert parse_record(full.as_json()) == full
    bare = Checkpoint(time=NY_MORNING, state=TradingState.ACTIVE)
    assert bare.as_json() == {
        "kind": "checkpoint",
        "time": NY_MORNING.isoformat(),
        "state": "ACTIVE",
    }
    assert parse_record(bare.as_json()) == bare


def test_a_checkpoint_resets_the_fold_to_its_content() -> None:
    """Whatever came before, the fold after a checkpoint is the checkpoint's memory."""
    fold = JournalFold()
    fold.apply(StateChanged(time=NY_MORNING, state=TradingState.HALTED, who="a", why="b").as_json())
    fold.apply(Checkpoint(time=NY_MORNING, state=TradingState.ACTIVE, trips=(TRIP,)).as_json())
    replay = fold.snapshot()
    assert replay.trading_state is TradingState.ACTIVE
    assert replay.trips == (TRIP,)
    assert replay.records == 2


async def test_checkpoint_and_tail_fold_to_what_the_whole_journal_does() -> None:
    """Replaying everything, or the gate's checkpoint then the records after it: same memory."""
    broker, gate, clock, journal = await trading_desk(derive=True)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 10))
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1), inputs=DRAWN_DOWN)
    cut = len(journal.records)
    checkpoint = gate.checkpoint()
    clock.advance(timedelta(seconds=5))
    broker.set_price("AAPL", 210.0)  # a new peak
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.SELL, 1))
    gate.set_trading_state(TradingState.REDUCING, who="desk", why="tail")
    whole = replay_journal(journal.records)
    folded = replay_journal([checkpoint.as_json(), *journal.records[cut:]])
    assert (folded.trips, folded.trading_state, folded.session, folded.peak_equity) == (
        whole.trips,
        whole.trading_state,
        whole.session,
        whole.peak_equity,
    )
    assert folded.peak_equity is not None
    assert folded.peak_equity > 1e5


async def test_decisions_name_no_config_version_the_other_records_do() -> None:
    """The version is stamped on every record but decisions (a run's first record names it)."""
    _, gate, _, journal = await trading_desk()
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1), inputs=DRAWN_DOWN)
    decision = next(r for r in journal.records if r["kind"] == "decision")
    state = StateChanged(time=NY_MORNING, state=TradingState.HALTED, who="a", why="b")
    assert "config_version" not in journal_form(parse_record(decision), "v1")
    assert journal_form(state, "v1")["config_version"] == "v1"


async def test_the_peak_read_alone_is_the_peak_the_whole_decision_holds() -> None:
    """decision_peak (restart's fast path) agrees with the typed decision; bad inputs raise."""
    _, gate, _, journal = await trading_desk(derive=True)
    gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 1))
    data = next(r for r in journal.records if r["kind"] == "decision")
    typed = parse_record(data)
    assert isinstance(typed, DecisionRecord)
    assert typed.inputs is not None
    assert decision_peak(data) == typed.inputs.peak_equity
    with pytest.raises(InvalidInputError, match="malformed 'decision' record"):
        decision_peak({**data, "inputs": {"peak_equity": "lots"}})
    fold = JournalFold()
    with pytest.raises(InvalidInputError, match="journal record 1"):
        fold.apply({**data, "inputs": {}})
