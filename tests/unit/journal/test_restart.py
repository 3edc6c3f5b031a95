"""A gate rebuilt by the container from a lost or damaged journal starts HALTED, never ACTIVE."""

from __future__ import annotations

from pathlib import Path

import pytest
from dependency_injector import providers

from hydra.adapters.journal import JsonlJournal, read_journal
from hydra.application import RiskGate
from hydra.container import Container, build_container
from hydra.domain import ConfigError, JournalAccountError, TradingState

SIM_ACCOUNT = "SIM0001"  # the simulator's account id, which the container journals for


def container(path: Path, **journal: object) -> Container:
    """A container over the simulator whose journal is ``path``."""
    return build_container(env={}, overrides={"journal": {"path": str(path), **journal}})


def fresh_gate(path: Path) -> RiskGate:
    """Build a gate on ``path``, record a state change so the journal has records, close it."""
    built = container(path)
    gate: RiskGate = built.risk_gate()
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="test")
    gate.set_trading_state(TradingState.ACTIVE, who="ops", why="test")
    gate.close()
    return gate


def test_an_intact_journal_restores_active_with_the_sim_account(tmp_path: Path) -> None:
    """A whole chain rebuilds ACTIVE; its records carry the simulator's account id."""
    path = tmp_path / "j.jsonl"
    fresh_gate(path)
    assert container(path).risk_gate().trading_state is TradingState.ACTIVE
    assert {r["account"] for r in read_journal(path).records} == {SIM_ACCOUNT}


def test_a_missing_journal_with_its_anchor_restores_halted(tmp_path: Path) -> None:
    """Deleting the journal (anchor left) halts the rebuilt gate, saying the journal is missing."""
    path = tmp_path / "j.jsonl"
    fresh_gate(path)
    path.unlink()
    gate = container(path).risk_gate()
    assert gate.trading_state is TradingState.HALTED
    (halt,) = [r for r in read_journal(path).records if r.get("kind") == "state"]
    assert "journal missing" in halt["why"]


def test_an_edited_journal_restores_halted_naming_the_line(tmp_path: Path) -> None:
    """Chain damage halts the rebuilt gate; the halt record names the line and the reason."""
    path = tmp_path / "j.jsonl"
    fresh_gate(path)
    lines = path.read_bytes().splitlines(keepends=True)
    edited = next(n for n, line in enumerate(lines) if b'"who":"ops"' in line)
    lines[edited] = lines[edited].replace(b'"who":"ops"', b'"who":"eve"')
    path.write_bytes(b"".join(lines))
    gate = container(path).risk_gate()
    assert gate.trading_state is TradingState.HALTED
    why = read_journal(path).records[-1]["why"]
    assert f"line {edited + 1}: edited" in why


def test_a_journal_of_another_account_stops_start_up(tmp_path: Path) -> None:
    """journal.account different from the journal's stops the build with JournalAccountError."""
    path = tmp_path / "j.jsonl"
    JsonlJournal(path, account="DU123456").close()
    with pytest.raises(JournalAccountError, match="DU123456"):
        container(path).risk_gate()


def test_a_configured_account_must_match_the_brokers(tmp_path: Path) -> None:
    """journal.account that differs from the broker's account is a ConfigError naming the key."""
    with pytest.raises(ConfigError) as caught:
        container(tmp_path / "j.jsonl", account="DU123456").risk_gate()
    assert caught.value.key == "journal.account"


def test_new_journal_archives_and_starts_active(tmp_path: Path) -> None:
    """With new_journal overridden to True, a lost journal is archived aside and starts ACTIVE."""
    path = tmp_path / "j.jsonl"
    fresh_gate(path)
    path.unlink()
    built = container(path)
    built.new_journal.override(providers.Object(True))  # noqa: FBT003
    gate = built.risk_gate()
    assert gate.trading_state is TradingState.ACTIVE
    assert any(p.name.startswith("j.jsonl.anchor.") for p in tmp_path.iterdir())
