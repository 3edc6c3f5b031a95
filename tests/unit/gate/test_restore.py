"""Restore: a gate rebuilt from its journal comes back tripped or HALTED; a bad journal stops it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hydra.adapters.journal import read_journal
from hydra.application import RiskGate, parse_record
from hydra.application.records import (
    BreakerReset,
    BreakerTripped,
    GateRestored,
    SessionStarted,
    StateChanged,
)
from hydra.container import build_container
from hydra.domain import (
    BreakerInputs,
    ConfigError,
    OrderRequest,
    Side,
    TradingState,
)

from .desk import AAPL, NY_MORNING, OK


def test_rebuilt_gate_comes_back_tripped_until_reset(tmp_path: Path) -> None:
    """A drawdown trip survives a rebuild from the same config and journal; a reset clears it."""
    path = tmp_path / "journal.jsonl"
    overrides = {"journal": {"path": str(path)}, "gate": {"derive_inputs": False}}

    async def session(inputs: tuple[float, ...]) -> RiskGate:
        container = build_container(env={}, overrides=overrides)
        broker = container.sim_broker()
        await broker.connect()
        gate: RiskGate = container.risk_gate()
        gate.submit_with_decision(
            AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*inputs)
        )
        return gate

    first = asyncio.run(session((0.0, 100_000.0, 85_000.0, 0.0, 0.0)))
    assert first.last_decision is not None
    assert first.last_decision.triggered == ("drawdown",)
    first.close()  # the journal has one writer at a time
    second = asyncio.run(session(OK))
    assert second.last_decision is not None
    assert second.last_decision.triggered == ("drawdown",)
    second.reset_breaker("drawdown", who="cro", why="loss reviewed")
    second.close()
    third = asyncio.run(session(OK))
    assert third.last_decision is not None
    assert third.last_decision.allowed
    kinds = [type(parse_record(r)) for r in read_journal(path).records]
    assert kinds.count(GateRestored) == 2
    assert kinds.count(BreakerReset) == 1


def test_halted_state_survives_a_rebuild(tmp_path: Path) -> None:
    """A gate rebuilt from a journal that says HALTED comes back HALTED (fail closed)."""
    path = tmp_path / "journal.jsonl"
    overrides = {"journal": {"path": str(path)}}
    container = build_container(env={}, overrides=overrides)
    first = container.risk_gate()
    first.set_trading_state(TradingState.HALTED, who="ops", why="end of day")
    first.close()  # the journal has one writer at a time
    rebuilt = build_container(env={}, overrides=overrides).risk_gate()
    assert rebuilt.trading_state is TradingState.HALTED


def _write(path: Path, records: list[dict[str, object]], tail: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


ACTIVE = StateChanged(time=NY_MORNING, state=TradingState.ACTIVE, who="desk", why="open")
SESSION = SessionStarted(time=NY_MORNING, start=NY_MORNING, equity=1.0)


def test_a_damaged_journal_restores_halted(tmp_path: Path) -> None:
    """A torn last record may have been a HALT: the rebuilt gate starts HALTED."""
    path = tmp_path / "j.jsonl"
    _write(path, [ACTIVE.as_json()], ACTIVE.as_json().__repr__()[:12])
    gate = build_container(env={}, overrides={"journal": {"path": str(path)}}).risk_gate()
    assert gate.trading_state is TradingState.HALTED


def test_a_malformed_journal_record_is_a_config_error_naming_it(tmp_path: Path) -> None:
    """A trip record missing its fields stops start-up with an error naming the record."""
    path = tmp_path / "j.jsonl"
    _write(
        path,
        [SESSION.as_json(), {"kind": BreakerTripped.KIND}],
    )
    with pytest.raises(ConfigError, match="journal record 2"):
        build_container(env={}, overrides={"journal": {"path": str(path)}}).risk_gate()
