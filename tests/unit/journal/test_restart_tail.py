"""A restart reads the last checkpoint and the tail after it; what lies behind is verify's."""

from __future__ import annotations

import asyncio
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dependency_injector import providers

from hydra.adapters.journal import JournalScan, list_segments, read_journal
from hydra.application import RiskGate
from hydra.application.records import Checkpoint, GateRestored, parse_record
from hydra.container import Container, build_container
from hydra.domain import (
    BreakerInputs,
    BreakerName,
    Instrument,
    ManualClock,
    OrderRequest,
    Side,
    TradingState,
)

OK = BreakerInputs(0.0, 100_000.0, 100_000.0, 1_000.0, 0.0)
DRAWN_DOWN = BreakerInputs(0.0, 100_000.0, 85_000.0, 0.0, 0.0)  # 15% below the peak: drawdown trips
MONDAY = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
FIXTURE = Path(__file__).parents[2] / "fixtures" / "legacy-journal"


def container(path: Path, clock: ManualClock, segment_mb: float = 0.002) -> Container:
    """A container over the simulator, caller inputs only, small segments, a manual clock."""
    built = build_container(
        env={},
        overrides={
            "journal": {"path": str(path), "segment_mb": segment_mb, "fsync": "never"},
            "gate": {"derive_inputs": False},
        },
    )
    built.clock.override(providers.Object(clock))
    return built


async def _trade(path: Path, clock: ManualClock, orders: int, *, trip: bool) -> RiskGate:
    built = container(path, clock)
    broker = built.sim_broker()
    await broker.connect()
    gate: RiskGate = built.risk_gate()
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    if trip:
        gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1), inputs=DRAWN_DOWN)
    for n in range(orders):
        clock.advance(timedelta(seconds=3))  # past the duplicate and rate windows
        gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1 + n), inputs=OK)
    gate.close()
    return gate


def history(path: Path, *, orders: int = 60) -> None:
    """A drawdown trip, then enough decisions for several segments; the gate closed."""
    asyncio.run(_trade(path, ManualClock(MONDAY), orders, trip=True))


def restarted(path: Path) -> RiskGate:
    """The gate a fresh container rebuilds from ``path`` (later the same day)."""
    gate: RiskGate = container(path, ManualClock(MONDAY + timedelta(hours=2))).risk_gate()
    gate.close()
    return gate


def test_the_trip_survives_in_the_checkpoints(tmp_path: Path) -> None:
    """Several segments, each opened by a checkpoint holding the latched drawdown trip."""
    path = tmp_path / "j.jsonl"
    history(path)
    segments = list_segments(path)
    assert len(segments) >= 4
    checkpoints = [
        parse_record(r) for r in read_journal(path).records if r["kind"] == Checkpoint.KIND
    ]
    assert len(checkpoints) == len(segments)
    assert all(isinstance(c, Checkpoint) for c in checkpoints)
    assert all(
        [t.breaker for t in c.trips] == [BreakerName.DRAWDOWN]
        for c in checkpoints[1:]
        if isinstance(c, Checkpoint)
    )
    assert restarted(path).breakers.latched[0].breaker is BreakerName.DRAWDOWN


def test_a_restart_reads_only_the_tail_after_the_last_checkpoint(tmp_path: Path) -> None:
    """Every segment before the last checkpoint made unreadable: the restart does not notice."""
    path = tmp_path / "j.jsonl"
    history(path)
    *old, live = list_segments(path)
    for segment in old:
        segment.path.write_bytes(b"\x00\xffnot a journal\n" * 100)
    gate = restarted(path)
    assert gate.trading_state is TradingState.ACTIVE
    assert [t.breaker for t in gate.breakers.latched] == [BreakerName.DRAWDOWN]
    assert live.live
    scan = JournalScan(path)
    scan.run()
    assert scan.damaged  # the history is still there, unreadable: verify would say so


def test_a_break_in_an_old_segment_is_found_by_verify_and_does_not_block_a_restart(
    tmp_path: Path,
) -> None:
    """An edited record behind the checkpoint: verify names its segment and line; ACTIVE still."""
    path = tmp_path / "j.jsonl"
    history(path)
    first = list_segments(path)[0]
    lines = first.path.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"quantity":', b'"quantity":9', 1)
    first.path.write_bytes(b"".join(lines))
    scan = JournalScan(path)
    scan.run()
    assert scan.damage is not None
    assert str(scan.damage).startswith(f"{first.name} line 4: edited")
    gate = restarted(path)
    assert gate.trading_state is TradingState.ACTIVE
    assert [t.breaker for t in gate.breakers.latched] == [BreakerName.DRAWDOWN]


def test_a_damaged_tail_restores_halted(tmp_path: Path) -> None:
    """An edited record after the last checkpoint: the restart is HALTED, naming the line."""
    path = tmp_path / "j.jsonl"
    history(path)
    live = list_segments(path)[-1]
    lines = live.path.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b'"quantity":', b'"quantity":9', 1)
    live.path.write_bytes(b"".join(lines))
    gate = restarted(path)
    assert gate.trading_state is TradingState.HALTED
    halt = read_journal(path).records[-1]
    assert f"{live.name} line {len(lines)}: edited" in halt["why"]


def test_a_damaged_checkpoint_restores_halted(tmp_path: Path) -> None:
    """The last checkpoint edited (say, a trip removed from it): the restart is HALTED."""
    path = tmp_path / "j.jsonl"
    history(path)
    live = list_segments(path)[-1]
    lines = live.path.read_bytes().splitlines(keepends=True)
    assert b'"kind":"checkpoint"' in lines[0]
    lines[0] = lines[0].replace(b'"breaker":"drawdown"', b'"breaker":"trade_loss"')
    live.path.write_bytes(b"".join(lines))
    assert restarted(path).trading_state is TradingState.HALTED


def test_a_journal_written_as_one_file_is_read_as_one_segment_and_carries_on(
    tmp_path: Path,
) -> None:
    """Today's single-file journal (written by the code before segments) restores and goes on.

    The fixture was written by the previous version: a drawdown trip, then REDUCING, 0644.
    """
    for name in ("legacy.journal.jsonl", "legacy.journal.jsonl.anchor"):
        shutil.copy2(FIXTURE / name, tmp_path / name)
    path = tmp_path / "legacy.journal.jsonl"
    before = path.read_bytes()
    clock = ManualClock(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))  # days after it was written

    async def carry_on() -> RiskGate:
        built = container(path, clock, segment_mb=16)
        broker = built.sim_broker()
        await broker.connect()
        gate: RiskGate = built.risk_gate()
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        gate.set_trading_state(TradingState.ACTIVE, who="desk", why="after the upgrade")
        gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1), inputs=OK)
        gate.close()
        return gate

    gate = asyncio.run(carry_on())
    assert [t.breaker for t in gate.breakers.latched] == [BreakerName.DRAWDOWN]
    first, live = list_segments(path)
    assert first.number == 1
    assert first.path.read_bytes() == before  # the old file, closed as segment 1, untouched
    assert stat.S_IMODE(live.path.stat().st_mode) == 0o600
    contents = read_journal(path, "SIM0001")
    assert contents.damage is None
    assert [r["jseq"] for r in contents.records] == list(range(1, len(contents.records) + 1))
    new = [parse_record(r) for r in contents.records[4:]]
    assert isinstance(new[0], Checkpoint)
    assert new[0].state is TradingState.REDUCING
    assert [t.breaker for t in new[0].trips] == [BreakerName.DRAWDOWN]
    assert isinstance(new[1], GateRestored)
    rebuilt = restarted(path)
    assert rebuilt.trading_state is TradingState.ACTIVE
    assert [t.breaker for t in rebuilt.breakers.latched] == [BreakerName.DRAWDOWN]
