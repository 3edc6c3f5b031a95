"""``hydra status | positions | orders | breakers``: what the running trader holds.

By default each reads the running trader through its control server (the same client as
``hydra halt``), so it shows the trader's own view: its positions at market, its orders,
its breakers and what they block now. ``--ib`` (implied by ``--host``, ``--port`` and
``breakers --journal``) asks IB directly instead, as the read-only CLI client (id 3): the
account as IB reports it, every open order of the account (IB lists other clients' orders
to client 3 when asked: reqAllOpenOrders), the latched breakers replayed from the journal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from hydra.adapters.control.shown import contract_fields, order_json
from hydra.application import replay_journal
from hydra.domain import BreakerName, CircuitBreakerManager
from hydra.entrypoints.operator import (
    checked_journal,
    configured,
    control_parent,
    reach_trader,
    run_control_command,
)
from hydra.entrypoints.render import breaker_table, money, percent, render_json, render_table
from hydra.restart import read_previous

if TYPE_CHECKING:
    from hydra.adapters.ib import BrokerGateway
    from hydra.container import Container

__all__ = ["BREAKER_NAMES", "READ_COMMANDS", "add_read_commands", "port_number", "run_read"]

READ_COMMANDS = ("status", "positions", "orders", "breakers")
"""The commands ``run_read`` answers."""

BREAKER_NAMES = tuple(b.value for b in BreakerName)
"""What ``hydra reset-breaker NAME`` accepts (anything else is a usage error, exit 2)."""


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{value} is out of range (1-65535)")
    return value


def add_read_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``status``, ``positions``, ``orders`` and ``breakers`` to the ``hydra`` parser."""
    for name, text in (
        ("status", "the running trader's state, outlook, money and breakers"),
        ("positions", "the trader's positions at market: price, value, P&L (base currency)"),
        ("orders", "the trader's open orders (foreign ones too)"),
        ("breakers", "circuit breakers: state, value, threshold, until when; the outlook"),
    ):
        read = commands.add_parser(
            name,
            help=f"{text} (via its control server; --ib: from IB as client 3)",
            parents=[control_parent()],
        )
        read.add_argument(
            "--ib",
            action="store_true",
            help="ask IB directly as the read-only CLI client (id 3) instead of the trader",
        )
        read.add_argument("--host", default=None, help="gateway host for --ib (default config)")
        read.add_argument(
            "--port",
            type=port_number,
            default=None,
            help="gateway port for --ib (default config: 4002); implies --ib",
        )
        if name == "status":
            read.add_argument(
                "--instrument",
                metavar="SYMBOL",
                default=None,
                help="show the limits this instrument is judged by (its type's and its own "
                "overrides, the account-wide rules) instead of the status",
            )
            read.add_argument(
                "--sec-type", default="STK", help="with --instrument: STK, FUT, OPT, ..."
            )
            read.add_argument(
                "--expiry", default="", help="with --instrument: YYYYMM or YYYYMMDD (futures)"
            )
        if name == "breakers":
            read.add_argument(
                "--journal",
                default=None,
                help="journal to replay latched trips from (default config); implies --ib",
            )


# ---------------------------------------------------------------------------- the trader
def _from_trader(args: argparse.Namespace, path: str) -> tuple[Any, str]:
    """GET ``path`` from the trader (the operator's one way in): (answer, where from)."""
    container = configured(args)
    client, data = reach_trader(args, container, lambda c: c.get(path))
    return data, client.where


def _positions_text(data: dict[str, Any], url: str) -> str:
    base = data["currency"]
    rows = [
        [
            p["label"],
            p["quantity"],
            p["avg_cost"],
            p["market_price"],
            p["currency"],
            money(p["market_value"]),
            money(p["unrealized_pnl"], signed=True),
        ]
        for p in data["positions"]
    ]
    headers = [
        "symbol",
        "qty",
        "avg cost",
        "price",
        "ccy",
        f"value {base}",
        f"unrealised P&L {base}",
    ]
    table = render_table(headers, rows) if rows else "(no positions)"
    return f"Positions of the trader at {url}\n{table}"


_ORDER_COLUMNS = ("id", "symbol", "side", "qty", "terms", "status", "filled")


def _order_row(order: dict[str, Any]) -> list[Any]:
    """An order (``shown.order_json``) as a row of ``_ORDER_COLUMNS``."""
    return [
        order["order_id"],
        order["label"],
        order["side"],
        order["quantity"],
        order["terms"],
        order["status"],
        order["filled"],
    ]


def _orders_text(data: dict[str, Any], url: str) -> str:
    rows = [[*_order_row(o), "foreign" if o.get("foreign") else ""] for o in data["orders"]]
    table = render_table([*_ORDER_COLUMNS, ""], rows) if rows else "(no open orders)"
    return f"Open orders of the trader at {url}\n{table}"


def _breakers_text(status: dict[str, Any], url: str) -> str:
    until = {b["breaker"]: b["until_text"] for b in status["outlook"]["blockers"]}
    rows = [
        [
            b["name"],
            b["state"],
            percent(b["value"]),
            percent(b["threshold"]),
            b["since"],
            until.get(b["name"], "-"),
        ]
        for b in status["breakers"]
    ]
    headers = ["breaker", "state", "last value", "threshold", "since", "until"]
    return (
        f"{status['outlook']['text']}  (trader at {url})\n"
        + render_table(headers, rows)
        + "\nValues and thresholds are fractions of equity (drawdown: of the peak)."
    )


def _limits_text(data: dict[str, Any], url: str) -> str:
    rows = [[name, _shown(value)] for name, value in data["limits"].items()]
    rows += [[f"{name} (account)", _shown(v)] for name, v in (data["account_limits"] or {}).items()]
    return (
        f"Limits for {data['instrument']} ({data['sec_type']}, contract {data['con_id']}) "
        f"at the trader {url}\n" + render_table(["limit", "value"], rows)
    )


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items())
    return "off" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


_TRADER_READS: dict[str, tuple[str, Callable[[dict[str, Any], str], str]]] = {
    "positions": ("/positions", _positions_text),
    "orders": ("/orders", _orders_text),
    "breakers": ("/status", _breakers_text),
}


# ---------------------------------------------------------------------------- IB (client 3)
_GatewayRead = Callable[["BrokerGateway", "Container", argparse.Namespace], dict[str, Any]]


async def _with_cli_gateway(args: argparse.Namespace, body: _GatewayRead) -> dict[str, Any]:
    """Connect the container's CLI gateway (id 3, read-only), run ``body``, disconnect."""
    container = configured(args)
    if getattr(args, "journal", None) is not None:  # bad input fails before connecting
        checked_journal(args.journal, field="--journal", must_exist=True)
    where = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    gateway: BrokerGateway = container.cli_gateway(connect_timeout=args.timeout, **where)
    await gateway.connect()
    try:
        return body(gateway, container, args)
    finally:
        await gateway.disconnect()


def _ib_status(gateway: BrokerGateway, _c: Container, _a: argparse.Namespace) -> dict[str, Any]:
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


def _ib_positions(gateway: BrokerGateway, _c: Container, _a: argparse.Namespace) -> dict[str, Any]:
    return {
        "account": gateway.account().account,
        "positions": [
            {**contract_fields(p.instrument), "quantity": p.quantity, "avg_cost": p.avg_cost}
            for p in gateway.positions()
        ],
    }


def _ib_orders(gateway: BrokerGateway, _c: Container, _a: argparse.Namespace) -> dict[str, Any]:
    return {
        "account": gateway.account().account,
        "orders": [order_json(h) for h in gateway.open_orders()],
    }


def _ib_breakers(
    gateway: BrokerGateway, container: Container, args: argparse.Namespace
) -> dict[str, Any]:
    breakers: CircuitBreakerManager = container.breakers()
    journal_path = args.journal or container.settings().journal.path
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


async def _from_ib(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if args.command == "status":
        data = await _with_cli_gateway(args, _ib_status)
        return data, render_table(["field", "value"], [[k, v] for k, v in data.items()])
    if args.command == "positions":
        data = await _with_cli_gateway(args, _ib_positions)
        table = render_table(
            ["symbol", "qty", "avg cost"],
            [[p["label"], p["quantity"], p["avg_cost"]] for p in data["positions"]],
        )
        return data, f"Positions of {data['account']}\n" + (
            table if data["positions"] else "(no positions)"
        )
    if args.command == "orders":
        data = await _with_cli_gateway(args, _ib_orders)
        table = render_table(
            [*_ORDER_COLUMNS, "placed by"],
            [
                [*_order_row(o), "another client" if o["foreign"] else "this client"]
                for o in data["orders"]
            ],
        )
        return data, f"Open orders of {data['account']} at IB\n" + (
            table if data["orders"] else "(no open orders)"
        )
    data = await _with_cli_gateway(args, _ib_breakers)
    return data, (
        f"Circuit breakers for {data['account']} (equity {data['net_liquidation']:,.2f}; "
        f"latched state from {data['journal'] or 'no journal'}; "
        f"trading {data['trading_state'] or 'ACTIVE'})\n" + breaker_table(data["breakers"])
    )


# ---------------------------------------------------------------------------- dispatch
async def run_read(args: argparse.Namespace) -> int:
    """Answer one of ``READ_COMMANDS`` from the trader, or from IB with ``--ib``."""
    if any(getattr(args, name, None) for name in ("ib", "host", "port", "journal")):
        data, text = await _from_ib(args)
    elif args.command == "status" and getattr(args, "instrument", None):
        query = urlencode(
            {"symbol": args.instrument, "sec_type": args.sec_type, "expiry": args.expiry}
        )
        data, url = _from_trader(args, f"/limits?{query}")
        text = _limits_text(data, url)
    elif args.command == "status":
        return await run_control_command(args)
    else:
        path, show = _TRADER_READS[args.command]
        data, url = _from_trader(args, path)
        text = show(data, url)
    print(render_json(data) if args.json else text)
    return 0
