"""Measure HYDRA's decision path against NautilusTrader's compiled RiskEngine, in one run.

``uv run --group anchors python -m benchmarks.run`` (full, with the Nautilus anchor rows),
``uv run python -m benchmarks.run`` (the anchors are skipped with a note), ``--quick`` (a
minute), ``--smoke`` (seconds, for the test suite). Each group of rows runs in its own
fresh process, one after another (structlog caches loggers per process, and the memory
row wants a clean heap). Each timed row is repeated 5x and reported as median/min/max of
the per-repeat medians, plus the p99 over all samples. Prints the rows and the verdict of
every target, and writes both to JSON (``--json PATH``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.anchors import available
from benchmarks.parts import run_part
from benchmarks.timing import Row, baseline_row

RSS_FLAT_MB = 5.0  # "flat": less growth than this after the warm-up

# (row, anchor row) pairs: each gate row is compared with the Nautilus row of its kind.
ANCHORS = {
    "gate_pass": "nautilus_pass",
    "gate_pass_fsync100": "nautilus_pass",
    "gate_pass_account": "nautilus_pass",
    "gate_pass_sink": "nautilus_pass",
    "gate_hand_off": "nautilus_pass",
    "gate_checks_only": "nautilus_pass",
    "gate_block_limit": "nautilus_deny",
    "gate_block_breaker": "nautilus_deny",
    "gate_halted": "nautilus_deny",
    "sketch_checks": "nautilus_pass",
    "sketch_checks_api": "nautilus_pass",
    "sketch_pass": "nautilus_pass",
    "sketch_block": "nautilus_deny",
    "sketch_halted": "nautilus_deny",
}


def _in_child(part: str, count: int, workdir: str) -> list[Row]:
    """Run one group in a fresh spawned process and return its rows."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_part, part, count, workdir).result()


def verdicts(rows: dict[str, Row], decisions: int) -> list[dict[str, Any]]:
    """Every target of the issue: what was measured, the limit, PASS / FAIL / SKIP."""
    out: list[dict[str, Any]] = []

    def target(name: str, measured: float | None, limit: float, unit: str, note: str = "") -> None:
        verdict = "SKIP" if measured is None else "PASS" if measured <= limit else "FAIL"
        out.append(
            {
                "target": name,
                "measured": measured,
                "limit": limit,
                "unit": unit,
                "verdict": verdict,
                "note": note,
            }
        )

    skip = "" if "nautilus_pass" in rows else "nautilus_trader not installed"

    def sketch(name: str, anchor: str) -> str:
        return skip or _sketch_note(rows, name, anchor)

    gate_pass = rows["gate_pass"]
    pass_note = sketch("sketch_pass", "nautilus_pass")
    target("pass median vs Nautilus pass", gate_pass.anchor_ratio, 1.0, "x", pass_note)
    # Like for like: Nautilus' pass ends in a sink client, so does this row.
    target(
        "pass (sink adapter) median vs Nautilus pass",
        rows["gate_pass_sink"].anchor_ratio,
        1.0,
        "x",
        pass_note,
    )
    target("pass p99 vs its own median", (gate_pass.p99_us or 0.0) / gate_pass.median_us, 3.0, "x")
    target(
        "submit -> hand-off latency vs Nautilus pass",
        rows["gate_hand_off"].anchor_ratio,
        1.0,
        "x",
        skip or f"gate_hand_off: {rows['gate_hand_off'].median_us:.2f} us",
    )
    book, empty = rows["gate_pass_book_5000"], rows["gate_pass_book_0"]
    target(
        "5,000 resting orders vs none (one instrument)",
        book.median_us / empty.median_us,
        1.10,
        "x",
        f"{book.median_us:.2f} us vs {empty.median_us:.2f} us",
    )
    for name, floor in (
        ("gate_block_limit", "sketch_block"),
        ("gate_block_breaker", "sketch_block"),
        ("gate_halted", "sketch_halted"),
    ):
        note = sketch(floor, "nautilus_deny")
        target(f"{name} median vs Nautilus deny", rows[name].anchor_ratio, 0.8, "x", note)
    target(
        "checks alone vs Nautilus pass",
        rows["gate_checks_only"].anchor_ratio,
        0.25,
        "x",
        sketch("sketch_checks", "nautilus_pass")
        + ("" if skip else "; " + _sketch_note(rows, "sketch_checks_api", "nautilus_pass")),
    )
    target("simulator submit + fill median", rows["sim_submit_fill"].median_us, 5.0, "us")
    gated, raw = rows["ib_gate_round_trip"], rows["ib_raw_round_trip"]
    sketched = rows["ib_sketch_round_trip"]
    ib_note = (
        f"ib_sketch_round_trip: {sketched.ratio or 0.0:.2f}x median, "
        f"{sketched.p99_ratio or 0.0:.2f}x p99"
    )
    target(
        "IB round trip median vs raw ib_async", gated.median_us / raw.median_us, 1.05, "x", ib_note
    )
    target(
        "IB round trip p99 vs raw ib_async",
        (gated.p99_us or 0.0) / (raw.p99_us or 1.0),
        1.05,
        "x",
        ib_note,
    )
    target(
        "RSS growth over the decisions",
        rows["memory_rss_growth_mb"].median_us,
        RSS_FLAT_MB,
        "MB",
        f"{decisions:,} decisions" + ("" if decisions >= 1_000_000 else " (not the full 1M)"),
    )
    return out


def _sketch_note(rows: dict[str, Row], name: str, anchor: str) -> str:
    """The bare sketch of the same decision (``benchmarks/sketch.py``) against the anchor."""
    row = rows[name]
    return f"{name}: {row.median_us:.2f} us = {row.median_us / rows[anchor].median_us:.2f}x"


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark group, print rows and verdicts, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts: about a minute")
    parser.add_argument("--smoke", action="store_true", help="tiny counts, for the test suite")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="output file")
    args = parser.parse_args(argv)
    count, trips, decisions = 20_000, 400, 1_000_000
    if args.quick:
        count, trips, decisions = 2_000, 40, 50_000
    if args.smoke:
        count, trips, decisions = 40, 4, 2_000
    started = time.perf_counter()
    nautilus = available()
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        rows = [baseline_row(count * 10)]
        if nautilus:
            rows += _in_child("nautilus", count, tmp)
        else:
            notes.append(
                "NautilusTrader anchor rows skipped: nautilus_trader is not installed "
                "(run `uv run --group anchors python -m benchmarks.run`)"
            )
        rows += _in_child("production", count, tmp)
        rows += _in_child("checks", count, tmp)
        rows += _in_child("ib", trips, tmp)
        rows += _in_child("memory", decisions, tmp)
    by_name = {row.name: row for row in rows}
    base = rows[0].median_us
    for row in rows[1:]:
        if row.p99_us is not None and not row.name.startswith("ib_"):  # ib_: vs raw, below
            row.ratio = row.median_us / base
            row.p99_ratio = row.p99_us / base
        anchor = by_name.get(ANCHORS.get(row.name, ""))
        if anchor is not None:
            row.anchor, row.anchor_ratio = anchor.name, row.median_us / anchor.median_us
    raw, gated = by_name["ib_raw_round_trip"], by_name["ib_gate_round_trip"]
    gated.ratio = gated.median_us / raw.median_us
    gated.p99_ratio = (gated.p99_us or 0.0) / (raw.p99_us or 1.0)
    judged = verdicts(by_name, decisions)
    report = {
        "when": datetime.now(UTC).isoformat(),
        "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        "nautilus_trader": nautilus,
        "notes": notes,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "rows": [asdict(row) for row in rows],
        "verdicts": judged,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(render(rows))
    print()
    print(render_verdicts(judged))
    for note in notes:
        print(f"\nnote: {note}")
    print(f"\nwritten: {out} ({report['seconds']} s)")
    return 0


def render(rows: list[Row]) -> str:
    """The rows table BENCHMARKS.md shows (times in us; the memory row in MB)."""
    head = (
        f"{'row':<22} {'median':>9} {'min':>9} {'max':>9} {'p99':>9} {'x unit':>8} "
        f"{'p99 x':>8} {'x NT':>6}  what"
    )
    lines = [head, "-" * len(head)]

    def cell(value: float | None, width: int, digits: int = 2) -> str:
        return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    for row in rows:
        anchor = f" [vs {row.anchor}]" if row.anchor else ""
        lines.append(
            f"{row.name:<22} {row.median_us:9.3f} {row.min_us:9.3f} {row.max_us:9.3f} "
            f"{cell(row.p99_us, 9)} {cell(row.ratio, 8)} {cell(row.p99_ratio, 8)} "
            f"{cell(row.anchor_ratio, 6)}  {row.what}{anchor}"
        )
    return "\n".join(lines)


def render_verdicts(judged: list[dict[str, Any]]) -> str:
    """The verdict table: every target, the measured value, the limit, PASS/FAIL/SKIP."""
    head = f"{'target':<44} {'measured':>10} {'limit':>8}  verdict"
    lines = [head, "-" * len(head)]
    for item in judged:
        measured = "-" if item["measured"] is None else f"{item['measured']:.3f}"
        limit = f"{item['limit']:g} {item['unit']}"
        note = f"  ({item['note']})" if item["note"] else ""
        lines.append(f"{item['target']:<44} {measured:>10} {limit:>8}  {item['verdict']}{note}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
