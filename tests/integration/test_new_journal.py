"""Starting afresh is deliberate: `hydra trade --new-journal`, never a silent fresh start."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _state_of_a_trader(env: dict[str, str], *extra: str) -> str:
    """Start `hydra trade --broker sim`, read its trading state, stop it."""
    trader = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hydra.entrypoints.cli", "trade", "--broker", "sim",
        "--interval", "5", *extra,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert trader.stdout is not None
        banner = await asyncio.wait_for(trader.stdout.readline(), 20)
        assert b"control server" in banner, banner
        status = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hydra.entrypoints.cli", "status", "--json",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(status.communicate(), 20)
        assert status.returncode == 0, err
        return str(json.loads(out)["trading_state"])
    finally:
        trader.send_signal(signal.SIGTERM)
        await asyncio.wait_for(trader.wait(), 20)


async def test_a_deleted_journal_restores_halted_until_a_new_one_is_asked_for(
    tmp_path: Path,
) -> None:
    """Journal deleted (anchor left): the trader comes back HALTED; --new-journal archives."""
    state = tmp_path / "state"
    env = {**os.environ, "HYDRA_STATE_DIR": str(state), "HYDRA_CONTROL_PORT": str(_free_port())}
    assert await _state_of_a_trader(env) == "ACTIVE"
    journal = state / "hydra.journal.jsonl"
    assert journal.exists()
    journal.unlink()  # the day's trips and losses with it
    assert await _state_of_a_trader(env) == "HALTED"
    assert await _state_of_a_trader(env, "--new-journal") == "ACTIVE"
    archived = sorted(p.name for p in state.iterdir() if p.name.startswith("hydra.journal.jsonl."))
    assert archived, "the damaged journal was not kept aside"
