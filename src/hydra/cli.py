"""The ``hydra`` command.

``hydra demo`` runs a simulated session through the RiskGate (no gateway needed);
``hydra status | positions | breakers`` read a gateway as the CLI client (id 3, read-only);
``hydra fake-gateway`` serves the fake IB Gateway for dry runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from hydra.adapters.ib import BrokerGateway
from hydra.container import build_container
from hydra.demo import MIN_ORDERS, DemoReport, run_demo
from hydra.domain import (
    CircuitBreakerManager,
    ClientRole,
    ConfigError,
    HydraError,
    InvalidInputError,
)
from hydra.logs import configure_logging
from hydra.testing import serve

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


# ---------------------------------------------------------------------------- demo
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
                    f"{row.price:.2f}",
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
    print(_breaker_table(data["breakers"]))
    allowed = sum(row.allowed for row in report.rows)
    print(f"\n{allowed} allowed, {len(report.rows) - allowed} blocked.")


def _breaker_table(rows: list[dict[str, Any]]) -> str:
    return render_table(
        ["breaker", "state", "last value", "threshold", "since"],
        [[b["name"], b["state"], b["value"], b["threshold"], b["since"]] for b in rows],
    )


async def _demo(args: argparse.Namespace) -> int:
    report = await run_demo(seed=args.seed, orders=args.orders)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        _print_demo(report)
    return 0


# ---------------------------------------------------------------------------- gateway reads
async def _with_cli_gateway(
    args: argparse.Namespace, body: Callable[[BrokerGateway], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Connect as the CLI client (id 3, read-only), run ``body``, always disconnect."""
    settings = build_container(args.config).config
    host = args.host or settings.broker.host()
    port = args.port or settings.broker.port()
    gateway = BrokerGateway(host, port, ClientRole.CLI.value, connect_timeout=args.timeout)
    await gateway.connect()
    try:
        return await body(gateway)
    finally:
        await gateway.disconnect()


async def _status_data(gateway: BrokerGateway) -> dict[str, Any]:
    account = gateway.get_account_summary()
    return {
        "host": gateway.host,
        "port": gateway.port,
        "mode": gateway.mode,
        "client_id": gateway.client_id,
        "connection": gateway.connection_state.value,
        "account": account.account,
        "currency": account.currency,
        "net_liquidation": account.net_liquidation,
        "cash": account.cash,
        "realized_pnl": account.realized_pnl,
        "unrealized_pnl": account.unrealized_pnl,
        "positions": len(gateway.get_positions()),
    }


async def _positions_data(gateway: BrokerGateway) -> dict[str, Any]:
    return {
        "account": gateway.get_account_summary().account,
        "positions": [
            {"symbol": p.symbol, "quantity": p.quantity, "avg_cost": p.avg_cost}
            for p in gateway.get_positions()
        ],
    }


def _breakers_data_for(
    args: argparse.Namespace,
) -> Callable[[BrokerGateway], Awaitable[dict[str, Any]]]:
    async def body(gateway: BrokerGateway) -> dict[str, Any]:
        container = build_container(args.config)
        breakers: CircuitBreakerManager = container.breakers()
        account = gateway.get_account_summary()
        return {
            "account": account.account,
            "net_liquidation": account.net_liquidation,
            "breakers": [
                {
                    "name": status.name.value,
                    "state": status.state.value,
                    "value": status.value,
                    "threshold": status.threshold,
                    "since": status.since.isoformat() if status.since else None,
                }
                for status in breakers.status()
            ],
        }

    return body


async def _read(args: argparse.Namespace) -> int:
    if args.command == "status":
        data = await _with_cli_gateway(args, _status_data)
        text = render_table(["field", "value"], [[k, v] for k, v in data.items()])
    elif args.command == "positions":
        data = await _with_cli_gateway(args, _positions_data)
        text = f"Positions of {data['account']}\n" + (
            render_table(
                ["symbol", "qty", "avg cost"],
                [[p["symbol"], p["quantity"], p["avg_cost"]] for p in data["positions"]],
            )
            if data["positions"]
            else "(no positions)"
        )
    else:
        data = await _with_cli_gateway(args, _breakers_data_for(args))
        text = (
            f"Circuit breakers for {data['account']} (equity {data['net_liquidation']:,.2f})\n"
            + _breaker_table(data["breakers"])
        )
    print(json.dumps(data, indent=2) if args.json else text)
    return 0


async def _fake_gateway(args: argparse.Namespace) -> int:
    print(f"fake IB Gateway listening on {args.host}:{args.port} (Ctrl-C stops)", file=sys.stderr)
    await serve(args.host, args.port)
    return 0  # pragma: no cover  (serve runs until cancelled)


# ---------------------------------------------------------------------------- parser
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

    for name, text in (
        ("status", "connection and account summary of a gateway"),
        ("positions", "positions at a gateway"),
        ("breakers", "circuit breaker thresholds and states, with the account's equity"),
    ):
        read = commands.add_parser(name, help=f"{text} (client id 3, read-only)")
        read.add_argument("--host", default=None, help="gateway host (default from config)")
        read.add_argument(
            "--port", type=int, default=None, help="gateway port (default from config: 4002)"
        )
        read.add_argument("--timeout", type=float, default=5.0, help="connect timeout, seconds")
        read.add_argument("--config", default=None, help="TOML config file (or $HYDRA_CONFIG)")
        read.add_argument("--json", action="store_true", help="machine-readable output")

    fake = commands.add_parser("fake-gateway", help="serve a fake IB Gateway for dry runs")
    fake.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    fake.add_argument("--port", type=int, default=4002, help="port (default 4002)")
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "demo": _demo,
    "status": _read,
    "positions": _read,
    "breakers": _read,
    "fake-gateway": _fake_gateway,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hydra`` console script; returns the exit code.

    Exit codes: 0 success, 1 the broker failed (e.g. no gateway), 2 bad input or config.
    """
    args = _parser().parse_args(argv)
    try:
        configure_logging(level=args.log_level)
    except ValueError as exc:
        print(f"hydra: --log-level: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_COMMANDS[args.command](args))
    except (InvalidInputError, ConfigError) as exc:
        print(f"hydra {args.command}: {exc}", file=sys.stderr)
        return 2
    except HydraError as exc:
        print(f"hydra {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        return 0


if __name__ == "__main__":
    sys.exit(main())
