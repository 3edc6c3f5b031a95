"""Killing a real trader process over the fake IB Gateway: via its control server, frozen, dead.

See ``trader_harness`` for the processes. A frozen trader (SIGSTOP) still holds its
journal's lock: the CLI leaves it a halt request and never writes its journal; a dead
one (SIGKILL) does not: the CLI journals HALT and the kill as the journal's one writer.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from hydra.adapters.journal import read_journal
from hydra.testing import FakeIBGateway

from .trader_harness import (
    WAIT,
    blocked_by_halt_after,
    dead_trader,
    eventually,
    file_bytes,
    hydra,
    journal_records,
    ladder_resting,
    log_text,
    running_trader,
    trader_env,
    trader_status,
    working,
)

pytestmark = pytest.mark.integration


async def test_kill_from_another_process_cancels_the_ladder_and_halts_the_trader(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """`hydra kill` via the control server: nothing working at IB, trader HALTED, journaled."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    async with running_trader(env, tmp_path / "trader.log") as trader:
        resting = await ladder_resting(fake_gateway)
        assert (await trader_status(env))["trading_state"] == "ACTIVE"

        code, out, err = await hydra(
            "kill", "--reason", "desk: stop the ladder", "--who", "alice", env=env
        )
        assert code == 0, out + err
        assert out.startswith("Kill via the trader's control server (unix:"), out
        assert "Confirmed: trading HALTED and no order is working." in out

        await eventually(lambda: not working(fake_gateway), "orders still working at IB")
        assert all(fake_gateway.order_status(i) == "Cancelled" for i in resting)
        assert (await trader_status(env))["trading_state"] == "HALTED"
        kill = next(r for r in reversed(journal_records(env)) if r["kind"] == "kill")
        assert (kill["who"], kill["why"]) == ("alice", "desk: stop the ladder")
        assert sorted(kill["cancelled"]) == resting
        placed = orders_placed(fake_gateway)
        await eventually(
            lambda: blocked_by_halt_after(journal_records(env), kill["jseq"]),
            "the trader's next submit was not blocked by the HALT",
        )
        assert orders_placed(fake_gateway) == placed  # no order reached IB after the kill
        assert trader.returncode is None
    assert trader.returncode == 0
    assert "Traceback" not in log_text(tmp_path / "trader.log")


async def test_kill_of_a_frozen_trader_requests_the_halt_and_never_writes_its_journal(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Frozen trader (lock held): global cancel as client 99 and a halt request; one writer."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    log = tmp_path / "trader.log"
    journal = Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl"
    async with running_trader(env, log) as trader:
        resting = await ladder_resting(fake_gateway)
        trader.send_signal(signal.SIGSTOP)
        before = file_bytes(journal)

        code, out, err = await hydra(
            "kill", "--reason", "trader frozen", "--who", "bob", "--timeout", "1", env=env
        )
        assert code == 0, out + err
        assert file_bytes(journal) == before  # the CLI never wrote the trader's journal
        assert file_bytes(Path(f"{journal}.halt"))
        assert "alive but not answering" in out
        assert "HALT requested" in out
        assert "as emergency client 99" in out
        assert not working(fake_gateway)  # the fallback waited for IB to confirm
        assert all(fake_gateway.order_status(i) == "Cancelled" for i in resting)
        assert 1 in fake_gateway.connected_client_ids()  # the frozen trader still holds id 1

        code, out, err = await hydra(
            "kill", "--flatten", "--reason", "flat too", "--who", "carol", "--timeout", "1",
            env=env,
        )  # fmt: skip
        assert code == 1, out + err  # a frozen trader's positions are not closed around it
        assert "not flattened: the trader is alive and holds its journal" in out
        assert file_bytes(journal) == before

        # Resumed, the trader journals the request itself and halts: one writer, one chain.
        placed = orders_placed(fake_gateway)
        trader.send_signal(signal.SIGCONT)
        halt = await eventually(
            lambda: next(
                (
                    r
                    for r in journal_records(env)
                    if r["kind"] == "state" and r.get("path") == "broker"
                ),
                None,
            ),
            "the resumed trader did not journal the halt request",
        )
        # The newer request replaced the older one (both ask for a HALT).
        assert (halt["state"], halt["who"], halt["why"]) == ("HALTED", "carol", "flat too")
        assert (await trader_status(env))["trading_state"] == "HALTED"
        await eventually(
            lambda: blocked_by_halt_after(journal_records(env), halt["jseq"]),
            "the resumed trader's next submit was not blocked",
        )
        assert orders_placed(fake_gateway) == placed
        assert read_journal(journal).damage is None
        assert file_bytes(Path(f"{journal}.halt")) is None
        trader.send_signal(signal.SIGKILL)
        await asyncio.wait_for(trader.wait(), WAIT)

    async with running_trader(env, log):
        assert (await trader_status(env))["trading_state"] == "HALTED"
        assert read_journal(journal).damage is None
    assert "journal.write_failed" not in log_text(log)
    assert "Traceback" not in log_text(log)


async def test_kill_of_a_dead_trader_journals_the_halt_as_its_one_writer(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Dead trader (lock free): the CLI takes the lock, journals HALT and kill; restart HALTED."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    log = tmp_path / "trader.log"
    journal = Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl"
    resting = await dead_trader(env, log, fake_gateway)

    code, out, err = await hydra(
        "kill", "--reason", "trader died", "--who", "bob", "--timeout", "2", env=env
    )
    assert code == 0, out + err
    assert "Trader: dead" in out
    assert "HALT appended to" in out
    assert all(fake_gateway.order_status(i) == "Cancelled" for i in resting)
    records = journal_records(env)
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

    async with running_trader(env, log):
        assert (await trader_status(env))["trading_state"] == "HALTED"
        await eventually(
            lambda: blocked_by_halt_after(journal_records(env), kill["jseq"]),
            "the restarted trader's submit was not blocked",
        )
        assert not working(fake_gateway)
    assert "Traceback" not in log_text(log)


async def test_kill_flatten_of_a_dead_trader_flattens_through_an_emergency_gate(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Dead trader holding a position: `hydra kill --flatten` cancels and closes it, audited."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    log = tmp_path / "trader.log"
    async with running_trader(env, log) as trader:
        await ladder_resting(fake_gateway)
        fake_gateway.set_price("SPY", 490.0)  # the resting BUY limits fill
        await eventually(lambda: fake_gateway.positions().get("SPY"), "no position at IB")
        trader.send_signal(signal.SIGKILL)
        await asyncio.wait_for(trader.wait(), WAIT)
    held = fake_gateway.positions()["SPY"][0]
    assert held > 0

    code, out, err = await hydra(
        "kill", "--flatten", "--reason", "dead, flat now", "--who", "carol",
        "--timeout", "2", "--json", env=env,
    )  # fmt: skip
    assert code == 0, out + err
    report = json.loads(out)
    assert report["path"] == "broker"
    assert report["not_flattened"] == []
    assert len(report["flattened"]) == 1
    await eventually(lambda: not fake_gateway.positions().get("SPY", (0.0,))[0], "not flat")
    assert not working(fake_gateway)
    sells = [p for p in fake_gateway.placed if p.action == "SELL"]
    assert [(p.client_id, p.order_type, p.quantity) for p in sells] == [(99, "MKT", held)]
    records = journal_records(env)
    (flatten,) = [r for r in records if r["kind"] == "flatten"]
    assert flatten["exemption"] == "kill switch flatten by carol"
    kill = records[-1]
    assert (kill["kind"], kill["who"], kill["why"]) == ("kill", "carol", "dead, flat now")
    assert read_journal(Path(env["HYDRA_STATE_DIR"]) / "hydra.journal.jsonl").damage is None


def orders_placed(fake: FakeIBGateway) -> int:
    """Orders that reached the fake (margin previews are whatIf orders, never executed)."""
    return len([o for o in fake.placed if not o.what_if])
