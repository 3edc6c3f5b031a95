"""The ``hydra`` command.

``hydra demo`` runs a simulated session through the RiskGate (no gateway needed);
``hydra trade`` runs a trader (gate + control server over the configured broker);
``hydra status | halt | reduce | resume | reset-breaker | kill`` operate a running trader
through its control server (``kill`` falls back to IB's global cancel as the emergency
client when none answers); ``hydra status --port | positions | breakers`` read a gateway
as the CLI client (id 3, read-only); ``hydra journal`` reads the audit trail;
``hydra fake-gateway`` serves the fake IB Gateway for dry runs. Broker connections come
from the container (``cli_gateway``, ``emergency_client``), never built here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from dependency_injector import providers

from hydra.adapters.control import ControlServer
from hydra.adapters.ib import BrokerGateway
from hydra.application import RiskGate, replay_journal
from hydra.container import Container, build_container, read_previous
from hydra.domain import (
    CircuitBreakerManager,
    ConfigError,
    HydraError,
    InvalidInputError,
)
from hydra.entrypoints.demo import (
    DEFAULT_DEMO_JOURNAL,
    MIN_ORDERS,
    DemoReport,
    run_demo,
    serve_demo,
)
from hydra.entrypoints.journal_commands import add_journal_commands, run_journal_command
from hydra.entrypoints.kill import add_kill_command, run_kill
from hydra.entrypoints.operator import (
    checked_journal,
    common_parent,
    control_parent,
    run_control_command,
    seconds,
    who_why_parent,
)
from hydra.entrypoints.render import breaker_table, render_table
from hydra.entrypoints.trader import LadderConfig, run_trader
from hydra.logs import configure_logging
from hydra.testing import serve

__all__ = ["main", "render_table"]


# ---------------------------------------------------------------------------- demo
def _print_demo(report: DemoReport) -> None:
    data = report.as_json()
    print(f"HYDRA demo: simulated session through the RiskGate (seed {report.seed})\n")
    print(
        render_table(
            [
                "time (UTC)",
                "symbol",
                "side",
                "qty",
                "type",
                "price",
                "outcome",
                "triggered",
                "status",
            ],
            [
                [
                    row.time.strftime("%H:%M"),
                    row.symbol,
                    row.side,
                    row.quantity,
                    row.order_type,
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
    for bracket in data["brackets"]:
        legs = "; ".join(
            f"{role.replace('_', '-')} {leg['status']}"
            + (f" at {leg['fill_price']:.2f}" if leg["fill_price"] else "")
            for role, leg in bracket.items()
        )
        print(f"\nBracket (MSFT): {legs}")
    kill = data["kill_switch"]
    if kill is not None:
        print(
            f"\nKill switch: trading {data['trading_state']}; cancelled orders "
            f"{kill['cancelled'] or 'none'}; failed cancels {kill['failed'] or 'none'}"
        )
    allowed = sum(row.allowed for row in report.rows)
    print(f"\n{allowed} allowed, {len(report.rows) - allowed} blocked.")
    print(f"Audit journal: {report.journal}  (read it: hydra journal {report.journal})")


_breaker_table = breaker_table


async def _demo(args: argparse.Namespace) -> int:
    if args.serve:
        await serve_demo(
            seed=args.seed, journal=args.journal, port=args.port, on_ready=_print_console
        )
        print("hydra demo: stopped", file=sys.stderr)
        return 0
    report = await run_demo(seed=args.seed, orders=args.orders, journal=args.journal)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        _print_demo(report)
    return 0


def _print_console(server: ControlServer) -> None:
    print(
        f"HYDRA demo trading on the simulator; control server {server.url}\n"
        f"  web console:  {server.url}/  (paste the token from the file below)\n"
        f"  token file:   {server.token_file}\n"
        f"  from another terminal:  uv run hydra status   |   uv run hydra halt --reason ...\n"
        "  Ctrl-C (or SIGTERM) stops it.",
        flush=True,
    )


# ---------------------------------------------------------------------------- trade
async def _trade(args: argparse.Namespace) -> int:
    broker: dict[str, object] = {}
    if args.broker:
        broker["mode"] = args.broker
    if args.host:
        broker["host"] = args.host
    if args.port:
        broker["port"] = args.port
    control: dict[str, object] = {"enabled": True}
    if args.control_port:
        control["port"] = args.control_port
    container = build_container(args.config, overrides={"broker": broker, "control": control})
    checked_journal(container.config.journal.path(), field="journal.path", must_exist=False)
    if args.new_journal:
        # Deliberate only: the old journal and its anchor are archived, never deleted.
        container.new_journal.override(providers.Object(True))  # noqa: FBT003
    ladder = LadderConfig(
        symbol=args.symbol,
        levels=args.levels,
        quantity=args.quantity,
        offset=args.offset,
        interval=args.interval,
    )

    def ready(server: ControlServer, gate: RiskGate) -> None:
        config = container.config
        where = (
            "the simulator"
            if config.broker.mode() == "sim"
            else f"{config.broker.host()}:{config.broker.port()} as client id "
            f"{config.broker.client_id()} ({config.broker.mode()})"
        )
        print(
            f"HYDRA trader on {where}; trading {gate.trading_state.value}; "
            f"control server {server.url}\n"
            f"  journal:     {config.journal.path()}\n"
            f"  token file:  {server.token_file}\n"
            f"  ladder:      {ladder.levels} x BUY {ladder.quantity:g} {ladder.symbol}, "
            f"{ladder.offset:.2%} apart below the reference price\n"
            "  operate it:  hydra status | halt | kill --reason ...  (SIGTERM stops it)",
            flush=True,
        )

    await run_trader(container, ladder, on_ready=ready)
    print("hydra trade: stopped", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- gateway reads
_ReadBody = Callable[[BrokerGateway, Container, argparse.Namespace], dict[str, Any]]


async def _with_cli_gateway(args: argparse.Namespace, body: _ReadBody) -> dict[str, Any]:
    """Connect the container's CLI gateway (id 3, read-only), run ``body``, disconnect.

    ``--host``/``--port`` override the configured gateway address.
    """
    container = build_container(args.config)
    if getattr(args, "journal", None) is not None:  # bad input fails before connecting
        checked_journal(args.journal, field="--journal", must_exist=True)
    where = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    gateway: BrokerGateway = container.cli_gateway(connect_timeout=args.timeout, **where)
    await gateway.connect()
    try:
        return body(gateway, container, args)
    finally:
        await gateway.disconnect()


def _status_data(gateway: BrokerGateway, _c: Container, _a: argparse.Namespace) -> dict[str, Any]:
    account = gateway.account()
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
        "positions": len(gateway.positions()),
    }


def _positions_data(
    gateway: BrokerGateway, _c: Container, _a: argparse.Namespace
) -> dict[str, Any]:
    return {
        "account": gateway.account().account,
        "positions": [
            {"symbol": p.symbol, "quantity": p.quantity, "avg_cost": p.avg_cost}
            for p in gateway.positions()
        ],
    }


def _breakers_data(
    gateway: BrokerGateway, container: Container, args: argparse.Namespace
) -> dict[str, Any]:
    breakers: CircuitBreakerManager = container.breakers()
    journal_path = args.journal or container.config.journal.path()
    if journal_path and not args.journal:
        checked_journal(journal_path, field="journal.path", must_exist=False)
    memory = read_previous(journal_path).memory if journal_path else None  # checkpoint + tail
    replay = replay_journal([memory.as_json()] if memory else []) if journal_path else None
    if replay is not None:
        breakers.restore(replay.trips)
    account = gateway.account()
    return {
        "account": account.account,
        "net_liquidation": account.net_liquidation,
        "journal": journal_path or None,
        "trading_state": replay.trading_state.value if replay else None,
        "breakers": [status.as_json() for status in breakers.status()],
    }


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
        data = await _with_cli_gateway(args, _breakers_data)
        text = (
            f"Circuit breakers for {data['account']} (equity {data['net_liquidation']:,.2f}; "
            f"latched state from {data['journal'] or 'no journal'}; "
            f"trading {data['trading_state'] or 'ACTIVE'})\n" + _breaker_table(data["breakers"])
        )
    print(json.dumps(data, indent=2) if args.json else text)
    return 0


async def _status(args: argparse.Namespace) -> int:
    """The trader's status from its control server; a gateway's with --host/--port."""
    if args.host is not None or args.port is not None:
        return await _read(args)
    return await run_control_command(args)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{value} is out of range (1-65535)")
    return value


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
        "--log-level", default="error", help="debug, info, warning or error (default error)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run a simulated session through the RiskGate")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--orders", type=int, default=12, help=f"orders to submit (>= {MIN_ORDERS}, default 12)"
    )
    demo.add_argument(
        "--journal",
        default=DEFAULT_DEMO_JOURNAL,
        help=f"audit journal file, recreated each run (default {DEFAULT_DEMO_JOURNAL})",
    )
    demo.add_argument("--json", action="store_true", help="machine-readable output")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="keep trading with the control server up until Ctrl-C (see hydra status)",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=None,
        help="control server port with --serve (default: the config's, HYDRA_CONTROL_PORT)",
    )

    trade = commands.add_parser(
        "trade",
        help="run a trader: gate + control server over the configured broker, keeping a "
        "ladder of resting BUY limit orders (hydra status/halt/kill operate it)",
    )
    trade.add_argument("--config", default=None, help="TOML config file (or $HYDRA_CONFIG)")
    trade.add_argument(
        "--broker", choices=["sim", "paper"], default=None, help="broker mode (default config)"
    )
    trade.add_argument("--host", default=None, help="gateway host (default from config)")
    trade.add_argument("--port", type=_port, default=None, help="gateway port (default config)")
    trade.add_argument(
        "--control-port", type=_port, default=None, help="control server port (default config)"
    )
    trade.add_argument("--symbol", default="SPY", help="instrument to rest orders in (SPY)")
    trade.add_argument("--levels", type=int, default=3, help="resting orders (default 3)")
    trade.add_argument("--quantity", type=float, default=1.0, help="per order (default 1)")
    trade.add_argument(
        "--offset", type=float, default=0.01, help="level spacing below the price (0.01)"
    )
    trade.add_argument("--interval", type=seconds, default=0.5, help="seconds per step (0.5)")
    trade.add_argument(
        "--new-journal",
        action="store_true",
        help="start a fresh journal (the old one and its anchor are archived with a timestamp); "
        "without it a missing or damaged journal restores HALTED",
    )

    control = control_parent()
    audited = who_why_parent()
    common = common_parent()
    for name, text in (
        ("status", "the running trader's state (control server); with --host/--port a gateway's"),
        ("positions", "positions at a gateway"),
        ("breakers", "circuit breaker thresholds and states, with the account's equity"),
    ):
        if name == "status":
            read = commands.add_parser(name, help=text, parents=[control])
        else:
            read = commands.add_parser(
                name, help=f"{text} (client id 3, read-only)", parents=[common]
            )
        read.add_argument("--host", default=None, help="gateway host (default from config)")
        read.add_argument(
            "--port", type=_port, default=None, help="gateway port (default from config: 4002)"
        )
        if name == "breakers":
            read.add_argument("--journal", default=None, help="journal to restore state from")

    for name, text in (
        ("halt", "HALT the running trader: no order passes"),
        ("reduce", "REDUCING: only orders that shrink a position pass"),
        ("resume", "back to ACTIVE"),
    ):
        commands.add_parser(
            name, help=f"{text} (via its control server)", parents=[control, audited]
        )
    reset = commands.add_parser(
        "reset-breaker",
        help="re-arm a latched breaker (via the control server)",
        parents=[control, audited],
    )
    reset.add_argument("name", help="daily_loss, drawdown, position_size or trade_loss")
    add_kill_command(commands, [control, audited], _port)

    add_journal_commands(commands)

    fake = commands.add_parser("fake-gateway", help="serve a fake IB Gateway for dry runs")
    fake.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    fake.add_argument("--port", type=_port, default=4002, help="port (default 4002)")
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "demo": _demo,
    "trade": _trade,
    "status": _status,
    "positions": _read,
    "breakers": _read,
    "kill": run_kill,
    "halt": run_control_command,
    "reduce": run_control_command,
    "resume": run_control_command,
    "reset-breaker": run_control_command,
    "journal": run_journal_command,
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
    except OSError as exc:  # e.g. a journal that cannot be read: a sentence, no traceback
        print(f"hydra {args.command}: {exc.strerror or exc} ({exc.filename})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
