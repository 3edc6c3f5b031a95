"""`hydra kill` never reports a kill that did not happen, and never hands its token out.

Process-level: the trader is `hydra trade` over the fake gateway (``trader_harness``),
the operator `hydra` in another process; a squatter is another process on the port.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from hydra.adapters.journal import JsonlJournal
from hydra.testing import FakeIBGateway

from .trader_harness import (
    WAIT,
    dead_trader,
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

SQUATTER = Path(__file__).with_name("squatter.py")


async def test_a_shell_without_the_token_refuses_and_never_falls_back(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """A live trader answers but this shell has no token: exit 1, no HALT elsewhere, no cancel."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    elsewhere = {**env, "HYDRA_STATE_DIR": str(tmp_path / "another-state-dir")}
    async with running_trader(env, tmp_path / "trader.log"):
        resting = await ladder_resting(fake_gateway)
        code, out, err = await hydra("kill", "--reason", "stop", "--timeout", "2", env=elsewhere)
        assert code == 1, out + err
        assert not (tmp_path / "another-state-dir" / "hydra.journal.jsonl").exists()
        assert "token cannot be read" in err
        assert "refusing to act without verifying it" in err
        assert working(fake_gateway) == resting  # no global cancel behind the trader's back
        assert (await trader_status(env))["trading_state"] == "ACTIVE"


async def test_a_squatter_on_the_control_port_gets_no_token_and_kill_fails_loudly(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """A process answering on the dead trader's port: no token leaks, exit 1; --broker works."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    resting = await dead_trader(env, tmp_path / "trader.log", fake_gateway)
    token = (tmp_path / "state" / "control.token").read_text().strip()
    log = tmp_path / "squatter.log"
    squatter = await asyncio.create_subprocess_exec(
        sys.executable, str(SQUATTER), env["HYDRA_CONTROL_PORT"], str(log),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert squatter.stdout is not None
        assert await asyncio.wait_for(squatter.stdout.readline(), WAIT) == b"listening\n"
        code, out, err = await hydra("kill", "--reason", "stop", "--timeout", "2", env=env)
        assert code == 1, out + err
        assert token not in log_text(log)  # it saw the challenge, never the token
        assert "could not prove it holds the trader's token" in err
        assert "The kill was NOT sent" in err
        assert working(fake_gateway) == resting
        assert not [r for r in journal_records(env) if r.get("path") == "broker"]

        code, out, err = await hydra(
            "kill", "--broker", "--reason", "squatter on the port", "--timeout", "2", env=env
        )
        assert code == 0, out + err
        assert "The trader was not asked (--broker)" in out
        assert not working(fake_gateway)
        records = journal_records(env)
        halt = next(r for r in records if r.get("path") == "broker")
        assert (halt["kind"], halt["state"]) == ("state", "HALTED")
        # Stamped with the version of the configuration the fallback ran under, as the
        # trader stamps its own records (the trader's own flags may make it differ).
        assert len(halt["config_version"]) == 12
        assert token not in log_text(log)
    finally:
        squatter.kill()
        await squatter.wait()


async def test_the_halt_goes_only_into_the_traders_own_journal(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """No journal at the path, or another account's: no HALT written there, exit 1."""
    env = trader_env(tmp_path, fake_gateway)
    fresh = tmp_path / "nowhere.jsonl"
    code, out, err = await hydra(
        "kill", "--reason", "stop", "--journal", str(fresh), "--timeout", "1", env=env
    )
    assert code == 1, out + err
    assert not fresh.exists()
    assert "no trader journal at" in out
    assert "NOT DONE" in out

    foreign = tmp_path / "foreign.jsonl"
    with JsonlJournal(foreign, account="U999") as journal:
        journal.append({"kind": "note", "why": "another account's journal"})
    before = file_bytes(foreign)
    code, out, err = await hydra(
        "kill", "--reason", "stop", "--journal", str(foreign), "--timeout", "1", env=env
    )
    assert code == 1, out + err
    assert file_bytes(foreign) == before
    assert "the broker manages DU" in out


async def test_a_silent_listener_without_a_journal_writer_is_not_the_trader(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Something accepts on the port but never answers, no one holds the journal: exit 1."""
    env = trader_env(tmp_path, fake_gateway)
    await hydra("kill", "--broker", "--reason", "make a token", "--timeout", "1", env=env)
    (tmp_path / "state").mkdir(exist_ok=True, mode=0o700)
    (tmp_path / "state" / "control.token").write_text("t" * 43)
    (tmp_path / "state" / "control.token").chmod(0o600)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", int(env["HYDRA_CONTROL_PORT"])))
        silent.listen(8)  # accepts into the backlog, never answers
        code, out, err = await hydra("kill", "--reason", "stop", "--timeout", "1", env=env)
    assert code == 1, out + err
    assert "cannot tell that what listens is the trader" in err
    assert not (tmp_path / "state" / "hydra.journal.jsonl").exists()
