"""The `hydra` command, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _hydra(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own entry point, fixed arguments)
        [sys.executable, "-m", "hydra.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_shows_allowed_and_blocked_orders_with_breakers() -> None:
    """`hydra demo` exits 0 and prints allowed and blocked orders, naming the daily-loss trip."""
    result = _hydra("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ALLOWED" in out
    assert "BLOCKED" in out
    assert "daily_loss" in out
    assert "TRIPPED" in out
    assert "Positions" in out
    assert "Circuit breakers" in out


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_demo_json_is_deterministic_and_trips_daily_loss(seed: int) -> None:
    """`--json` output is identical for one seed and always trips the daily-loss breaker."""
    first = _hydra("demo", "--json", "--seed", str(seed), "--orders", "10")
    second = _hydra("demo", "--json", "--seed", str(seed), "--orders", "10")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    outcomes = [d["outcome"] for d in data["decisions"]]
    assert len(outcomes) == 10
    assert "allowed" in outcomes
    assert any("daily_loss" in d["triggered"] for d in data["decisions"])
    states = {b["name"]: b["state"] for b in data["breakers"]}
    assert states["daily_loss"] == "TRIPPED"


def test_demo_rejects_too_few_orders_with_a_clear_error() -> None:
    """`--orders 2` exits 2 with an error naming the option, not a traceback."""
    result = _hydra("demo", "--orders", "2")
    assert result.returncode == 2
    assert "orders" in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_are_json_lines_when_not_a_terminal() -> None:
    """Piped, the CLI logs JSON lines to stderr (one object per line)."""
    result = _hydra("--log-level", "info", "demo", "--orders", "6")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert {"order.allowed", "order.blocked"} <= {r["event"] for r in records}
