"""Every `hydra` command that takes a journal path refuses a bad one with a sentence."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from .hydra_cli import run_hydra

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hydra(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_hydra(
        *args,
        cwd=tmp_path,
        env={**os.environ, "HYDRA_STATE_DIR": str(tmp_path / "state"), **env},
    )


def test_journal_of_a_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    """`hydra journal missing.jsonl` exits 2: no such journal (not an empty table)."""
    missing = tmp_path / "missing.jsonl"
    result = _hydra("journal", str(missing), tmp_path=tmp_path)
    assert result.returncode == 2
    assert "no such journal file" in result.stderr
    assert str(missing) in result.stderr
    assert result.stdout == ""
    assert not missing.exists()


def test_breakers_with_a_missing_journal_exits_2_before_connecting(tmp_path: Path) -> None:
    """`hydra breakers --journal missing` is bad input, refused before any gateway is asked."""
    result = _hydra(
        "breakers", "--journal", str(tmp_path / "missing.jsonl"), "--port", str(_free_port()),
        "--timeout", "1", tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--journal: no such journal file" in result.stderr
    assert "cannot connect" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "field"),
    [
        (("journal", "{dir}"), {}, "path"),
        (("journal",), {"HYDRA_JOURNAL_PATH": "{dir}"}, "journal.path"),
        (("breakers", "--journal", "{dir}", "--timeout", "1"), {}, "--journal"),
        (("demo", "--journal", "{dir}"), {}, "--journal"),
        (("demo", "--serve", "--journal", "{dir}"), {}, "--journal"),
        (("trade", "--broker", "sim"), {"HYDRA_JOURNAL_PATH": "{dir}"}, "journal.path"),
    ],
    ids=["journal", "journal-config", "breakers", "demo", "demo-serve", "trade"],
)
def test_a_directory_as_journal_is_a_clean_error(
    args: tuple[str, ...], env: dict[str, str], field: str, tmp_path: Path
) -> None:
    """A directory where a journal should be: exit 2, the field named, no traceback."""
    directory = tmp_path / "a-directory"
    directory.mkdir()
    argv = [a.format(dir=directory) for a in args]
    result = _hydra(
        *argv, tmp_path=tmp_path, **{k: v.format(dir=directory) for k, v in env.items()}
    )
    assert result.returncode == 2, result.stderr
    assert f"{field}: " in result.stderr
    assert "directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(directory.iterdir()) == []


def test_kill_fallback_with_a_directory_journal_still_cancels_and_says_so(tmp_path: Path) -> None:
    """The fallback reports the unusable journal, still tries the cancel, exits 1, no traceback."""
    directory = tmp_path / "a-directory"
    directory.mkdir()
    result = _hydra(
        "kill", "--reason", "trader hung", "--journal", str(directory),
        "--control", f"http://127.0.0.1:{_free_port()}", "--port", str(_free_port()),
        "--timeout", "1", tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "HALT NOT recorded (--journal: is a directory" in result.stdout
    assert "global cancel FAILED" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert list(directory.iterdir()) == []
