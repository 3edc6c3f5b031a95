"""`hydra status | positions | orders | breakers | fake-gateway` run from a shell."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hydra.adapters.journal import JsonlJournal
from hydra.application import RiskGate
from hydra.domain import CircuitBreakerManager, Instrument, OrderRequest, OrderStatus, Side
from hydra.testing import FakeIBGateway
from hydra.testing.contract import OK, eventually
from tests.integration.gateway_harness import make_gateway
from tests.integration.trader_harness import free_port

pytestmark = pytest.mark.integration


async def _hydra(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hydra.entrypoints.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_status_positions_and_breakers_read_the_fake_account(
    fake_gateway: FakeIBGateway,
) -> None:
    """The read commands connect as client 3 and print the fake's account and positions."""
    fake_gateway.set_price("SPY", 500.0)
    trader = make_gateway(fake_gateway)
    await trader.connect()
    gate = RiskGate(trader, CircuitBreakerManager())
    spy = await gate.broker.qualify_contract(Instrument("SPY"))
    handle = await gate.submit(spy, OrderRequest.market(Side.BUY, 4), *OK)
    assert handle is not None
    await handle.wait(timeout=5)
    port = str(fake_gateway.port)

    code, out, err = await _hydra("status", "--port", port, "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["account"] == "DU123456"
    assert status["client_id"] == 3
    assert status["mode"] == "paper"
    assert status["net_liquidation"] == pytest.approx(fake_gateway.net_liquidation())

    code, out, err = await _hydra("positions", "--port", port)
    assert code == 0, err
    assert "DU123456" in out
    assert "SPY" in out

    code, out, err = await _hydra("breakers", "--port", port)
    assert code == 0, err
    for name in ("daily_loss", "drawdown", "position_size", "trade_loss"):
        assert name in out
    orders = [o.order_id for o in fake_gateway.placed if not o.what_if]
    assert orders == [handle.order_id]  # reads placed nothing
    await trader.disconnect()


async def test_orders_from_ib_lists_the_trader_s_working_orders(
    fake_gateway: FakeIBGateway,
) -> None:
    """`hydra orders --ib` asks IB for every open order: client 3 sees the trader's."""
    fake_gateway.set_price("AAPL", 200.0)
    trader = make_gateway(fake_gateway)
    await trader.connect()
    gate = RiskGate(trader, CircuitBreakerManager())
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    resting = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 3, 190.0), *OK)
    assert resting is not None
    await eventually(lambda: resting.status is OrderStatus.SUBMITTED)
    code, out, err = await _hydra("orders", "--port", str(fake_gateway.port), "--json")
    assert code == 0, err
    listed = json.loads(out)["orders"]
    assert [(o["label"], o["side"], o["quantity"], o["terms"]) for o in listed] == [
        ("AAPL", "BUY", 3.0, "LMT 190")
    ]
    assert listed[0]["foreign"] is True  # placed by the trader (client 1), not client 3
    code, out, _ = await _hydra("orders", "--port", str(fake_gateway.port))
    assert "another client" in out
    await gate.cancel(resting)
    await trader.disconnect()


async def test_read_command_without_gateway_exits_1_with_a_clear_message() -> None:
    """No gateway on the port: exit code 1 and a sentence, not a traceback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    code, _, err = await _hydra("status", "--port", str(free_port), "--timeout", "1")
    assert code == 1
    assert "cannot connect" in err
    assert "Traceback" not in err


def test_fake_gateway_command_serves_a_shell_session() -> None:
    """`hydra fake-gateway --port N &` then `hydra status --port N` works from a shell."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603  (our own entry point)
        [sys.executable, "-m", "hydra.entrypoints.cli", "fake-gateway", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "hydra.entrypoints.cli", "positions", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "Positions of DU123456" in result.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_kill_command_cancels_the_trading_clients_open_orders(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """A dead trader's order: `hydra kill` cancels it at IB and journals HALT in its journal."""
    fake_gateway.set_price("AAPL", 200.0)
    trader = make_gateway(fake_gateway)
    await trader.connect()
    journal = tmp_path / "kill.jsonl"
    trail = JsonlJournal(journal, account=trader.account().account)
    gate = RiskGate(trader, CircuitBreakerManager(), journal=trail)
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    resting = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 5, 195.0), *OK)
    assert resting is not None
    await eventually(lambda: resting.status is OrderStatus.SUBMITTED)
    gate.close()
    await trader.disconnect()  # the trading process is gone; its order still works at IB
    assert fake_gateway.order_status(resting.order_id) == "Submitted"

    code, out, err = await _hydra(
        "kill",
        "--port",
        str(fake_gateway.port),
        "--reason",
        "algo misbehaving",
        "--journal",
        str(journal),
        "--json",
        env={
            **os.environ,
            "HYDRA_STATE_DIR": str(tmp_path / "state"),
            "HYDRA_CONTROL_PORT": str(free_port()),
        },
    )
    assert code == 0, out + err
    report = json.loads(out)
    assert (report["halt"], report["ok"]) == ("journaled", True)
    assert report["cancelled"] == [resting.order_id]
    assert fake_gateway.order_status(resting.order_id) == "Cancelled"
    code, out, err = await _hydra("journal", str(journal), "--json")
    assert code == 0, err
    kinds = [r["kind"] for r in json.loads(out)]
    assert "kill" in kinds
    assert "state" in kinds
