"""The ``hydra`` command.

``hydra demo`` runs a simulated session through the RiskGate (no gateway needed);
``hydra trade`` runs a trader (gate + control server over the configured broker);
``hydra status | positions | orders | breakers`` read the running trader through its
control server (``--ib``: IB as the CLI client, id 3, read-only; see ``reads``);
``hydra halt | reduce | resume | reset-breaker | kill`` operate it (``kill`` falls back to
IB's global cancel as the emergency client when none answers); ``hydra journal`` reads
the audit trail; ``hydra fake-gateway`` serves the fake IB Gateway for dry runs;
``hydra completion`` prints a shell completion script (``shell``). Broker connections
come from the container (``cli_gateway``, ``emergency_client``), never built here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from hydra.domain import HydraError
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
    control_parent,
    run_control_command,
    seconds,
    who_why_parent,
)
from hydra.entrypoints.reads import BREAKER_NAMES, add_read_commands, port_number, run_read
from hydra.entrypoints.render import breaker_table, render_table
from hydra.entrypoints.shell import (
    add_completion_command,
    add_shell_options,
    configure_output,
    exit_status,
    run_completion,
)
from hydra.entrypoints.trader import LadderConfig, run_trader
from hydra.testing import serve

if TYPE_CHECKING:
    from hydra.adapters.control import ControlServer
    from hydra.application import RiskGate

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
    from dependency_injector import providers  # noqa: PLC0415  (ib_async and the container load only for commands that use them)

    from hydra.container import build_container  # noqa: PLC0415

    container = build_container(args.config, overrides={"broker": broker, "control": control})
    checked_journal(container.settings().journal.path, field="journal.path", must_exist=False)
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
        settings = container.settings()
        broker = settings.broker
        where = (
            "the simulator"
            if broker.mode == "sim"
            else f"{broker.host}:{broker.port} as client id {broker.client_id} ({broker.mode})"
        )
        print(
            f"HYDRA trader on {where}; trading {gate.trading_state.value}; "
            f"control server {server.url}\n"
            f"  journal:     {settings.journal.path}\n"
            f"  token file:  {server.token_file}\n"
            f"  ladder:      {ladder.levels} x BUY {ladder.quantity:g} {ladder.symbol}, "
            f"{ladder.offset:.2%} apart below the reference price\n"
            "  operate it:  hydra status | halt | kill --reason ...  (SIGTERM stops it)",
            flush=True,
        )

    await run_trader(container, ladder, on_ready=ready)
    print("hydra trade: stopped", file=sys.stderr)
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
        "--log-level",
        default="error",
        help="debug, info, warning or error (default error); debug also shows ib_async's lines",
    )
    add_shell_options(parser)
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
        type=port_number,
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
    trade.add_argument(
        "--port", type=port_number, default=None, help="gateway port (default config)"
    )
    trade.add_argument(
        "--control-port",
        type=port_number,
        default=None,
        help="control server port (default config)",
    )
    trade.add_argument("--symbol", default="SPY", help="instrument to rest orders in (SPY)")
    trade.add_argument("--levels", type=int, default=3, help="resting orders, 1-20 (default 3)")
    trade.add_argument(
        "--quantity", type=float, default=1.0, help="shares (contracts) per order (default 1)"
    )
    trade.add_argument(
        "--offset",
        type=float,
        default=0.01,
        help="level spacing below the reference price as a FRACTION of it: 0.01 = 1%% "
        "(default 0.01; offset x levels must stay below 1)",
    )
    trade.add_argument(
        "--interval", type=seconds, default=0.5, help="seconds between steps (default 0.5)"
    )
    trade.add_argument(
        "--new-journal",
        action="store_true",
        help="start a fresh journal (the old one and its anchor are archived with a timestamp); "
        "without it a missing or damaged journal restores HALTED",
    )

    add_read_commands(commands)
    control = control_parent()
    audited = who_why_parent()
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
    reset.add_argument("name", choices=BREAKER_NAMES, help=", ".join(BREAKER_NAMES))
    add_kill_command(commands, [control, audited], port_number)

    add_journal_commands(commands)

    fake = commands.add_parser("fake-gateway", help="serve a fake IB Gateway for dry runs")
    fake.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    fake.add_argument("--port", type=port_number, default=4002, help="port (default 4002)")
    add_completion_command(parser, commands)
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "demo": _demo,
    "trade": _trade,
    "status": run_read,
    "positions": run_read,
    "orders": run_read,
    "breakers": run_read,
    "kill": run_kill,
    "halt": run_control_command,
    "reduce": run_control_command,
    "resume": run_control_command,
    "reset-breaker": run_control_command,
    "journal": run_journal_command,
    "fake-gateway": _fake_gateway,
    "completion": run_completion,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hydra`` console script; returns the exit code.

    Exit codes: 0 success, 1 the broker or the trader failed (e.g. no gateway), 2 a usage
    error (a bad argument, input or config, or a request the trader refused as invalid).
    """
    args = _parser().parse_args(argv)
    try:
        configure_output(args)
    except ValueError as exc:
        print(f"hydra: --log-level: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_COMMANDS[args.command](args))
    except HydraError as exc:  # exit 2: a usage error (bad input, config); 1: anything else
        print(f"hydra {args.command}: {exc}", file=sys.stderr)
        return exit_status(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        return 0
    except OSError as exc:  # e.g. a journal that cannot be read: a sentence, no traceback
        print(f"hydra {args.command}: {exc.strerror or exc} ({exc.filename})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
