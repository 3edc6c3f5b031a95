"""Operating a running trader from another process: `hydra demo --serve` plus the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hydra.adapters.journal import read_journal
from hydra.application import parse_record

from .hydra_cli import run_hydra

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_status_and_halt_reach_a_running_trader_which_stops_cleanly(tmp_path: Path) -> None:
    """Another process reads the served trader, HALTs it (journaled who/why); SIGTERM stops it."""
    env = {**os.environ, "HYDRA_STATE_DIR": str(tmp_path / "state")}
    port = _free_port()
    journal = tmp_path / "demo.jsonl"
    trader = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "hydra.entrypoints.cli", "demo", "--serve", "--port", str(port),
         "--journal", str(journal)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )  # fmt: skip
    try:
        assert trader.stdout is not None
        banner = trader.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        control = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not any(r["kind"] == "decision" for r in read_journal(journal).records):
            assert time.monotonic() < deadline, "the served demo made no decision"
            time.sleep(0.2)
        status = run_hydra("status", "--control", control, "--json", env=env)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["trading_state"] == "ACTIVE"
        halt = run_hydra(
            "halt", "--control", control, "--reason", "desk review", "--who", "alice", env=env
        )
        assert halt.returncode == 0, halt.stderr
        assert "Trading HALTED" in halt.stdout
        states = [r for r in read_journal(journal).records if r["kind"] == "state"]
        assert (states[-1]["who"], states[-1]["why"]) == ("alice", "desk review")
        deadline = time.monotonic() + 30
        while True:
            blocked = [
                r for r in read_journal(journal).records
                if getattr(parse_record(r), "triggered", ()) == ("halted",)
            ]  # fmt: skip
            if blocked:
                break
            assert time.monotonic() < deadline, "no order was blocked after the HALT"
            time.sleep(0.2)
    finally:
        trader.send_signal(signal.SIGTERM)
        _, err = trader.communicate(timeout=20)
    assert trader.returncode == 0, err
    assert "Traceback" not in err


def test_kill_without_a_control_server_says_it_used_the_broker(tmp_path: Path) -> None:
    """Nothing answers anywhere and no journal: no HALT in a new file, both failures said, 1."""
    env = {**os.environ, "HYDRA_STATE_DIR": str(tmp_path / "state")}
    journal = tmp_path / "trader.jsonl"
    result = run_hydra(
        "kill", "--reason", "trader hung", "--control", f"http://127.0.0.1:{_free_port()}",
        "--port", str(_free_port()), "--journal", str(journal), "--timeout", "1", env=env,
    )  # fmt: skip
    assert result.returncode == 1
    assert "No control server answered" in result.stdout
    assert "global cancel FAILED" in result.stdout
    assert "HALT NOT recorded (no trader journal at" in result.stdout
    assert "Traceback" not in result.stderr
    assert not journal.exists()  # never a fresh journal somewhere else
