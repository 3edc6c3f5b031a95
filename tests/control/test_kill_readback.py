"""`hydra kill` reads the trader's final state back: exit 0 only for HALTED and nothing working."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from hydra.application.records import KillRecord
from hydra.domain import Instrument, OrderRequest, Side, TradingState
from tests.control.conftest import Running

pytestmark = pytest.mark.integration


async def _kill(running: Running, *args: str) -> tuple[int, str, str]:
    """`hydra kill` in another process, configured for this trader's state dir and port."""
    env = {
        **os.environ,
        "HYDRA_STATE_DIR": str(running.server.token_file.parent),
        "HYDRA_JOURNAL_PATH": str(running.journal),
        "HYDRA_CONTROL_PORT": str(running.server.port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hydra.entrypoints.cli", "kill", "--reason", "stop",
        "--timeout", "2", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_resume_that_wins_after_the_kill_makes_kill_exit_non_zero(
    running: Running,
) -> None:
    """The trader is ACTIVE again when kill reads back: exit 1, saying a later change won."""
    loop = asyncio.get_running_loop()

    def resume_after_kill(record: object) -> None:
        if isinstance(record, KillRecord):
            loop.call_soon(
                lambda: running.gate.set_trading_state("ACTIVE", who="bob", why="resume")
            )

    running.gate.subscribe(resume_after_kill)
    code, out, err = await _kill(running)
    assert code == 1, out + err
    assert "NOT HALTED: the trader is ACTIVE now" in out
    assert running.gate.trading_state is TradingState.ACTIVE


async def test_a_confirmed_kill_exits_zero(running: Running) -> None:
    """HALTED and no working order, read back over the socket: exit 0, saying so."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 190.0))
    code, out, err = await _kill(running)
    assert code == 0, out + err
    assert "Confirmed: trading HALTED and no order is working." in out
    assert "(unix:" in out
    assert not running.gate.broker.open_orders()
