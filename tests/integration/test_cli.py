"""The `hydra` command, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hydra.adapters.journal import JsonlJournal

from .hydra_cli import run_hydra

pytestmark = pytest.mark.integration


def test_demo_shows_allowed_and_blocked_orders_with_breakers(tmp_path: Path) -> None:
    """`hydra demo` exits 0 showing allowed/blocked orders, a limit block and the kill switch."""
    result = run_hydra("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in (
        "ALLOWED",
        "BLOCKED",
        "daily_loss",
        "TRIPPED",
        "price_collar",
        "halted",
        "Kill switch: trading HALTED; cancelled orders [2]",
        "Positions",
        "Circuit breakers",
    ):
        assert text in out, text
    assert (tmp_path / "hydra-demo.journal.jsonl").exists()


def test_journal_lists_the_demos_decisions(tmp_path: Path) -> None:
    """`hydra journal` reads back the demo's journal: every decision, filterable by outcome."""
    journal = tmp_path / "demo.jsonl"
    demo = run_hydra("demo", "--json", "--journal", str(journal))
    assert demo.returncode == 0, demo.stderr
    decisions = json.loads(demo.stdout)["decisions"]
    listed = run_hydra("journal", str(journal), "--json")
    assert listed.returncode == 0, listed.stderr
    records = [r for r in json.loads(listed.stdout) if r["kind"] == "decision"]
    assert [r["outcome"] for r in records] == [d["outcome"] for d in decisions]
    blocked = run_hydra("journal", str(journal), "--outcome", "blocked")
    assert blocked.returncode == 0, blocked.stderr
    assert "allowed" not in blocked.stdout
    assert "price_collar" in blocked.stdout
    kinds = {r["kind"] for r in json.loads(listed.stdout)}
    assert {"session", "decision", "trip", "state", "kill"} <= kinds


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_demo_json_is_deterministic_and_trips_daily_loss(seed: int, tmp_path: Path) -> None:
    """`--json` output is identical for one seed and always trips the daily-loss breaker."""
    args = ("demo", "--json", "--seed", str(seed), "--orders", "10", "--journal", "j.jsonl")
    first = run_hydra(*args, cwd=tmp_path)
    second = run_hydra(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    outcomes = [d["outcome"] for d in data["decisions"]]
    # The orders, an amendment and a bracket, then one after the kill switch.
    assert len(outcomes) == 10 + 2 + 1
    assert [d["order_type"] for d in data["decisions"][4:6]] == ["LMT amend", "LMT bracket"]
    assert data["brackets"][0]["entry"]["status"] == "Filled"
    assert data["decisions"][-1]["triggered"] == ["halted"]
    assert data["trading_state"] == "HALTED"
    assert "allowed" in outcomes
    assert any("daily_loss" in d["triggered"] for d in data["decisions"])
    states = {b["name"]: b["state"] for b in data["breakers"]}
    assert states["daily_loss"] == "TRIPPED"


def test_demo_rejects_too_few_orders_with_a_clear_error(tmp_path: Path) -> None:
    """`--orders 2` exits 2 with an error naming the option, not a traceback."""
    result = run_hydra("demo", "--orders", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert "orders" in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_are_json_lines_when_not_a_terminal(tmp_path: Path) -> None:
    """Piped, the CLI logs JSON lines to stderr (one object per line)."""
    result = run_hydra("--log-level", "info", "demo", "--orders", "6", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert {"order.allowed", "order.blocked"} <= {r["event"] for r in records}


def test_hydra_journal_names_the_first_break_on_stderr(tmp_path: Path) -> None:
    """A removed record is reported on stderr by line; the records still list on stdout."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account="DU123456") as journal:
        for n in range(3):
            journal.append({"kind": "decision", "seq": n, "outcome": "allowed"})
    kept = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(kept[0] + kept[2])
    result = run_hydra("journal", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert "chain damaged: line 2: records removed or reordered" in result.stderr
    assert '"seq": 2' in result.stdout
