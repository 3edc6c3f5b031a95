"""One benchmark group, run in a fresh process (structlog caches loggers per process)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from benchmarks.timing import Row
from hydra.logs import configure_production

__all__ = ["run_part"]


def run_part(part: str, count: int, workdir: str) -> list[Row]:
    """Configure logging the way ``part`` needs, then measure its rows."""
    # Imported here so the parent process never caches a logger before configuring it.
    from benchmarks import anchors, gate_rows, ib_rows, journal_rows, sketch  # noqa: PLC0415

    work = Path(workdir)
    if part == "nautilus":
        return anchors.nautilus_rows(count)
    # "Logs filtered" is the production set-up at WARNING: info lines become no-ops.
    level = "warning" if part == "checks" else "info"
    with open(work / f"{part}.log", "ab") as log_file:
        configure_production(level=level, file=log_file)
        # ib_async reports every cancel (error 202) through stdlib logging; not our output.
        logging.getLogger("ib_async").setLevel(logging.CRITICAL)
        if part == "production":
            rows = asyncio.run(gate_rows.production_rows(count, work))
            rows.append(asyncio.run(gate_rows.hand_off_row(count, work)))
            rows += asyncio.run(gate_rows.book_rows(count, work))
            return rows + sketch.sketch_rows(count, work, ("pass", "block", "halted"))
        if part == "checks":
            rows = [asyncio.run(gate_rows.checks_only_row(count))]
            return rows + sketch.sketch_rows(count, None, ("checks", "checks_api"))
        if part == "ib":
            rows = asyncio.run(ib_rows.round_trip_rows(count, work))
            rows.append(asyncio.run(ib_rows.margin_round_trip_row(count, work)))
            return [*rows, asyncio.run(ib_rows.sketch_round_trip_row(count, work))]
        if part == "memory":
            return [asyncio.run(gate_rows.memory_row(count, work))]
        if part == "journal":
            return journal_rows.journal_rows(count, work)
    raise ValueError(f"unknown benchmark part {part!r}")
