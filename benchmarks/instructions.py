"""Instructions per action under callgrind: a row's cost that the machine's load cannot move.

Timed rows vary with whatever else the machine runs; instruction counts do not. This
runs one row's action N times inside a call of ``functools.reduce`` (nothing in HYDRA's
decision path uses it), so ``valgrind --tool=callgrind --toggle-collect=functools_reduce``
counts exactly those N actions and nothing of the start-up. It is how each speed trick
tagged ``# perf: <row>`` was judged (BENCHMARKS.md, "Kept speed tricks", lists them with
their counts)::

    uv run python -m benchmarks.instructions gate_pass gate_block_breaker   # via valgrind
    uv run python -m benchmarks.instructions --inside gate_pass 500         # the measured run

``--ablate empty_checks`` / ``--ablate no_checks`` count the rows whose orders pass with
the judge's checks emptied, or gone: what the list of checks costs as a list, and what a
decision costs without any (BENCHMARKS.md, "What the list of checks costs").
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROWS = (
    "gate_pass",
    "gate_block_limit",
    "gate_block_breaker",
    "gate_halted",
    "gate_checks_only",
    "sim_submit_fill",
    "gate_pass_book_0",
    "gate_pass_book_5000",
    "judge_empty_checks",
    "calls_straight_line",
)
WARM_UP = 300
_TOTAL = re.compile(r"Collected\s*:\s*(\d+)")


async def _action(row: str, workdir: Path) -> Callable[[int], object]:
    """The per-order action of ``row``, built as the timed benchmark builds it."""
    from benchmarks import gate_rows  # noqa: PLC0415  (after logging is configured)
    from benchmarks.recording import RecordingBroker  # noqa: PLC0415
    from hydra.adapters.sim import SimulatedBroker  # noqa: PLC0415
    from hydra.domain import ManualClock  # noqa: PLC0415

    if row == "calls_straight_line":
        return _straight_line(21)
    if row == "judge_empty_checks":
        return await _empty_judge()
    if row == "sim_submit_fill":
        clock = ManualClock(gate_rows.START)
        broker = SimulatedBroker(clock=clock, cash=1e9, history=1000)
        await broker.connect()
        return gate_rows.direct_action(broker, clock)
    if row == "gate_checks_only":
        clock = ManualClock(gate_rows.START)
        recording = RecordingBroker(clock)
        await recording.connect()
        gate = gate_rows.bench_gate(recording, clock, None)
        return gate_rows.recorded_action(gate, recording, clock)
    if row.startswith("gate_pass_book_"):  # allowed limit orders, 0 or 5,000 of ours resting
        return await gate_rows.book_action(int(row.rsplit("_", 1)[1]), workdir / f"{row}.jsonl")
    kind = {
        "gate_pass": "allowed",
        "gate_block_limit": "blocked_limit",
        "gate_block_breaker": "blocked_breaker",
        "gate_halted": "halted",
    }[row]
    gate, sim, clock = await gate_rows.sim_gate(str(workdir / f"{row}.jsonl"))
    return gate_rows.gate_scenario(kind, gate, sim, clock)


ABLATIONS = ("empty_checks", "no_checks")
"""What ``--ablate`` takes away from the judge, to measure what the list of checks costs.

``empty_checks``: every gate and rule is replaced by a check that returns no reason at
once (what is left of the checks is the list itself: one call per check).
``no_checks``: the judge runs no check at all (everything else of a decision).
Only for rows whose orders pass (without their checks the blocking rows would not block).
"""
ABLATABLE = ("gate_pass", "gate_checks_only", "gate_pass_book_0", "gate_pass_book_5000")


def _no_reason(_ctx: object) -> tuple[()]:
    return ()


class _NothingToPrepare:
    def prepare(self, _ctx: object) -> None:
        pass


async def _empty_judge() -> Callable[[int], object]:
    """The judge itself, over as many checks as the benchmark gate runs, each returning nothing.

    The floor of checks as a list of functions: one Python call per check, and nothing
    else (no context is prepared, no record is written).
    """
    from benchmarks import gate_rows  # noqa: PLC0415
    from benchmarks.recording import RecordingBroker  # noqa: PLC0415
    from hydra.application.judge import Judge  # noqa: PLC0415
    from hydra.application.named import NamedCheck  # noqa: PLC0415
    from hydra.domain import ManualClock  # noqa: PLC0415

    clock = ManualClock(gate_rows.START)
    recording = RecordingBroker(clock)
    await recording.connect()
    built = gate_rows.bench_gate(recording, clock, None)._judge
    judge = Judge(
        _NothingToPrepare(),  # type: ignore[arg-type]
        [NamedCheck(name, _no_reason) for name, _ in built._gates],
        [NamedCheck(name, _no_reason) for name, _ in built._rules],
    )
    judged = judge.judge
    return lambda _i: judged(None)  # type: ignore[arg-type]


def _straight_line(count: int) -> Callable[[int], object]:
    """The least a list of ``count`` checks can cost: each called once, in straight-line code.

    No loop, no ``try``, no judge: a function written out call by call (as a code
    generator would), each check returning nothing at once. Set against
    ``judge_empty_checks``, it shows what the judge's loop adds to the calls themselves.
    """
    names = {f"check{i}": _no_reason for i in range(count)}
    body = "".join(
        f"    found = check{i}(ctx)\n    if found:\n        reasons.extend(found)\n"
        for i in range(count)
    )
    source = f"def judged(ctx):\n    reasons = []\n{body}    return tuple(reasons)\n"
    exec(source, names)  # noqa: S102  (our own text: a sketch, not the gate)
    judged = names["judged"]
    return lambda _i: judged(None)


def _ablate(variant: str) -> None:
    """Make every Judge built from now on judge as ``variant`` says (see ``ABLATIONS``)."""
    from hydra.application.judge import Judge  # noqa: PLC0415
    from hydra.application.named import NamedCheck  # noqa: PLC0415

    built = Judge.__init__

    def ablated(self: Judge, builder: Any, gates: Any, rules: Any) -> None:
        if variant == "no_checks":
            gates, rules = (), ()
        else:
            gates = [NamedCheck(check.name, _no_reason) for check in gates]
            rules = [NamedCheck(check.name, _no_reason) for check in rules]
        built(self, builder, gates, rules)

    Judge.__init__ = ablated  # type: ignore[method-assign]


def inside(row: str, count: int, ablate: str = "") -> None:
    """The measured process: warm up, then ``count`` actions inside functools.reduce."""
    import logging  # noqa: PLC0415

    from hydra.logs import configure_production  # noqa: PLC0415

    if ablate:
        _ablate(ablate)
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "bench.log", "ab") as log:
        configure_production(level="warning" if row == "gate_checks_only" else "info", file=log)
        logging.getLogger("ib_async").setLevel(logging.CRITICAL)
        action = asyncio.run(_action(row, Path(tmp)))
        for i in range(WARM_UP):
            action(i)

        def measured(_a: object, _b: object) -> None:
            for i in range(count):
                action(i)

        functools.reduce(measured, [0, 1])


def count_instructions(row: str, count: int, ablate: str = "") -> float:
    """Instructions per action of ``row``, from one callgrind run of ``count`` actions."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(  # noqa: S603  (our own interpreter and module, fixed arguments)
            [
                valgrind,
                "--tool=callgrind",
                "--toggle-collect=functools_reduce",
                f"--callgrind-out-file={tmp}/cg.out",
                sys.executable,
                "-m",
                "benchmarks.instructions",
                "--inside",
                row,
                str(count),
                *(("--ablate", ablate) if ablate else ()),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = _TOTAL.search(out.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(found.group(1)) / count


def main(argv: list[str] | None = None) -> None:
    """Print instructions per action for each row asked for (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("rows", nargs="*", help=f"any of {', '.join(ROWS)} (default: all)")
    parser.add_argument("--count", type=int, default=500, help="measured actions per row")
    parser.add_argument(
        "--ablate",
        choices=ABLATIONS,
        default="",
        help=f"take the checks away (rows {', '.join(ABLATABLE)} only)",
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        inside(args.rows[0], int(args.rows[1]), args.ablate)
        return
    rows = args.rows if args.rows or not args.ablate else list(ABLATABLE)
    for row in rows or ROWS:
        if row not in ROWS:
            parser.error(f"unknown row {row!r}")
        if args.ablate and row not in ABLATABLE:
            parser.error(f"{row!r} blocks its orders: without its checks it would not")
        per_action = count_instructions(row, args.count, args.ablate)
        print(f"{row:22s} {per_action:12,.0f} instructions/action")


if __name__ == "__main__":
    main()
