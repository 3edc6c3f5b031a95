"""Configuration and the container: file <- env precedence, strictness, adapter selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.container import build_container
from hydra.domain import ConfigError
from hydra.settings import load_settings


def test_defaults_select_the_simulator(tmp_path: Path) -> None:
    """With no file and no env the container wires a RiskGate over a SimulatedBroker."""
    journal = tmp_path / "j.jsonl"
    container = build_container(env={}, overrides={"journal": {"path": str(journal)}})
    assert container.settings().broker.mode == "sim"
    assert isinstance(container.broker(), SimulatedBroker)
    assert isinstance(container.risk_gate(), RiskGate)
    assert container.risk_gate() is container.risk_gate()
    assert container.settings().journal.path == str(journal)


def test_env_wins_over_the_file(tmp_path: Path) -> None:
    """A HYDRA_* variable overrides the same key from the TOML file."""
    path = tmp_path / "hydra.toml"
    path.write_text("[breakers]\ndaily_loss_limit = -0.03\nmax_drawdown = 0.2\n")
    settings = load_settings(path, env={"HYDRA_BREAKERS_DAILY_LOSS_LIMIT": "-0.04"})
    assert settings.get("breakers", "daily_loss_limit") == -0.04
    assert settings.get("breakers", "max_drawdown") == 0.2
    breakers = build_container(path, env={"HYDRA_BREAKERS_DAILY_LOSS_LIMIT": "-0.04"}).breakers()
    assert breakers.config.daily_loss_limit == -0.04


def test_config_file_named_by_env(tmp_path: Path) -> None:
    """HYDRA_CONFIG names the file when no path is given."""
    path = tmp_path / "hydra.toml"
    path.write_text('[sim]\ncash = 5000\n[broker]\nmode = "sim"\n')
    settings = load_settings(env={"HYDRA_CONFIG": str(path)})
    assert settings.get("sim", "cash") == 5000.0
    assert str(path) in settings.source


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[brokers]\nmode = 'sim'\n", {}, "brokers"),
        ("[broker]\nmood = 'sim'\n", {}, "broker.mood"),
        ("[broker]\nmode = 'casino'\n", {}, "broker.mode"),
        ("[broker]\nport = 'abc'\n", {}, "broker.port"),
        ("[sim]\ncash = nan\n", {}, "sim.cash"),
        ("", {"HYDRA_BROKER_MOOD": "x"}, "HYDRA_BROKER_MOOD"),
        ("", {"HYDRA_CONTROL_PROT": "1"}, "HYDRA_CONTROL_PROT"),
        ("", {"HYDRA_JOURNAL_PATH": ""}, "journal.path"),
        ("", {"HYDRA_CONTROL_EMERGENCY_CLIENT_ID": "1"}, "control.emergency_client_id"),
        ("", {"HYDRA_CONTROL_PORT": "70000"}, "control.port"),
        ("", {"HYDRA_BROKER_ALLOW_LIVE": "maybe"}, "broker.allow_live"),
        ("", {"HYDRA_BROKER_CLIENT_ID": "7"}, "broker.client_id"),
        ("", {"HYDRA_GATE_HISTORY": "0"}, "gate.history"),
        ("", {"HYDRA_SIM_CASH": "-5"}, "sim.cash"),
        ("", {"HYDRA_JOURNAL_FSYNC": "sometimes"}, "journal.fsync"),
        ("", {"HYDRA_JOURNAL_SEGMENT_MB": "0"}, "journal.segment_mb"),
        ("[journal]\nsegment_mb = -16\n", {}, "journal.segment_mb"),
        ("", {"HYDRA_BREAKERS_SESSION_RESET": "25:00"}, "breakers.session_reset"),
        ("", {"HYDRA_BREAKERS_MAX_DRAWDOWN": "1.5"}, "breakers.max_drawdown"),
        ("", {"HYDRA_BREAKERS_SESSION_TIMEZONE": "Nowhere/City"}, "breakers.session_timezone"),
    ],
)
def test_unknown_keys_and_bad_values_fail_at_startup(
    tmp_path: Path, text: str, env: dict[str, str], key: str
) -> None:
    """Every unknown key or bad value raises ConfigError naming the key."""
    path = tmp_path / "hydra.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        build_container(path, env=env)
    assert caught.value.key == key
    assert key in str(caught.value)


def test_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    """A missing file or invalid TOML is a ConfigError, not a crash."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[broker\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, env={})


def test_config_version_changes_with_the_config() -> None:
    """The config version digest is stable for equal configs and differs otherwise."""
    a = load_settings(env={})
    b = load_settings(env={})
    c = load_settings(env={"HYDRA_SIM_SEED": "3"})
    assert a.version == b.version
    assert a.version != c.version
