"""The ``hydra`` command: ``hydra demo`` runs a simulated session through the RiskGate."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from hydra.demo import MIN_ORDERS, DemoReport, run_demo
from hydra.domain import HydraError
from hydra.logs import configure_logging

__all__ = ["main", "render_table"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain-text table with aligned columns."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


def _print_demo(report: DemoReport) -> None:
    data = report.as_json()
    print(f"HYDRA demo: simulated session through the RiskGate (seed {report.seed})\n")
    print(
        render_table(
            ["time (UTC)", "symbol", "side", "qty", "price", "outcome", "triggered", "status"],
            [
                [
                    row.time.strftime("%H:%M"),
                    row.symbol,
                    row.side,
                    row.quantity,
                    row.price,
                    "ALLOWED" if row.allowed else "BLOCKED",
                    row.triggered,
                    row.status,
                ]
                for row in report.rows
            ],
        )
    )
    print("\nPositions")
    print(
        render_table(
            ["symbol", "qty", "avg cost", "price"],
            [[p["symbol"], p["quantity"], p["avg_cost"], p["price"]] for p in data["positions"]],
        )
    )
    print("\nAccount")
    print(render_table(["field", "value"], [[k, v] for k, v in data["account"].items()]))
    print("\nCircuit breakers")
    print(
        render_table(
            ["breaker", "state", "last value", "threshold", "since"],
            [
                [b["name"], b["state"], b["value"], b["threshold"], b["since"]]
                for b in data["breakers"]
            ],
        )
    )
    allowed = sum(row.allowed for row in report.rows)
    print(f"\n{allowed} allowed, {len(report.rows) - allowed} blocked.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hydra", description="HYDRA: risk-gated order execution for Interactive Brokers."
    )
    parser.add_argument(
        "--log-level", default="warning", help="debug, info, warning or error (default warning)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a simulated session through the RiskGate")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--orders", type=int, default=12, help=f"orders to submit (>= {MIN_ORDERS}, default 12)"
    )
    demo.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hydra`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        configure_logging(level=args.log_level)
    except ValueError as exc:
        print(f"hydra: --log-level: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "demo":
            report = asyncio.run(run_demo(seed=args.seed, orders=args.orders))
            if args.json:
                print(json.dumps(report.as_json(), indent=2))
            else:
                _print_demo(report)
            return 0
    except HydraError as exc:
        print(f"hydra {args.command}: {exc}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover  (argparse rejects unknown commands first)


if __name__ == "__main__":
    sys.exit(main())
