"""A trader SIGKILLed while its journal rolls over loses no decision it returned."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hydra.adapters.journal import list_segments, read_journal
from hydra.adapters.journal.segments import first_line
from hydra.application import RiskGate
from hydra.application.records import Checkpoint, DecisionRecord, parse_record
from hydra.container import build_container
from hydra.domain import BreakerInputs, Instrument, OrderRequest, Side, TradingState

pytestmark = pytest.mark.integration

# A trader over the simulator: tiny segments (a rollover every ~6 decisions), every
# decision printed once submit_with_decision has returned it. With "in-rollover" the
# third rollover stops inside itself (the checkpoint is taken after the full segment got
# its closed name and before the new one exists) and says so.
TRADER = """
import asyncio, sys, time
from hydra.container import build_container
from hydra.domain import BreakerInputs, Instrument, OrderRequest, Side

path, mode = sys.argv[1], sys.argv[2]

async def main():
    container = build_container(env={}, overrides={
        "journal": {"path": path, "segment_mb": 0.003, "fsync": "never"},
        "gate": {"derive_inputs": False}, "limits": {"enabled": False}})
    broker = container.sim_broker()
    await broker.connect()
    gate = container.risk_gate()
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    if mode == "in-rollover":
        journal = container.journal().journal.inner
        source, rolls = journal.checkpoint_source, []
        def stalled():
            rolls.append(1)
            if len(rolls) == 3:
                print("rolling", flush=True)
                time.sleep(60)
            return source()
        journal.checkpoint_source = stalled
    n = 0
    while True:
        side = Side.BUY if n % 2 else Side.SELL
        decision = gate.submit_with_decision(
            aapl, OrderRequest.market(side, 1), inputs=BreakerInputs(0.0, 1e5, 1e5, 0.0, 0.0))
        print("returned", decision.seq, flush=True)
        n += 1

asyncio.run(main())
"""


def _kill(path: Path, mode: str, after: int) -> list[int]:
    """Run the trader, SIGKILL it ("rolling", or ``after`` decisions); the seqs it returned."""
    process = subprocess.Popen(  # noqa: S603  (our interpreter, fixed script)
        [sys.executable, "-c", TRADER, str(path), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    returned: list[int] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("returned"):
                returned.append(int(line.split()[1]))
            if line.startswith("rolling") or (mode == "random" and len(returned) >= after):
                os.kill(process.pid, signal.SIGKILL)
                break
        assert process.wait(timeout=30) == -signal.SIGKILL
        returned += [int(line.split()[1]) for line in process.stdout if line.startswith("ret")]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    return returned


def _decisions(path: Path) -> list[int]:
    records = [parse_record(r) for r in read_journal(path).records]
    return [r.seq for r in records if isinstance(r, DecisionRecord)]


async def _restart(path: Path) -> RiskGate:
    container = build_container(
        env={},
        overrides={
            "journal": {"path": str(path), "segment_mb": 0.003},
            "gate": {"derive_inputs": False},
        },
    )
    broker = container.sim_broker()
    await broker.connect()
    gate: RiskGate = container.risk_gate()
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    gate.submit_with_decision(
        aapl, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(0.0, 1e5, 1e5, 0.0, 0.0)
    )
    gate.close()
    return gate


def test_sigkill_inside_a_rollover_loses_no_returned_decision(tmp_path: Path) -> None:
    """Killed between closing a segment and opening the next: every returned decision is kept."""
    path = tmp_path / "trader.jsonl"
    returned = _kill(path, "in-rollover", 0)
    assert returned
    assert len(list_segments(path)) == 2  # killed in the third checkpoint: the 2nd rollover
    assert not path.exists()  # ... after the full segment got its closed name, before the next
    contents = read_journal(path)
    assert contents.damage is None
    assert contents.torn_tail is None
    assert set(returned) <= set(_decisions(path))
    gate = asyncio.run(_restart(path))  # the next start opens a new segment, checkpoint first
    assert gate.trading_state is TradingState.ACTIVE
    assert read_journal(path).damage is None
    line = first_line(list_segments(path)[-1])
    assert line is not None
    assert isinstance(parse_record(json.loads(line)), Checkpoint)


def test_sigkill_at_random_points_across_rollovers_loses_no_returned_decision(
    tmp_path: Path,
) -> None:
    """Five kills at random decisions, segments rolling every few: nothing returned is lost."""
    chance = random.Random(20)
    for attempt in range(5):
        path = tmp_path / f"trader-{attempt}.jsonl"
        returned = _kill(path, "random", chance.randrange(20, 120))
        contents = read_journal(path)
        assert contents.damage is None, contents.damage
        assert len(list_segments(path)) > 2
        assert set(returned) <= set(_decisions(path)), (attempt, contents.torn_tail)
        state = asyncio.run(_restart(path)).trading_state
        if contents.torn_tail is None:  # a record cut mid-write restarts HALTED, as it should
            assert state is TradingState.ACTIVE
            assert read_journal(path).damage is None
