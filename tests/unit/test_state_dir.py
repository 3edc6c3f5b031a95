"""The per-user state directory: default paths, overrides, and foreign HYDRA_* variables."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from hydra.settings import load_settings


def test_journal_and_token_default_to_absolute_paths_in_the_state_dir(tmp_path: Path) -> None:
    """Without paths in the config, journal and token live in $XDG_STATE_HOME/hydra."""
    settings = load_settings(env={"XDG_STATE_HOME": str(tmp_path)})
    state = tmp_path / "hydra"
    assert settings.get("state", "dir") == str(state)
    assert settings.get("journal", "path") == str(state / "hydra.journal.jsonl")
    assert settings.get("control", "token_file") == str(state / "control.token")


def test_hydra_state_dir_wins_and_relative_paths_become_absolute(tmp_path: Path) -> None:
    """HYDRA_STATE_DIR overrides XDG; a relative journal path is made absolute at load."""
    settings = load_settings(
        env={"HYDRA_STATE_DIR": str(tmp_path / "s"), "HYDRA_JOURNAL_PATH": "rel.jsonl"}
    )
    assert settings.get("state", "dir") == str(tmp_path / "s")
    journal = Path(settings.get("journal", "path"))
    assert journal.is_absolute()
    assert journal.name == "rel.jsonl"
    assert settings.get("control", "token_file") == str(tmp_path / "s" / "control.token")


def test_home_is_the_fallback_when_xdg_is_unset(isolated_state_dir: Path) -> None:
    """With no XDG_STATE_HOME the state dir is ~/.local/state/hydra (a temp HOME here)."""
    settings = load_settings(env={})
    assert settings.get("state", "dir").endswith(".local/state/hydra")
    assert not Path(settings.get("state", "dir")).exists()  # loading creates nothing


def test_foreign_hydra_variables_are_ignored_with_a_warning() -> None:
    """HYDRA_FULL_ERROR (another package's) is ignored and logged, not a ConfigError."""
    with capture_logs() as logs:
        settings = load_settings(env={"HYDRA_FULL_ERROR": "1"})
    assert settings.get("broker", "mode") == "sim"
    assert [log["variable"] for log in logs if log["event"] == "settings.env_ignored"] == [
        "HYDRA_FULL_ERROR"
    ]
