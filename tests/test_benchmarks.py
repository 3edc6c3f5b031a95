"""The benchmark suite runs end to end (a smoke run: no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.instructions import ROWS as INSTRUCTION_ROWS

ROOT = Path(__file__).resolve().parents[1]
ROWS = {
    "baseline",
    "gate_pass",
    "gate_pass_fsync100",
    "gate_pass_account",
    "gate_pass_sink",
    "gate_block_breaker",
    "gate_block_limit",
    "gate_halted",
    "gate_checks_only",
    "sketch_checks",
    "sketch_checks_api",
    "sketch_pass",
    "sketch_block",
    "sketch_halted",
    "sim_submit_fill",
    "structlog_line",
    "journal_append",
    "gate_hand_off",
    "gate_pass_book_0",
    "gate_pass_book_5000",
    "ib_raw_round_trip",
    "ib_gate_round_trip",
    "ib_gate_round_trip_margin",
    "ib_sketch_round_trip",
    "memory_rss_growth_mb",
    "journal_record_bytes",
    "journal_gate_write_s",
    "journal_write_made_s",
    "journal_restart_full_s",
    "journal_restart_full_rss_mb",
    *(
        f"journal_{what}_{tag}_{unit}"
        for tag in ("gate", "made")
        for what, unit in (
            ("restart", "s"),
            ("restart", "rss_mb"),
            ("verify", "rate"),
            ("verify", "rss_mb"),
            ("since", "s"),
            ("since", "cli_s"),
        )
    ),
}
ANCHOR_ROWS = {"nautilus_pass", "nautilus_deny"}


def _benchmark_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one of our benchmark modules in a fresh interpreter (its output captured)."""
    return subprocess.run(  # noqa: S603  (our own benchmark module)
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_benchmarks_smoke_run_writes_every_row(tmp_path: Path) -> None:
    """`python -m benchmarks.run --smoke` exits 0 and writes every row and every verdict."""
    out = tmp_path / "bench.json"
    result = _benchmark_module("benchmarks.run", "--smoke", "--json", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text())
    rows = {row["name"]: row for row in report["rows"]}
    # The Nautilus anchors run only where the optional `anchors` group is installed.
    expected = ROWS | ANCHOR_ROWS if report["nautilus_trader"] else ROWS
    assert set(rows) == expected
    assert report["mode"] == "smoke"
    for name, row in rows.items():
        if name != "memory_rss_growth_mb":
            assert row["median_us"] > 0, name
            assert row["samples"] > 0, name
    assert rows["gate_pass"]["ratio"] > 0
    assert "gate_pass" in result.stdout
    verdicts = report["verdicts"]
    assert len(verdicts) == 13 + 11  # the decision path's, then the journal's
    for item in verdicts:
        assert item["verdict"] in {"PASS", "FAIL", "SKIP"}, item
        # Only the Nautilus comparisons may be skipped, and only without Nautilus.
        assert (item["verdict"] == "SKIP") == (
            item["measured"] is None and not report["nautilus_trader"]
        ), item
    assert "verdict" in result.stdout


@pytest.mark.parametrize("row", INSTRUCTION_ROWS)
def test_each_instruction_row_runs_its_action(row: str) -> None:
    """`python -m benchmarks.instructions --inside ROW 3` runs the row's action (no valgrind)."""
    result = _benchmark_module("benchmarks.instructions", "--inside", row, "3")
    assert result.returncode == 0, result.stderr[-2000:]
