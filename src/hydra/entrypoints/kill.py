"""``hydra kill``: stop a trader, and say truthfully whether it is stopped.

Through the trader first (``operator.reach_trader``: its Unix socket, else TCP with the
server proven): ``POST /kill``, then the final state is read back (``/status`` and
``/orders``, waiting up to ``--timeout`` for the cancels). Exit 0 only when the trader
says HALTED and no order of it works; otherwise 1, saying what is wrong (e.g. a resume
that came after the kill, an order still working, a kill the trader's journal refused:
its 503 still carries what the kill did, and the state is read back all the same).

The broker fallback (``kill_fallback``) is taken only when the trader is proven
unreachable: no door answered, and the journal's writer lock then tells a dead trader
(free) from a frozen one (held). Something that answers but cannot prove it is the
trader, or a server that answers while the token cannot be read, is an error: exit 1,
nothing sent, no fallback (``--broker`` takes the fallback deliberately).
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from hydra.adapters.control.client import (
    ControlClient,
    ControlRequestError,
    ControlUnavailable,
    ControlUntrusted,
)
from hydra.entrypoints.operator import configured, operator_who_why, reach_trader
from hydra.entrypoints.render import render_json

__all__ = ["add_kill_command", "run_kill"]

_POLL_S = 0.1
_UNTRUSTED_HINT = (
    "The kill was NOT sent and nothing is confirmed. If the trader is dead, "
    "`hydra kill --broker` cancels at the broker and halts its journal."
)


def add_kill_command(
    commands: Any, parents: list[argparse.ArgumentParser], port: Callable[[str], int]
) -> None:
    """The ``kill`` subcommand's parser (``commands`` is the CLI's subparsers)."""
    kill = commands.add_parser(
        "kill",
        help="kill switch: HALT and cancel every order through the trader; if it is proven "
        "unreachable, IB's global cancel as the emergency client (exit 0 only when confirmed)",
        parents=parents,
    )
    kill.add_argument("--flatten", action="store_true", help="also close every position")
    kill.add_argument(
        "--broker",
        action="store_true",
        help="do not ask the trader: go to the broker fallback at once (the journal's lock "
        "still decides between journaling the HALT and leaving a halt request)",
    )
    kill.add_argument("--host", default=None, help="gateway host for the fallback (default config)")
    kill.add_argument("--port", type=port, default=None, help="gateway port for the fallback")
    kill.add_argument(
        "--journal", default=None, help="the trader's journal, for the fallback (default config)"
    )


async def run_kill(args: argparse.Namespace) -> int:
    """Kill through the trader; the broker fallback only when it is proven unreachable."""
    from hydra.entrypoints.kill_fallback import broker_fallback  # noqa: PLC0415  (ib_async)

    container = configured(args)
    who, why = operator_who_why(args)
    if args.broker:
        return await broker_fallback(
            args, container, who, why, unreachable="--broker: the trader was not asked"
        )
    body = {"who": who, "why": why, "flatten": bool(args.flatten)}
    key = str(uuid.uuid4())

    def kill(client: ControlClient) -> tuple[dict[str, Any], str | None]:
        """The kill's answer; a 503 naming a journal refusal still carries what it did."""
        try:
            return client.post("/kill", body, key=key), None
        except ControlRequestError as exc:
            done = exc.body.get("kill") if isinstance(exc.body, dict) else None
            if not isinstance(done, dict):
                raise
            return done, exc.message

    try:
        client, (data, refused) = reach_trader(args, container, kill)
    except ControlUnavailable as exc:
        return await broker_fallback(
            args, container, who, why, unreachable=str(exc), listening=exc.listening
        )
    except ControlUntrusted as exc:
        raise ControlUntrusted(f"{exc}. {_UNTRUSTED_HINT}") from None
    state, working, problem = await _read_back(client, args.timeout)
    failed = data["failed"] or data["not_flattened"]
    ok = state == "HALTED" and not working and not failed and not refused and problem is None
    result = {
        **data,
        "path": "control",
        "via": client.where,
        "journal_refused": refused,
        "confirmed_state": state,
        "working": working,
        "ok": ok,
    }
    print(render_json(result) if args.json else _text(result, problem, flatten=args.flatten))
    return 0 if ok else 1


async def _read_back(
    client: ControlClient, timeout: float
) -> tuple[str | None, list[int], str | None]:
    """The trader's state and working orders, waiting up to ``timeout`` for the cancels."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            state = str(client.get("/status")["trading_state"])
            working = [int(o["order_id"]) for o in client.get("/orders")["orders"]]
        except (ControlUnavailable, ControlUntrusted, ControlRequestError) as exc:
            return None, [], f"could not read the final state back: {exc}"
        if state != "HALTED" or not working or asyncio.get_running_loop().time() >= deadline:
            return state, working, None
        await asyncio.sleep(_POLL_S)


def _text(result: dict[str, Any], problem: str | None, *, flatten: bool) -> str:
    lines = [
        f"Kill via the trader's control server ({result['via']}): "
        f"cancelled {result['cancelled'] or 'none'}; failed {result['failed'] or 'none'}"
        + (
            f"; flattening orders {result['flattened'] or 'none'}; "
            f"not flattened {result['not_flattened'] or 'none'}"
            if flatten
            else ""
        )
    ]
    state, working = result["confirmed_state"], result["working"]
    if problem is not None:
        lines.append(f"NOT CONFIRMED: {problem}")
    elif state != "HALTED":
        lines.append(
            f"NOT HALTED: the trader is {state} now; a later state change won over the "
            "kill (see hydra journal)"
        )
    elif working:
        lines.append(f"NOT DONE: trading HALTED but orders still working: {working}")
    elif result["journal_refused"]:
        lines.append(
            "NOT DONE: trading HALTED and no order is working, but the trader's journal "
            f"refused the kill ({result['journal_refused']})"
        )
    elif result["ok"]:
        lines.append("Confirmed: trading HALTED and no order is working.")
    else:
        lines.append("NOT DONE: trading HALTED, but some cancels or flattening failed.")
    return "\n".join(lines)
