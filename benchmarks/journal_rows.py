"""The journal's rows: a restart, verify and a filtered read that do not grow with history.

Two journals, built in the run's work directory and removed with it:

* ``decisions`` through the gate (``build_container``, the simulator, production logging,
  fsync never, a manual clock at 10 orders a second, so sessions roll over too), then the
  gate rebuilt from the same config and journal, ``verify`` and a ``--since`` read;
* ten times as many records written by this module's own writer (no gate: decision
  records as the gate writes them, 5 % blocked, a checkpoint opening each segment), and
  the same three measured on it.

A restart and ``verify`` run in fresh processes, which report their own peak RSS. Every
row is one measurement (median = min = max); the unit is in its name.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dependency_injector import providers

from benchmarks.recording import AAPL
from benchmarks.timing import Row
from hydra.adapters.journal import JsonlJournal, list_segments
from hydra.adapters.journal.jsonl import DEFAULT_SEGMENT_MB
from hydra.adapters.journal.segments import read_lines
from hydra.application.records import Checkpoint, DecisionRecord, LedgerPosition, is_decision
from hydra.container import build_container
from hydra.domain import (
    BreakerInputs,
    BreakerName,
    ManualClock,
    OrderRequest,
    Reason,
    SessionSchedule,
    Side,
    TradingState,
)
from hydra.domain.breakers import LatchedTrip
from hydra.entrypoints.cli import main as hydra

__all__ = ["journal_rows", "journal_verdicts"]

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 New York
STEP = timedelta(milliseconds=100)  # 10 orders a second
SEGMENT_MB = DEFAULT_SEGMENT_MB
RESTART_S, RSS_MB, VERIFY_RATE, SINCE_S = 1.0, 150.0, 300_000.0, 1.0
COLLAR = Reason("limit.price_collar", "price_collar", "limit 150 is 25% from 200", 0.25, 0.05)


def _row(name: str, what: str, value: float, samples: int) -> Row:
    return Row(name, what, value, value, value, None, samples)


def _overrides(path: Path) -> dict[str, dict[str, object]]:
    return {
        "journal": {"path": str(path), "fsync": "never", "segment_mb": SEGMENT_MB},
        "sim": {"cash": 1e9},
        "limits": {"max_orders": 5_000},
    }


# ---------------------------------------------------------------------------- writers
async def _through_the_gate(path: Path, decisions: int) -> tuple[float, datetime]:
    """``decisions`` allowed orders through the container's gate; seconds, last record time."""
    container = build_container(env={}, overrides=_overrides(path))
    clock = ManualClock(START)
    container.clock.override(providers.Object(clock))
    broker = container.sim_broker()
    await broker.connect()
    gate = container.risk_gate()
    aapl = await gate.broker.qualify_contract(AAPL)
    orders = [
        OrderRequest.market((Side.BUY, Side.SELL)[i % 2], float(1 + i // 2)) for i in range(2_000)
    ]
    started = time.perf_counter()
    for n in range(decisions):
        clock.now += STEP
        if n % 100 == 0:
            broker.set_price("AAPL", 200.0)  # a tick keeps the reference price fresh
        decision = gate.submit_with_decision(aapl, orders[n % 2_000])
        assert decision.allowed, decision
    seconds = time.perf_counter() - started
    gate.close()
    return seconds, clock()


def _generated(path: Path, records: int, *, fill: int | None = None) -> tuple[float, datetime]:
    """``records`` decision records written by a bare journal; seconds, last record time.

    With ``fill`` (bytes), one segment instead (no rollover), written until it holds that
    much: the longest tail a restart can meet.
    """
    clock = ManualClock(START)
    trip = LatchedTrip(BreakerName.DAILY_LOSS, START, -0.021, "daily loss 2.1%")
    ledger = tuple(LedgerPosition(con, 100.0 * con, 10.0, 0.0) for con in (1, 2, 3))

    def checkpoint() -> dict[str, Any]:
        return Checkpoint(
            time=clock(),
            state=TradingState.ACTIVE,
            trips=(trip,),
            session_start=START,
            session_equity=1e6,
            peak_equity=1.01e6,
            config_version="0123456789ab",
            ledger=ledger,
        ).as_json()

    inputs = [BreakerInputs(-0.001 * i, 1.01e6, 1e6 - i, 2e4 + i, 0.0) for i in range(16)]
    orders = [OrderRequest.market((Side.BUY, Side.SELL)[i % 2], float(1 + i)) for i in range(64)]
    journal = JsonlJournal(
        path,
        "never",
        account="SIM0001",
        segment_bytes=None if fill else int(SEGMENT_MB * 2**20),
        session=None if fill else SessionSchedule(),
        clock=clock,
        checkpoint_source=checkpoint,
    )
    append = journal.append
    started = time.perf_counter()
    for n in range(records):
        if fill and n % 1_000 == 0 and path.stat().st_size >= fill:
            break
        clock.now += STEP
        blocked = n % 20 == 0
        append(
            DecisionRecord(
                seq=n + 1,
                time=clock.now,
                symbol="AAPL",
                allowed=not blocked,
                reasons=(COLLAR,) if blocked else (),
                instrument=AAPL,
                order=orders[n % 64],
                order_id=None if blocked else n + 1,
                inputs=inputs[n % 16],
                latency_s=2.5e-5,
            ).as_json()
        )
    seconds = time.perf_counter() - started
    journal.close()
    return seconds, clock()


# ---------------------------------------------------------------------------- measurements
# Peak RSS is VmHWM: getrusage's ru_maxrss would keep the forking parent's peak across exec.
_PEAK = """
def peak_mb():
    with open("/proc/self/status") as status:
        return int(status.read().split("VmHWM:")[1].split()[0]) / 1024
"""

_RESTART = (
    _PEAK
    + """
import json, sys, time
from hydra.container import build_container
overrides = json.loads(sys.argv[1])
started = time.perf_counter()
gate = build_container(env={}, overrides=overrides).risk_gate()
seconds = time.perf_counter() - started
state = gate.trading_state.value
gate.close()
print(json.dumps({"seconds": seconds, "state": state, "rss_mb": peak_mb()}))
"""
)

_VERIFY = (
    _PEAK
    + """
import json, resource, sys, time
from hydra.adapters.journal.verify import default_workers, verify_journal
started = time.perf_counter()
scan = verify_journal(sys.argv[1], workers=default_workers())  # as `hydra journal verify`
count = scan.records
seconds = time.perf_counter() - started
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest
print(json.dumps({"seconds": seconds, "records": count, "damage": str(scan.damage or ""),
                  "rss_mb": max(peak_mb(), workers)}))
"""
)


def _child(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603  (our interpreter, our scripts)
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _since(path: Path, since: datetime) -> tuple[float, float, int]:
    """``hydra journal PATH --since``: the command in this process, and as a process."""
    argv = ["journal", str(path), "--since", since.isoformat()]
    sink = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sink):
        status = hydra(argv)
    inside = time.perf_counter() - started
    assert status == 0, status
    rows = sink.getvalue().count("\n") - 2
    started = time.perf_counter()
    subprocess.run(  # noqa: S603  (our own entry point)
        [sys.executable, "-m", "hydra.entrypoints.cli", *argv],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return inside, time.perf_counter() - started, rows


def _record_bytes(path: Path) -> float:
    """The mean size of a decision record (its line and newline), from the live segment."""
    sizes = [
        len(line) + 1
        for _, line, _ in read_lines(list_segments(path)[-1])
        if line and is_decision(json.loads(line))
    ]
    return sum(sizes) / len(sizes)


def _measure(tag: str, path: Path, count: int, last: datetime) -> list[Row]:
    size = sum(s.path.stat().st_size for s in list_segments(path)) / 1e6
    restart = _child(_RESTART, json.dumps(_overrides(path)))
    assert restart["state"] == TradingState.ACTIVE.value, restart
    verify = _child(_VERIFY, str(path))
    assert not verify["damage"], verify
    inside, process, rows = _since(path, last - timedelta(hours=1))
    segments = len(list_segments(path))
    where = f"{count:,} records, {segments} segments, {size:,.0f} MB"
    return [
        _row(f"journal_restart_{tag}_s", f"gate rebuilt from config + journal ({where})",
             restart["seconds"], count),
        _row(f"journal_restart_{tag}_rss_mb", "peak RSS of that restart's process",
             restart["rss_mb"], count),
        _row(f"journal_verify_{tag}_rate", f"verify, records/s ({verify['records']:,} checked)",
             verify["records"] / verify["seconds"], verify["records"]),
        _row(f"journal_verify_{tag}_rss_mb", "peak RSS of that verify's process",
             verify["rss_mb"], verify["records"]),
        _row(f"journal_since_{tag}_s",
             f"hydra journal --since <last hour>: the command ({rows:,} rows)", inside, rows),
        _row(f"journal_since_{tag}_cli_s", "the same as a process (start-up included)",
             process, rows),
    ]  # fmt: skip


def journal_rows(decisions: int, workdir: Path) -> list[Row]:
    """Every journal row: the gate's journal of ``decisions``, then a 10x generated one."""
    gate_path = workdir / "journal-gate" / "hydra.journal.jsonl"
    seconds, last = asyncio.run(_through_the_gate(gate_path, decisions))
    rows = [
        _row("journal_record_bytes", "mean decision record, bytes (line + newline)",
             _record_bytes(gate_path), decisions),
        _row("journal_gate_write_s", f"{decisions:,} decisions through the gate, seconds",
             seconds, decisions),
    ]  # fmt: skip
    rows += _measure("gate", gate_path, decisions, last)
    _remove(gate_path)
    generated = 10 * decisions
    made_path = workdir / "journal-made" / "hydra.journal.jsonl"
    seconds, last = _generated(made_path, generated)
    rows.append(
        _row("journal_write_made_s", f"{generated:,} records by the bare writer, seconds",
             seconds, generated)
    )  # fmt: skip
    rows += _measure("made", made_path, generated, last)
    _remove(made_path)
    full_path = workdir / "journal-full" / "hydra.journal.jsonl"
    limit = int(SEGMENT_MB * 2**20)
    _generated(full_path, generated, fill=limit - 2**16)
    size = full_path.stat().st_size / 2**20
    restart = _child(_RESTART, json.dumps(_overrides(full_path)))
    assert restart["state"] == TradingState.ACTIVE.value, restart
    rows += [
        _row("journal_restart_full_s",
             f"restart after one full segment's tail ({size:.1f} MiB, the longest it can be)",
             restart["seconds"], 1),
        _row("journal_restart_full_rss_mb", "peak RSS of that restart's process",
             restart["rss_mb"], 1),
    ]  # fmt: skip
    _remove(full_path)
    return rows


def _remove(path: Path) -> None:
    for entry in path.parent.iterdir():
        entry.unlink()
    path.parent.rmdir()


# (target, row, limit, unit, at least?): the targets, on both journals
_TARGETS = [
    (f"{what}, {journal}", f"journal_{row}_{tag}_{unit}", limit, shown, least)
    for tag, journal in (("gate", "gate's journal"), ("made", "10x journal"))
    for what, row, unit, limit, shown, least in (
        ("restart", "restart", "s", RESTART_S, "s", False),
        ("restart peak RSS", "restart", "rss_mb", RSS_MB, "MB", False),
        ("verify rate", "verify", "rate", VERIFY_RATE, "rec/s", True),
        ("verify peak RSS", "verify", "rss_mb", RSS_MB, "MB", False),
    )
] + [
    ("restart, a full segment's tail", "journal_restart_full_s", RESTART_S, "s", False),
    ("restart peak RSS, a full segment's tail", "journal_restart_full_rss_mb", RSS_MB, "MB", False),
    ("--since last hour, 10x journal", "journal_since_made_s", SINCE_S, "s", False),
]


def journal_verdicts(rows: dict[str, Row]) -> list[dict[str, Any]]:
    """The journal's targets: restart, its memory, verify's rate and memory, the read."""
    out = []
    for target, name, limit, unit, least in _TARGETS:
        measured = rows[name].median_us
        ok = measured >= limit if least else measured <= limit
        out.append(
            {
                "target": target,
                "measured": measured,
                "limit": limit,
                "unit": unit,
                "verdict": "PASS" if ok else "FAIL",
                "note": "at least the limit" if least else "",
            }
        )
    return out


if __name__ == "__main__":  # pragma: no cover  (python -m benchmarks.journal_rows N DIR)
    os.makedirs(sys.argv[2], exist_ok=True)
    for row in journal_rows(int(sys.argv[1]), Path(sys.argv[2])):
        print(f"{row.name:28} {row.median_us:14,.3f}  {row.what}")
