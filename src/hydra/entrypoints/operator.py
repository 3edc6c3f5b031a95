"""What an operator does to a running trader from a shell: the control server's client.

``hydra status | halt | reduce | resume | reset-breaker | kill`` reach the trader's control
server (address and token from the config, or ``--control URL`` / ``--token-file``).
When no control server answers (the trader is dead or hung), ``hydra kill`` falls back to
the broker: HALT is appended to the journal first (so the trader restarts HALTED), then a
dedicated emergency client id (never 1) sends IB's global cancel. The exit status and the
message say which path was taken and what failed.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.adapters.control import read_token
from hydra.adapters.control.client import ControlClient, ControlRequestError, ControlUnavailable
from hydra.adapters.ib import BrokerGateway
from hydra.adapters.ib.emergency import EmergencyClient
from hydra.adapters.journal import JsonlJournal, read_journal
from hydra.application import KillReport, RiskGate
from hydra.application.records import AuditRecord, KillRecord, StateChanged
from hydra.container import Container, build_container
from hydra.domain import (
    BrokerError,
    CircuitBreakerManager,
    ConfigError,
    HydraError,
    InvalidInputError,
    TradingState,
)
from hydra.entrypoints.render import breaker_table, render_json, render_table

__all__ = [
    "checked_journal",
    "common_parent",
    "control_parent",
    "run_control_command",
    "run_kill",
    "seconds",
    "who_why_parent",
]

_STATES = {"halt": TradingState.HALTED, "reduce": TradingState.REDUCING, "resume": "ACTIVE"}


def common_parent() -> argparse.ArgumentParser:
    """``--config``, ``--timeout`` and ``--json``, shared by every remote command."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", default=None, help="TOML config file (or $HYDRA_CONFIG)")
    parent.add_argument("--timeout", type=seconds, default=5.0, help="seconds to wait")
    parent.add_argument("--json", action="store_true", help="machine-readable output")
    return parent


def control_parent() -> argparse.ArgumentParser:
    """Options every command that talks to the control server shares."""
    parent = argparse.ArgumentParser(add_help=False, parents=[common_parent()])
    parent.add_argument("--control", default=None, help="control server URL (default config)")
    parent.add_argument("--token-file", default=None, help="bearer token file (default config)")
    return parent


def who_why_parent() -> argparse.ArgumentParser:
    """``--reason`` (required) and ``--who`` for audited actions."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--reason", required=True, help="why (recorded in the audit journal)")
    parent.add_argument("--who", default=None, help="who acts (default: your user name)")
    return parent


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0 (``nan``, ``inf``, ``0`` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a finite number > 0")
    return value


def checked_journal(path: str, *, field: str, must_exist: bool) -> str:
    """``path`` if it can be a journal file; else an error naming ``field``.

    Raises:
        InvalidInputError: ``path`` is a directory, or missing when ``must_exist``.
    """
    if not path:
        raise InvalidInputError(field, "no journal configured; pass a path", path)
    target = Path(path)
    if target.is_dir():
        raise InvalidInputError(field, "is a directory, not a journal file", path)
    if must_exist and not target.exists():
        raise InvalidInputError(field, "no such journal file", path)
    return path


def _who(args: argparse.Namespace) -> str:
    if args.who:
        return str(args.who)
    try:
        return f"{getpass.getuser()} (cli)"
    except (KeyError, OSError):
        return "cli"


def _client(args: argparse.Namespace, container: Container) -> ControlClient:
    control = container.config.control
    url = args.control
    if not url:
        host = control.host()
        scheme = "https" if control.tls_cert() else "http"
        url = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{control.port()}"
    token = read_token(args.token_file or control.token_file())
    return ControlClient(url, token, timeout=args.timeout)


async def run_control_command(args: argparse.Namespace) -> int:
    """Status / halt / reduce / resume / reset-breaker through the control server."""
    container = build_container(args.config)
    client = _client(args, container)
    if args.command == "status":
        data = client.get("/status")
        print(render_json(data) if args.json else _status_text(data, client.url))
        return 0
    body = {"who": _who(args), "why": args.reason}
    if args.command == "reset-breaker":
        data = client.post(f"/breakers/{args.name}/reset", body, key=str(uuid.uuid4()))
        text = f"Breaker {args.name} re-armed: {data['breaker']['state']} (via {client.url})"
    else:
        body["state"] = str(_STATES[args.command])
        data = client.post("/state", body, key=str(uuid.uuid4()))
        text = f"Trading {data['trading_state']} (was {data['previous']}) via {client.url}"
    print(render_json(data) if args.json else text)
    return 0


def _status_text(data: dict[str, Any], url: str) -> str:
    fields = [
        ["trading state", data["trading_state"]],
        ["connection", data["connection"]],
        ["orders in flight", data.get("orders_in_flight")],
        ["session start", data.get("session_start")],
        ["session start equity", data.get("session_start_equity")],
        ["peak equity", data.get("peak_equity")],
    ]
    account = data.get("account") or {}
    if "net_liquidation" in account:
        fields.append(["equity", account["net_liquidation"]])
    limits = data.get("limits") or {}
    fields += [[f"limit {k}", v] for k, v in limits.items()]
    return (
        f"HYDRA trader at {url}\n"
        + render_table(["field", "value"], fields)
        + "\n\nCircuit breakers\n"
        + breaker_table(data["breakers"])
    )


async def run_kill(args: argparse.Namespace) -> int:
    """Kill through the control server; if none answers, the broker fallback."""
    container = build_container(args.config)
    who, why = _who(args), args.reason
    try:
        client = _client(args, container)
        data = client.post("/kill", {"who": who, "why": why, "flatten": args.flatten})
    except (ControlUnavailable, ConfigError) as exc:
        if isinstance(exc, ConfigError) and exc.key != "control.token_file":
            raise
        return await _broker_fallback(args, container, who, why, unreachable=str(exc))
    except ControlRequestError:
        raise
    data["path"] = "control"
    failed = bool(data["failed"]) or bool(data["not_flattened"])
    if args.json:
        print(render_json(data))
    else:
        print(
            f"Kill via the control server at {client.url}: trading {data['trading_state']}; "
            f"cancelled {data['cancelled'] or 'none'}; failed {data['failed'] or 'none'}"
            + (
                f"; flattening orders {data['flattened'] or 'none'}; "
                f"not flattened {data['not_flattened'] or 'none'}"
                if args.flatten
                else ""
            )
        )
    return 1 if failed else 0


def _journal_account(path: str, configured: str) -> str:
    """The account the trader's journal is for: configured, else the journal's own.

    With neither, the HALT still goes in, for an ``unknown`` account: the trader then
    refuses to start on it (another account's journal), which fails closed.
    """
    if configured.strip():
        return configured.strip()
    try:
        found = read_journal(path).account
    except (HydraError, OSError):
        found = None
    return found or "unknown"


def _append(path: str, account: str, record: AuditRecord) -> None:
    with JsonlJournal(path, account=account) as journal:
        journal.append(record.as_json())


async def _emergency_flatten(
    container: Container,
    emergency: EmergencyClient,
    journal_path: str,
    account: str,
    who: str,
    why: str,
    timeout: float,
) -> KillReport:
    """The kill switch of a gate of its own, restored HALTED from the trader's journal.

    It connects as the emergency client, follows every open order of the account, sends
    IB's global cancel, waits for the cancels, then flattens every position through the
    kill switch's audited exemption; every record goes to the trader's journal.
    """
    previous = read_journal(journal_path, account)  # before opening: opening repairs
    gateway: BrokerGateway = container.emergency_gateway(host=emergency.host, port=emergency.port)
    await gateway.connect()
    journal = JsonlJournal(journal_path, account=account)
    try:
        gate = RiskGate(gateway, CircuitBreakerManager(), limits=None, journal=journal)
        with contextlib.suppress(HydraError):  # a damaged tail: the HALT still stands
            gate.restore(previous.records)
        return await gate.kill_switch(who=who, why=why, flatten=True, cancel_wait=timeout)
    finally:
        journal.close()
        await gateway.disconnect()


async def _fallback_flatten(
    data: dict[str, Any],
    container: Container,
    emergency: EmergencyClient,
    journal_path: str,
    account: str,
    who: str,
    why: str,
    timeout: float,
    *,
    halt_journaled: bool,
) -> bool:
    """Flatten through the emergency gate; True when its kill switch ran (fills ``data``)."""
    if not halt_journaled:
        data["not_flattened"] = [["*", "not flattened: the HALT could not be journaled"]]
        return False
    try:
        kill = await _emergency_flatten(
            container, emergency, journal_path, account, who, why, timeout
        )
    except (BrokerError, HydraError, OSError) as exc:
        data["not_flattened"] = [["*", f"not flattened: {exc}"]]
        return False
    data["cancelled"] = list(kill.cancelled)
    data["failed"] = [list(item) for item in kill.failed]
    data["flattened"] = [h.order_id for h in kill.flattened]
    data["not_flattened"] = [list(item) for item in kill.not_flattened]
    return True


async def _broker_fallback(
    args: argparse.Namespace, container: Container, who: str, why: str, *, unreachable: str
) -> int:
    """HALT into the journal, then IB's global cancel as the emergency client.

    A journal that cannot be written does not stop the cancel (orders first); it is
    reported and the exit status is 1.
    """
    emergency: EmergencyClient = container.emergency_client(
        host=args.host or container.config.broker.host(),
        port=args.port or container.config.broker.port(),
    )
    journal_path = args.journal or container.config.journal.path()
    field = "--journal" if args.journal else "journal.path"
    reason = f"kill switch (broker fallback; trader unreachable): {why}"
    journal_error = ""
    account = "unknown"
    try:
        checked_journal(journal_path, field=field, must_exist=False)
        account = _journal_account(journal_path, container.config.journal.account())
        _append(
            journal_path,
            account,
            StateChanged(
                time=datetime.now(UTC),
                state=TradingState.HALTED,
                who=who,
                why=reason,
                path="broker",
            ),
        )
    except (HydraError, OSError) as exc:
        journal_error = str(exc)
    data: dict[str, Any] = {
        "path": "broker",
        "control_error": unreachable,
        "journal": journal_path,
        "journal_error": journal_error or None,
        "trading_state": TradingState.HALTED.value,
        "broker": f"{emergency.host}:{emergency.port}",
        "emergency_client_id": emergency.client_id,
        "cancelled": [],
        "failed": [],
        "flattened": [],
        "not_flattened": [],
    }
    broker_error = ""
    halt_journaled = not journal_error
    flattened_by_gate = args.flatten and await _fallback_flatten(
        data, container, emergency, journal_path, account, who, why, args.timeout,
        halt_journaled=halt_journaled,
    )  # fmt: skip
    if not flattened_by_gate:
        try:
            report = await emergency.global_cancel(timeout=args.timeout)
        except (BrokerError, HydraError) as exc:
            broker_error = str(exc)
            data["failed"] = [["*", f"global cancel not sent: {exc}"]]
        else:
            data["cancelled"] = list(report.cancelled)
            data["failed"] = [[o, "still open after the global cancel"] for o in report.open_after]
    if halt_journaled and not flattened_by_gate:  # the emergency gate journals its own kill
        try:
            _append(
                journal_path,
                account,
                KillRecord(
                    time=datetime.now(UTC),
                    who=who,
                    why=why,
                    path="broker",
                    emergency_client_id=emergency.client_id,
                    cancelled=tuple(data["cancelled"]),
                    failed=tuple(tuple(item) for item in data["failed"]),
                    not_flattened=tuple(tuple(item) for item in data["not_flattened"]),
                ),
            )
        except (HydraError, OSError) as exc:
            journal_error = data["journal_error"] = f"kill record not journaled: {exc}"
    if args.json:
        print(render_json(data))
    else:
        print(
            f"No control server answered ({unreachable}).\n"
            "Broker fallback: "
            + (
                f"HALT NOT journaled ({journal_error}); "
                if not halt_journaled
                else f"HALT appended to {journal_path} (the trader restarts HALTED); "
            )
            + (
                f"global cancel FAILED: {broker_error}"
                if broker_error
                else f"global cancel sent to {emergency.host}:{emergency.port} as emergency "
                f"client {emergency.client_id}; cancelled {data['cancelled'] or 'none'}; "
                f"still open {[o for o, _ in data['failed']] or 'none'}"
            )
            + (
                f"; flattening orders {data['flattened'] or 'none'}; "
                f"not flattened {data['not_flattened'] or 'none'}"
                if args.flatten
                else ""
            )
            + (f"; {journal_error}" if halt_journaled and journal_error else "")
        )
    return 1 if data["failed"] or data["not_flattened"] or journal_error else 0
