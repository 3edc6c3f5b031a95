"""`hydra positions | orders | breakers | status` read the running trader's control server.

The trader runs in the test's loop; the CLI is a real subprocess pointed at it with
``--control`` and ``--token-file``, the way an operator points it at another trader.
"""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from hydra.domain import Instrument, OrderRequest, Side
from tests.control.conftest import Running
from tests.control.scenes import buy, trip_daily_loss


async def _hydra(running: Running, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hydra.entrypoints.cli",
        *args,
        "--control",
        running.server.url,
        "--token-file",
        str(running.server.token_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_positions_show_the_traders_positions_at_market(running: Running) -> None:
    """`hydra positions` prints price, market value and unrealised P&L as the API has them."""
    await buy(running, "AAPL", 12)
    running.broker.set_price("AAPL", 190.0)
    code, out, err = await _hydra(running, "positions")
    assert code == 0, err
    assert f"Positions of the trader at {running.server.url}" in out
    [row] = [line for line in out.splitlines() if line.startswith("AAPL")]
    api = (await running.client.get("/api/v1/positions")).json()["positions"][0]
    assert "2,280.00" in row  # 12 x 190.00
    assert f"{api['unrealized_pnl']:+,.2f}" in row
    assert row.split()[4] == "USD"
    assert "value USD" in out
    code, out, err = await _hydra(running, "positions", "--json")
    assert code == 0, err
    assert json.loads(out)["positions"] == [api]


async def test_orders_list_the_traders_open_orders(running: Running) -> None:
    """`hydra orders` lists the trader's resting orders (none once they are cancelled)."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    resting = running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 3, 195.0))
    assert resting.order_id is not None
    code, out, err = await _hydra(running, "orders")
    assert code == 0, err
    [row] = [line for line in out.splitlines() if "AAPL" in line]
    assert row.split()[:4] == [str(resting.order_id), "AAPL", "BUY", "3"]
    assert "195" in row
    await running.gate.kill_switch(who="t", why="t")
    code, out, err = await _hydra(running, "orders", "--json")
    assert code == 0, err
    assert json.loads(out) == {"orders": []}


async def test_breakers_say_what_blocks_and_until_when(running: Running) -> None:
    """`hydra breakers` leads with the outlook and shows the trip with its end."""
    await trip_daily_loss(running)
    code, out, err = await _hydra(running, "breakers")
    assert code == 0, err
    assert out.startswith("ACTIVE: new risk blocked by daily_loss until 00:00 New York")
    [row] = [line for line in out.splitlines() if line.startswith("daily_loss")]
    assert "TRIPPED" in row
    assert "-5.00%" in row
    assert "-2.00%" in row
    assert row.rstrip().endswith("00:00 New York")


@pytest.mark.parametrize(
    "args",
    [
        ("reset-breaker", "nosuch", "--reason", "x"),
        ("orders", "--port", "0"),
        ("halt", "--reason", "   "),
        ("positions", "--port", "99999"),
    ],
    ids=["unknown-breaker", "orders-bad-port", "blank-reason", "bad-port"],
)
async def test_usage_errors_exit_2(running: Running, args: tuple[str, ...]) -> None:
    """A wrong argument (caught by the CLI or refused by the trader as invalid) exits 2."""
    code, _, err = await _hydra(running, *args)
    assert code == 2, err
    assert "Traceback" not in err
    assert running.gate.trading_state.value == "ACTIVE"
