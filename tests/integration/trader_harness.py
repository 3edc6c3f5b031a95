"""A real trader process to operate: `hydra trade` over the fake IB Gateway, and the CLI.

The trader is `hydra trade` in a subprocess (BrokerGateway as client id 1, gate and
journal from the container in a temporary state directory, the control server up), with
a ladder of resting BUY limit orders at the fake, which runs in the test's event loop.
The operator is `hydra` in another subprocess, configured by the same environment.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hydra.adapters.journal import read_journal
from hydra.application import parse_record
from hydra.testing import FakeIBGateway

__all__ = [
    "LEVELS",
    "WAIT",
    "blocked_by_halt_after",
    "dead_trader",
    "eventually",
    "file_bytes",
    "free_port",
    "hydra",
    "journal_records",
    "ladder_resting",
    "log_text",
    "running_trader",
    "trader_env",
    "trader_status",
    "working",
]

LEVELS = 3
WAIT = 10.0


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def trader_env(tmp_path: Path, fake: FakeIBGateway) -> dict[str, str]:
    """The trader's and the operator's shared configuration: state dir, broker, control port."""
    return {
        **os.environ,
        "HYDRA_STATE_DIR": str(tmp_path / "state"),
        "HYDRA_BROKER_MODE": "paper",
        "HYDRA_BROKER_PORT": str(fake.port),
        "HYDRA_CONTROL_PORT": str(free_port()),
    }


async def hydra(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `hydra ARGS` to completion: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hydra.entrypoints.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@asynccontextmanager
async def running_trader(
    env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`hydra trade` running until its banner; SIGTERM (or SIGKILL if stopped) afterwards."""
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hydra.entrypoints.cli", "trade", "--interval", "0.3", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), WAIT)
        assert b"control server http://127.0.0.1:" in banner, log_text(log)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGCONT)
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()


async def eventually(check: Callable[[], Any], what: str) -> Any:
    """Wait until ``check()`` is truthy (at most WAIT seconds) and return it."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not (result := check()):
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)
    return result


def working(fake: FakeIBGateway) -> list[int]:
    """Order ids the fake still has working (not filled, cancelled or rejected)."""
    ids = {p.order_id for p in fake.placed}
    return sorted(i for i in ids if fake.order_status(i) == "Submitted")


def log_text(path: Path) -> str:
    """A log file's text."""
    return path.read_text()


def journal_records(env: dict[str, str]) -> list[dict[str, Any]]:
    """The trader's journal records (the default journal in its state directory)."""
    return read_journal(Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl").records


async def trader_status(env: dict[str, str]) -> dict[str, Any]:
    """`hydra status --json` of the trader."""
    code, out, err = await hydra("status", "--json", env=env)
    assert code == 0, err
    return dict(json.loads(out))


def blocked_by_halt_after(records: list[dict[str, Any]], jseq: int) -> list[dict[str, Any]]:
    """Decisions after ``jseq`` blocked by the HALT."""
    return [
        r for r in records
        if r["jseq"] > jseq and getattr(parse_record(r), "triggered", ()) == ("halted",)
    ]  # fmt: skip


async def ladder_resting(fake: FakeIBGateway) -> list[int]:
    """Wait for the trader's ladder to rest at the fake; the order ids."""
    resting = await eventually(
        lambda: len(working(fake)) == LEVELS and working(fake), "the ladder never rested"
    )
    assert {p.client_id for p in fake.placed} == {1}
    assert {p.order_type for p in fake.placed} == {"LMT"}
    return list(resting)


def file_bytes(path: Path) -> bytes | None:
    """A file's bytes, or None if it does not exist."""
    return path.read_bytes() if path.exists() else None


async def dead_trader(env: dict[str, str], log: Path, fake: FakeIBGateway) -> list[int]:
    """A trader that rested its ladder at ``fake`` and then died (SIGKILL): the order ids."""
    async with running_trader(env, log) as process:
        resting = await ladder_resting(fake)
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), WAIT)
    return resting
