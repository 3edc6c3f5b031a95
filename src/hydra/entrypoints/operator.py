"""What an operator does to a running trader from a shell: the control server's client.

``hydra status | halt | reduce | resume | reset-breaker`` reach the trader's control
server: over its Unix socket in the state directory when there is one (the filesystem
vouches for both sides), else over TCP, where the server must first prove it holds the
token (the token itself is never sent). ``--control URL`` / ``--token-file`` point at
another trader. ``hydra kill`` (``hydra.entrypoints.kill``) reaches it the same way and
falls back to the broker only when the trader is proven unreachable.
"""

from __future__ import annotations

import argparse
import getpass
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from hydra.adapters.control import read_token
from hydra.adapters.control.client import (
    ControlClient,
    ControlUnavailable,
    probe_healthz,
)
from hydra.adapters.control.local import control_socket_path
from hydra.domain import ConfigError, HydraError, InvalidInputError, TradingState
from hydra.domain._validate import audit_text
from hydra.entrypoints.render import breaker_table, render_json, render_table

if TYPE_CHECKING:
    from hydra.container import Container

__all__ = [
    "TokenUnreadableError",
    "checked_journal",
    "common_parent",
    "configured",
    "control_parent",
    "operator_who_why",
    "reach_trader",
    "run_control_command",
    "seconds",
    "who_why_parent",
]

_STATES = {"halt": TradingState.HALTED, "reduce": TradingState.REDUCING, "resume": "ACTIVE"}
_T = TypeVar("_T")


class TokenUnreadableError(HydraError):
    """A control server answers, but this shell cannot read the token to verify it."""


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


def operator_who_why(args: argparse.Namespace) -> tuple[str, str]:
    """``--who`` (default: the user name) and ``--reason``, checked as journal text.

    Raises:
        InvalidInputError: naming ``--who`` or ``--reason``.
    """
    who = args.who
    if not who:
        try:
            who = f"{getpass.getuser()} (cli)"
        except (KeyError, OSError):
            who = "cli"
    return audit_text("--who", who), audit_text("--reason", args.reason)


def reach_trader(
    args: argparse.Namespace, container: Container, call: Callable[[ControlClient], _T]
) -> tuple[ControlClient, _T]:
    """Run ``call`` against the trader: its Unix socket first, then TCP.

    The Unix socket is tried unless ``--control`` names a server; a socket that refuses
    (left by a dead trader) passes on to TCP, one that accepts and stays silent (a frozen
    trader) does not. Over TCP the token is needed to verify the server.

    Raises:
        ControlUnavailable: no door answered (``listening`` if one accepted the call).
        ControlUntrusted: what answered could not prove it is the trader.
        ControlRequestError: the trader answered with an error.
        TokenUnreadableError: a server answers over TCP but the token cannot be read.
    """
    control = container.settings().control
    token_file = args.token_file or control.token_file
    tls = bool(control.tls_cert)
    url = args.control or _configured_url(control.host, control.port, tls=tls)
    reasons = []
    socket_path = None if args.control else control_socket_path(token_file)
    if socket_path is not None and socket_path.exists():
        local = ControlClient(url, socket_path=socket_path, timeout=args.timeout)
        try:
            return local, call(local)
        except ControlUnavailable as exc:
            if exc.listening:
                raise
            reasons.append(str(exc))
    try:
        token = read_token(token_file)
    except ConfigError as exc:
        _no_token(url, exc, reasons, args.timeout)
    remote = ControlClient(url, token=token, timeout=args.timeout, tls_ca=control.tls_cert or None)
    try:
        return remote, call(remote)
    except ControlUnavailable as exc:
        reasons.append(str(exc))
        raise ControlUnavailable("; ".join(reasons), listening=exc.listening) from None


def _no_token(url: str, error: ConfigError, reasons: list[str], timeout: float) -> NoReturn:
    """Without the token nothing over TCP can be verified: only "nothing there" is news."""
    try:
        answered = probe_healthz(url, timeout=timeout)
    except ControlUnavailable as exc:
        if exc.listening:
            raise TokenUnreadableError(
                f"something accepts connections at {url} but does not answer, and the "
                f"token cannot be read ({error.reason}): cannot tell whether it is the trader"
            ) from None
        reasons += [str(exc), error.reason]
        raise ControlUnavailable("; ".join(reasons), listening=False) from None
    raise TokenUnreadableError(
        f"a server {'answers' if answered else 'listens'} at {url} but the token cannot be "
        f"read ({error.reason}): refusing to act without verifying it (another user, sudo, "
        "or another state directory? use the trader's own config, --token-file or "
        "--control)"
    )


def _configured_url(host: str, port: int, *, tls: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def configured(args: argparse.Namespace) -> Container:
    """The container of the command's ``--config``.

    Imported here, when a command runs: ``hydra journal``, ``--version`` and completion
    start without ib_async or the container.
    """
    from hydra.container import build_container  # noqa: PLC0415  (see above)

    return build_container(args.config)


async def run_control_command(args: argparse.Namespace) -> int:
    """Status / halt / reduce / resume / reset-breaker through the control server."""
    container = configured(args)
    if args.command == "status":
        client, data = reach_trader(args, container, lambda c: c.get("/status"))
        print(render_json(data) if args.json else _status_text(data, client.where))
        return 0
    who, why = operator_who_why(args)
    body: dict[str, Any] = {"who": who, "why": why}
    key = str(uuid.uuid4())
    if args.command == "reset-breaker":
        path = f"/breakers/{args.name}/reset"
        client, data = reach_trader(args, container, lambda c: c.post(path, body, key=key))
        text = f"Breaker {args.name} re-armed: {data['breaker']['state']} (via {client.where})"
    else:
        body["state"] = str(_STATES[args.command])
        client, data = reach_trader(args, container, lambda c: c.post("/state", body, key=key))
        text = f"Trading {data['trading_state']} (was {data['previous']}) via {client.where}"
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
        + "\n\nChecks, in the order they run (user.<name>: the host's own)\n"
        + ", ".join(data.get("checks") or ())
    )
