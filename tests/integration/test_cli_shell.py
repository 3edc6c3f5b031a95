"""The `hydra` command in a shell: --version, colour and NO_COLOR, completion, quiet vendor logs."""

from __future__ import annotations

import os
import pty
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hydra.entrypoints.shell import version

from .hydra_cli import run_hydra

pytestmark = pytest.mark.integration

ESC = "\x1b["


def _in_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run `hydra ARGS` with its standard output on a pseudo-terminal; return what it wrote."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(  # noqa: S603  (our own entry point)
            [sys.executable, "-m", "hydra.entrypoints.cli", *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            timeout=60,
            check=False,
        )
        assert process.returncode == 0, process.stderr
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def test_version_names_the_installed_distribution() -> None:
    """`hydra --version` prints the version and exits 0."""
    result = run_hydra("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hydra {version()} (hydra-execution)"


def test_colour_follows_the_terminal_no_color_and_the_flag(tmp_path: Path) -> None:
    """A terminal gets colour unless NO_COLOR is set; --color always/never wins over both."""
    assert run_hydra("demo", "--journal", "j.jsonl", cwd=tmp_path).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    table = ["journal", "j.jsonl", "--outcome", "blocked"]
    assert "\x1b[31mblocked\x1b[0m" in _in_a_terminal(table, env, tmp_path)
    assert ESC not in _in_a_terminal(table, env | {"NO_COLOR": "1"}, tmp_path)
    assert ESC not in _in_a_terminal(["--color", "never", *table], env, tmp_path)
    always = ["--color", "always", *table]
    assert ESC in _in_a_terminal(always, env | {"NO_COLOR": "1"}, tmp_path)
    piped = run_hydra(*table, cwd=tmp_path)  # not a terminal: plain text for scripts
    assert piped.returncode == 0
    assert ESC not in piped.stdout
    assert "blocked" in piped.stdout


def test_bash_completion_completes_commands_and_breaker_names(tmp_path: Path) -> None:
    """`hydra completion bash`, sourced by bash, completes subcommands and choices."""
    result = run_hydra("completion", "bash")
    assert result.returncode == 0, result.stderr
    script = tmp_path / "hydra.bash"
    script.write_text(result.stdout)
    complete = (
        f"source {script}; "
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; '
        '_shtab_hydra; echo "${COMPREPLY[@]}"'
    )

    def words(*line: str) -> list[str]:
        done = subprocess.run(  # noqa: S603
            ["bash", "-c", complete, "bash", *line],  # noqa: S607  (bash from PATH)
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout.split()

    assert words("hydra", "pos") == ["positions"]
    assert words("hydra", "reset-breaker", "d") == ["daily_loss", "drawdown"]
    assert "orders" in words("hydra", "")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_scripts_parse(shell: str, tmp_path: Path) -> None:
    """The zsh and fish scripts name every read command and pass the shell's syntax check."""
    result = run_hydra("completion", shell)
    assert result.returncode == 0, result.stderr
    for command in ("positions", "orders", "breakers", "reset-breaker", "completion"):
        assert command in result.stdout
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed: the script was generated, not parsed")
    script = tmp_path / f"hydra.{shell}"
    script.write_text(result.stdout)
    check = subprocess.run(  # noqa: S603
        [binary, "-n", str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("args", [(), ("completion", "tcsh"), ("--color", "sometimes", "demo")])
def test_usage_errors_exit_2_without_a_traceback(args: tuple[str, ...]) -> None:
    """No command, an unknown shell or colour mode: exit 2 and a usage line."""
    result = run_hydra(*args)
    assert result.returncode == 2
    assert "usage: hydra" in result.stderr
    assert "Traceback" not in result.stderr


def test_ib_async_log_lines_stay_out_unless_debug() -> None:
    """ib_async's own 'API connection failed' lines show only with --log-level debug."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = str(probe.getsockname()[1])
    quiet = run_hydra("positions", "--ib", "--port", closed, "--timeout", "1")
    assert quiet.returncode == 1
    assert "cannot connect to IB" in quiet.stderr
    assert "API connection failed" not in quiet.stderr
    assert "Make sure API port" not in quiet.stderr
    loud = run_hydra(
        "--log-level", "debug", "positions", "--ib", "--port", closed, "--timeout", "1"
    )
    assert loud.returncode == 1
    assert "API connection failed" in loud.stderr
