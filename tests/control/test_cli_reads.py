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
from tests.control.scenes import buy, protected_futures, trip_daily_loss


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


async def test_orders_and_positions_name_the_exact_contract_and_every_term(
    running: Running,
) -> None:
    """ESZ6 and ESH7 rows are told apart; each order row shows its terms, OCA group, parent."""
    scene = await protected_futures(running)
    code, out, err = await _hydra(running, "orders")
    assert code == 0, err
    for order_id, terms in scene.terms.items():
        [row] = [line for line in out.splitlines() if line.startswith(f"{order_id} ")]
        label = "ESZ6" if order_id == scene.stop_limit.order_id else "ESH7"
        assert row.split()[1] == label
        assert f"  {terms}  " in row
    code, out, err = await _hydra(running, "positions")
    assert code == 0, err
    assert sorted(line.split()[0] for line in out.splitlines() if line.startswith("ES")) == [
        "ESH7",
        "ESZ6",
    ]


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


async def test_status_names_every_check_in_the_order_it_runs(running: Running) -> None:
    """`hydra status` prints the gate's checks in order, as ``gate.status().checks`` has them."""
    code, out, err = await _hydra(running, "status")
    assert code == 0, err
    checks = running.gate.status().checks
    assert len(checks) > 5
    heading, listed = out.rstrip().splitlines()[-2:]
    assert heading.startswith("Checks, in the order they run")
    assert listed.split(", ") == list(checks)


async def test_status_shows_the_limits_an_instrument_is_judged_by(running: Running) -> None:
    """`hydra status --instrument` prints the limits one contract is judged by, as the API has."""
    code, out, err = await _hydra(
        running, "status", "--instrument", "ES", "--sec-type", "FUT", "--expiry", "202612"
    )
    assert code == 0, err
    assert out.startswith("Limits for ESZ6 (FUT, contract")
    [fraction] = [line for line in out.splitlines() if line.startswith("max_position_fraction")]
    assert fraction.split()[-1] == "0.2"  # the breakers' threshold: no FUT override
    assert any(
        line.startswith("margin (account)") and "broker" in line for line in out.splitlines()
    )
    api = (
        await running.client.get(
            "/api/v1/limits", params={"symbol": "ES", "sec_type": "FUT", "expiry": "202612"}
        )
    ).json()
    code, out, err = await _hydra(
        running, "status", "--instrument", "ES", "--sec-type", "FUT", "--expiry", "202612", "--json"
    )
    assert json.loads(out) == api
    assert api["limits"]["price_collar"] == 0.1


async def test_the_limits_read_names_bad_and_ambiguous_instruments(running: Running) -> None:
    """No symbol is a 422; ES without an expiry names both contracts (404); no crash."""
    missing = await running.client.get("/api/v1/limits")
    assert missing.status_code == 422
    assert "symbol" in missing.text
    bad_type = await running.client.get("/api/v1/limits", params={"symbol": "ES", "sec_type": "X"})
    assert bad_type.status_code == 422
    both = await running.client.get("/api/v1/limits", params={"symbol": "ES", "sec_type": "FUT"})
    assert both.status_code == 404
    assert "ESZ6" in both.text
    assert "ESH7" in both.text
