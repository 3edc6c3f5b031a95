"""Killing a real trader process over the fake IB Gateway: via its control server, and frozen.

The trader is `hydra trade` in a subprocess (BrokerGateway as client id 1, gate and
journal from the container in a temporary state directory, the control server up), with
a ladder of resting BUY limit orders at the fake, which runs in the test's event loop.
The operator is `hydra kill` in another subprocess, configured by the same environment.
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

import pytest

from hydra.adapters.journal import read_journal
from hydra.application import parse_record
from hydra.testing import FakeIBGateway

pytestmark = pytest.mark.integration

LEVELS = 3
WAIT = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, fake: FakeIBGateway) -> dict[str, str]:
    """The trader's and the operator's shared configuration: state dir, broker, control port."""
    return {
        **os.environ,
        "HYDRA_STATE_DIR": str(tmp_path / "state"),
        "HYDRA_BROKER_MODE": "paper",
        "HYDRA_BROKER_PORT": str(fake.port),
        "HYDRA_CONTROL_PORT": str(_free_port()),
    }


async def _hydra(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hydra.entrypoints.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@asynccontextmanager
async def _trader(env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`hydra trade` running until its banner; SIGTERM (or SIGKILL if stopped) afterwards."""
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hydra.entrypoints.cli", "trade", "--interval", "0.3", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), WAIT)
        assert b"control server http://127.0.0.1:" in banner, _text(log)
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


async def _eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not (result := check()):
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)
    return result


def _working(fake: FakeIBGateway) -> list[int]:
    """Order ids the fake still has working (not filled, cancelled or rejected)."""
    ids = {p.order_id for p in fake.placed}
    return sorted(i for i in ids if fake.order_status(i) == "Submitted")


def _text(path: Path) -> str:
    return path.read_text()


def _journal(env: dict[str, str]) -> list[dict[str, Any]]:
    return read_journal(Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl").records


async def _trader_status(env: dict[str, str]) -> dict[str, Any]:
    code, out, err = await _hydra("status", "--json", env=env)
    assert code == 0, err
    return dict(json.loads(out))


def _blocked_by_halt_after(records: list[dict[str, Any]], jseq: int) -> list[dict[str, Any]]:
    return [
        r for r in records
        if r["jseq"] > jseq and getattr(parse_record(r), "triggered", ()) == ("halted",)
    ]  # fmt: skip


async def _ladder_resting(fake: FakeIBGateway) -> list[int]:
    working = await _eventually(
        lambda: len(_working(fake)) == LEVELS and _working(fake), "the ladder never rested"
    )
    assert {p.client_id for p in fake.placed} == {1}
    assert {p.order_type for p in fake.placed} == {"LMT"}
    return list(working)


async def test_kill_from_another_process_cancels_the_ladder_and_halts_the_trader(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """`hydra kill` via the control server: nothing working at IB, trader HALTED, journaled."""
    fake_gateway.set_price("SPY", 500.0)
    env = _env(tmp_path, fake_gateway)
    async with _trader(env, tmp_path / "trader.log") as trader:
        resting = await _ladder_resting(fake_gateway)
        assert (await _trader_status(env))["trading_state"] == "ACTIVE"

        code, out, err = await _hydra(
            "kill", "--reason", "desk: stop the ladder", "--who", "alice", env=env
        )
        assert code == 0, out + err
        assert out.startswith("Kill via the trader's control server (unix:"), out
        assert "Confirmed: trading HALTED and no order is working." in out

        await _eventually(lambda: not _working(fake_gateway), "orders still working at IB")
        assert all(fake_gateway.order_status(i) == "Cancelled" for i in resting)
        assert (await _trader_status(env))["trading_state"] == "HALTED"
        kill = next(r for r in reversed(_journal(env)) if r["kind"] == "kill")
        assert (kill["who"], kill["why"]) == ("alice", "desk: stop the ladder")
        assert sorted(kill["cancelled"]) == resting
        placed = len(fake_gateway.placed)
        await _eventually(
            lambda: _blocked_by_halt_after(_journal(env), kill["jseq"]),
            "the trader's next submit was not blocked by the HALT",
        )
        assert len(fake_gateway.placed) == placed  # nothing reached IB after the kill
        assert trader.returncode is None
    assert trader.returncode == 0
    assert "Traceback" not in _text(tmp_path / "trader.log")


async def test_kill_of_a_frozen_trader_requests_the_halt_and_never_writes_its_journal(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Frozen trader (lock held): global cancel as client 99 and a halt request; one writer."""
    fake_gateway.set_price("SPY", 500.0)
    env = _env(tmp_path, fake_gateway)
    log = tmp_path / "trader.log"
    journal = Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl"
    async with _trader(env, log) as trader:
        resting = await _ladder_resting(fake_gateway)
        trader.send_signal(signal.SIGSTOP)
        before = journal.read_bytes()

        code, out, err = await _hydra(
            "kill", "--reason", "trader frozen", "--who", "bob", "--timeout", "1", env=env
        )
        assert code == 0, out + err
        assert journal.read_bytes() == before  # the CLI never wrote the trader's journal
        assert Path(f"{journal}.halt").exists()
        assert "alive but not answering" in out
        assert "HALT requested" in out
        assert "as emergency client 99" in out
        assert not _working(fake_gateway)  # the fallback waited for IB to confirm
        assert all(fake_gateway.order_status(i) == "Cancelled" for i in resting)
        assert 1 in fake_gateway.connected_client_ids()  # the frozen trader still holds id 1

        code, out, err = await _hydra(
            "kill", "--flatten", "--reason", "flat too", "--who", "carol", "--timeout", "1",
            env=env,
        )  # fmt: skip
        assert code == 1, out + err  # a frozen trader's positions are not closed around it
        assert "not flattened: the trader is alive and holds its journal" in out
        assert journal.read_bytes() == before

        # Resumed, the trader journals the request itself and halts: one writer, one chain.
        placed = len(fake_gateway.placed)
        trader.send_signal(signal.SIGCONT)
        halt = await _eventually(
            lambda: next(
                (r for r in _journal(env) if r["kind"] == "state" and r.get("path") == "broker"),
                None,
            ),
            "the resumed trader did not journal the halt request",
        )
        # The newer request replaced the older one (both ask for a HALT).
        assert (halt["state"], halt["who"], halt["why"]) == ("HALTED", "carol", "flat too")
        assert (await _trader_status(env))["trading_state"] == "HALTED"
        await _eventually(
            lambda: _blocked_by_halt_after(_journal(env), halt["jseq"]),
            "the resumed trader's next submit was not blocked",
        )
        assert len(fake_gateway.placed) == placed
        assert read_journal(journal).damage is None
        assert not Path(f"{journal}.halt").exists()
        trader.send_signal(signal.SIGKILL)
        await asyncio.wait_for(trader.wait(), WAIT)

    async with _trader(env, log):
        assert (await _trader_status(env))["trading_state"] == "HALTED"
        assert read_journal(journal).damage is None
    assert "journal.write_failed" not in _text(log)
    assert "Traceback" not in _text(log)


async def test_kill_of_a_dead_trader_journals_the_halt_as_its_one_writer(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Dead trader (lock free): the CLI takes the lock, journals HALT and kill; restart HALTED."""
    fake_gateway.set_price("SPY", 500.0)
    env = _env(tmp_path, fake_gateway)
    log = tmp_path / "trader.log"
    journal = Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl"
    async with _trader(env, log) as trader:
        resting = await _ladder_resting(fake_gateway)
        trader.send_signal(signal.SIGKILL)
        await asyncio.wait_for(trader.wait(), WAIT)

    code, out, err = await _hydra(
        "kill", "--reason", "trader died", "--who", "bob", "--timeout", "2", env=env
    )
    assert code == 0, out + err
    assert "Trader: dead" in out
    assert "HALT appended to" in out
    assert all(fake_gateway.order_status(i) == "Cancelled" for i in resting)
    records = _journal(env)
    halt, kill = records[-2:]
    assert (halt["kind"], halt["state"], halt["who"], halt["path"]) == (
        "state",
        "HALTED",
        "bob",
        "broker",
    )
    assert (kill["kind"], kill["who"], kill["why"]) == ("kill", "bob", "trader died")
    assert sorted(kill["cancelled"]) == resting
    assert read_journal(journal).damage is None

    async with _trader(env, log):
        assert (await _trader_status(env))["trading_state"] == "HALTED"
        await _eventually(
            lambda: _blocked_by_halt_after(_journal(env), kill["jseq"]),
            "the restarted trader's submit was not blocked",
        )
        assert not _working(fake_gateway)
    assert "Traceback" not in _text(log)


async def test_kill_flatten_of_a_dead_trader_flattens_through_an_emergency_gate(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Dead trader holding a position: `hydra kill --flatten` cancels and closes it, audited."""
    fake_gateway.set_price("SPY", 500.0)
    env = _env(tmp_path, fake_gateway)
    log = tmp_path / "trader.log"
    async with _trader(env, log) as trader:
        await _ladder_resting(fake_gateway)
        fake_gateway.set_price("SPY", 490.0)  # the resting BUY limits fill
        await _eventually(lambda: fake_gateway.positions().get("SPY"), "no position at IB")
        trader.send_signal(signal.SIGKILL)
        await asyncio.wait_for(trader.wait(), WAIT)
    held = fake_gateway.positions()["SPY"][0]
    assert held > 0

    code, out, err = await _hydra(
        "kill", "--flatten", "--reason", "dead, flat now", "--who", "carol",
        "--timeout", "2", "--json", env=env,
    )  # fmt: skip
    assert code == 0, out + err
    report = json.loads(out)
    assert report["path"] == "broker"
    assert report["not_flattened"] == []
    assert len(report["flattened"]) == 1
    await _eventually(lambda: not fake_gateway.positions().get("SPY", (0.0,))[0], "not flat")
    assert not _working(fake_gateway)
    sells = [p for p in fake_gateway.placed if p.action == "SELL"]
    assert [(p.client_id, p.order_type, p.quantity) for p in sells] == [(99, "MKT", held)]
    records = _journal(env)
    (flatten,) = [r for r in records if r["kind"] == "flatten"]
    assert flatten["exemption"] == "kill switch flatten by carol"
    kill = records[-1]
    assert (kill["kind"], kill["who"], kill["why"]) == ("kill", "carol", "dead, flat now")
    assert read_journal(Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl").damage is None
