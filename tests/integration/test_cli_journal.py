"""`hydra journal` as a process: escaped output, segments skipped by name, verify, archive ..."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hydra.adapters.journal import JsonlJournal, list_segments
from hydra.application.records import DecisionRecord, StateChanged
from hydra.domain import (
    Instrument,
    ManualClock,
    OrderRequest,
    Reason,
    SessionSchedule,
    Side,
    TradingState,
)

from .hydra_cli import run_hydra

pytestmark = pytest.mark.integration

ACCOUNT = "DU123456"
DAY = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 New York, a Monday
AAPL = Instrument("AAPL", con_id=265598)
COLLAR = Reason("limit.price_collar", "price_collar", "limit 150 is 25% from 200", 0.25, 0.05)
HOSTILE_WHO = "\x1b]0;owned\x07eve"  # retitles the terminal
HOSTILE_WHY = "ok\r\x1b[2J2026-01-05 decision SPY BUY 100 allowed\u202e"  # clears, forges a row


def _decision(seq: int, when: datetime, *, blocked: bool = False) -> dict[str, Any]:
    return DecisionRecord(
        seq=seq,
        time=when,
        symbol="AAPL",
        allowed=not blocked,
        reasons=(COLLAR,) if blocked else (),
        instrument=AAPL,
        order=OrderRequest.market(Side.BUY, 1),
    ).as_json()


def three_days(path: Path, days: int = 3) -> list[Path]:
    """Decisions over three sessions (one segment each); the closed segments' paths."""
    clock = ManualClock(DAY)

    def checkpoint() -> dict[str, Any]:
        return {"kind": "checkpoint", "time": clock().isoformat(), "state": "ACTIVE"}

    with JsonlJournal(
        path,
        "never",
        account=ACCOUNT,
        session=SessionSchedule(),
        clock=clock,
        checkpoint_source=checkpoint,
    ) as journal:
        for day in range(days):
            for hour in range(3):
                clock.now = DAY + timedelta(days=day, hours=hour)
                journal.append(_decision(day * 10 + hour, clock(), blocked=hour == 1))
    segments = list_segments(path)
    assert [s.number for s in segments] == list(range(1, days + 1))
    return [s.path for s in segments[:-1]]


def _seqs(output: str) -> list[int]:
    return [r["seq"] for r in json.loads(output) if r["kind"] == "decision"]


def test_control_characters_in_who_and_why_never_reach_the_terminal(tmp_path: Path) -> None:
    """A hostile who/why is printed escaped (table and JSON); the rows stay one per line."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append(
            StateChanged(
                time=DAY, state=TradingState.HALTED, who=HOSTILE_WHO, why=HOSTILE_WHY
            ).as_json()
        )
    table = run_hydra("journal", str(path))
    assert table.returncode == 0, table.stderr
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in table.stdout
    assert "\\x1b[2J" in table.stdout
    assert "\\u202e" in table.stdout
    assert len(table.stdout.splitlines()) == 3  # header, dashes, one row: nothing forged
    listing = run_hydra("journal", str(path), "--json")
    assert "\x1b" not in listing.stdout
    assert "\r" not in listing.stdout
    assert json.loads(listing.stdout)[0]["why"] == HOSTILE_WHY  # escaped, not lost


def test_since_and_until_skip_whole_segments_by_their_names(tmp_path: Path) -> None:
    """Segments outside the window are never opened: garbage in them goes unnoticed."""
    path = tmp_path / "audit.jsonl"
    first, _ = three_days(path)
    first.write_bytes(b"\x00garbage\n")
    since = run_hydra("journal", str(path), "--json", "--since", "2026-01-07T00:00:00-05:00")
    assert since.returncode == 0, since.stderr
    assert _seqs(since.stdout) == [20, 21, 22]
    whole = run_hydra("journal", str(path), "--json")
    assert whole.returncode == 1
    assert "chain damaged" in whole.stderr


def test_until_reads_no_segment_begun_after_it(tmp_path: Path) -> None:
    """--until stops at the segments begun after it: only day one is read, exit 0."""
    path = tmp_path / "audit.jsonl"
    _, second = three_days(path)
    second.write_bytes(b"\x00garbage\n")
    path.write_bytes(b"\x00garbage\n")
    until = run_hydra(
        "journal", str(path), "--json", "--until", "2026-01-05T23:00:00-05:00", "--outcome",
        "blocked",
    )  # fmt: skip
    assert until.returncode == 0, until.stderr
    assert _seqs(until.stdout) == [1]


def test_verify_checks_every_segment_and_names_the_first_break(tmp_path: Path) -> None:
    """verify: exit 0 and the count when whole; exit 1 naming segment and line when not."""
    path = tmp_path / "audit.jsonl"
    first, _ = three_days(path)
    ok = run_hydra("journal", "verify", str(path))
    assert ok.returncode == 0, ok.stderr
    assert "12 records in 3 segment(s), jseq 1..12: chain intact, anchor agrees" in ok.stdout
    lines = first.read_bytes().splitlines(keepends=True)
    first.write_bytes(lines[0] + lines[1].replace(b'"seq":0', b'"seq":7') + b"".join(lines[2:]))
    broken = run_hydra("journal", "verify", str(path), "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["intact"] is False
    assert report["damage"].startswith(f"{first.name} line 2: edited")


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_archived_segments_stay_verifiable_and_readable(tmp_path: Path, codec: str) -> None:
    """Archive --before compresses the closed segments; verify and reads see every record."""
    path = tmp_path / "audit.jsonl"
    three_days(path)
    done = run_hydra("journal", "archive", str(path), "--before", "2026-01-08", "--codec", codec)
    assert done.returncode == 0, done.stderr
    assert "archived 2 segment(s)" in done.stdout
    suffix = {"gzip": ".gz", "zstd": ".zst"}[codec]
    segments = list_segments(path)
    assert [s.path.suffix for s in segments] == [suffix, suffix, ".jsonl"]
    assert {stat.S_IMODE(s.path.stat().st_mode) for s in segments} == {0o600}
    ok = run_hydra("journal", "verify", str(path))
    assert ok.returncode == 0, ok.stderr
    assert "12 records in 3 segment(s)" in ok.stdout
    read = run_hydra("journal", str(path), "--json", "--outcome", "blocked")
    assert _seqs(read.stdout) == [1, 11, 21]


def test_verify_starts_at_the_oldest_checkpoint_kept_and_says_so(tmp_path: Path) -> None:
    """Oldest segment removed on purpose: verified from the next checkpoint; a gap is a break."""
    path = tmp_path / "audit.jsonl"
    first, second = three_days(path)
    first.unlink()
    kept = run_hydra("journal", "verify", str(path))
    assert kept.returncode == 0, kept.stderr
    assert f"verified from the oldest checkpoint kept: {second.name} (jseq 5)" in kept.stdout
    assert "8 records in 2 segment(s)" in kept.stdout
    path2 = tmp_path / "other.jsonl"
    _, middle, _ = three_days(path2, days=4)
    middle.unlink()
    gap = run_hydra("journal", "verify", str(path2))
    assert gap.returncode == 1
    assert "segment(s) 2 missing" in gap.stderr


def test_export_writes_typed_columns_that_duckdb_queries(tmp_path: Path) -> None:
    """Export --format parquet: decisions with typed columns; the README's DuckDB query runs."""
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "audit.jsonl"
    three_days(path)
    out = tmp_path / "export"
    done = run_hydra("journal", "export", "--format", "parquet", str(out), "--journal", str(path))
    assert done.returncode == 0, done.stderr
    assert "9 decisions" in done.stdout
    query = """
        SELECT date_trunc('hour', time) AS hour, r.code AS reason, count(*) AS blocked
        FROM (SELECT time, unnest(reasons) AS r
              FROM read_parquet('{out}/decisions.parquet') WHERE outcome = 'blocked')
        GROUP BY ALL ORDER BY ALL
    """.format(out=out)  # noqa: S608, UP032  (the README's query; our own path)
    rows = duckdb.sql(query).fetchall()
    assert [(hour.astimezone(UTC).day, hour.hour, reason, n) for hour, reason, n in rows] == [
        (5, 16, "limit.price_collar", 1),
        (6, 16, "limit.price_collar", 1),
        (7, 16, "limit.price_collar", 1),
    ]
    described = duckdb.sql(f"DESCRIBE SELECT * FROM '{out}/decisions.parquet'")  # noqa: S608
    types = {row[0]: row[1] for row in described.fetchall()}
    assert types["time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["quantity"] == "DOUBLE"
    events = duckdb.sql(f"SELECT kind FROM '{out}/events.parquet'").fetchall()  # noqa: S608
    assert {kind for (kind,) in events} == {"checkpoint"}


def test_follow_prints_records_as_they_are_written_across_a_rollover(tmp_path: Path) -> None:
    """--follow --json: the records so far, then each new one as it is appended, rollover too."""
    path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(
        path, "never", account=ACCOUNT, segment_bytes=1_500, checkpoint_source=lambda: {"kind": "c"}
    )
    journal.append(_decision(0, DAY))
    follower = subprocess.Popen(  # noqa: S603  (our own entry point)
        [sys.executable, "-m", "hydra.entrypoints.cli", "journal", str(path), "--follow", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, follower.kill)  # a missed record fails, never hangs
    watchdog.start()
    try:
        assert follower.stdout is not None
        seen = [json.loads(follower.stdout.readline()) for _ in range(2)]  # checkpoint, seq 0
        assert [r.get("seq") for r in seen] == [None, 0]
        for seq in range(1, 8):
            journal.append(_decision(seq, DAY + timedelta(seconds=seq)))
            time.sleep(0.05)
        assert len(list_segments(path)) > 1
        lines = []
        while len([r for r in lines if r.get("kind") == "decision"]) < 7:
            lines.append(json.loads(follower.stdout.readline()))
        assert [r["seq"] for r in lines if r.get("kind") == "decision"] == list(range(1, 8))
        assert [r["jseq"] for r in lines] == list(range(3, 3 + len(lines)))
    finally:
        watchdog.cancel()
        journal.close()
        follower.terminate()
        follower.communicate(timeout=10)
