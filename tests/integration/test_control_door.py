"""The control plane's door under another user's crowd, and the demo on the configured port.

`hydra demo --serve` runs with the common default of 1024 open files; another process
opens 2,000 idle or half-sent TCP connections to its control port and holds them. The
owner's `hydra status` and `hydra kill` must still work.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .hydra_cli import run_hydra
from .trader_harness import free_port

pytestmark = pytest.mark.integration

CROWD = Path(__file__).with_name("crowd.py")


def _default_file_limit() -> None:
    """In the child: the 1024 open files most systems give a process by default."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


@contextmanager
def _served_demo(env: dict[str, str], *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`hydra demo --serve ARGS` until its banner; SIGTERM afterwards."""
    demo = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "hydra.entrypoints.cli", "demo", "--serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=env["HYDRA_STATE_DIR"] + "-cwd",
        preexec_fn=_default_file_limit,  # noqa: PLW1509  (no threads in the test yet)
    )
    try:
        assert demo.stdout is not None
        yield demo, demo.stdout.readline()
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.communicate(timeout=30)


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    (tmp_path / "state-cwd").mkdir()
    return {
        **os.environ,
        "HYDRA_STATE_DIR": str(tmp_path / "state"),
        "HYDRA_CONTROL_PORT": str(port),
    }


def test_two_thousand_idle_sockets_do_not_lock_the_owner_out(tmp_path: Path) -> None:
    """With 2,000 idle/half-open connections held on its port, status and kill still work."""
    port = free_port()
    env = _env(tmp_path, port)
    with _served_demo(env) as (demo, banner):
        assert f"http://127.0.0.1:{port}" in banner  # the configured port, no --port
        crowd = subprocess.Popen(  # noqa: S603
            [sys.executable, str(CROWD), str(port), "2000"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert crowd.stdout is not None
            assert crowd.stdout.readline() == "holding\n"
            status = run_hydra("status", "--json", "--timeout", "10", env=env)
            assert status.returncode == 0, status.stdout + status.stderr
            assert json.loads(status.stdout)["trading_state"] in ("ACTIVE", "REDUCING")
            kill = run_hydra("kill", "--reason", "crowd test", "--timeout", "10", env=env)
            assert kill.returncode == 0, kill.stdout + kill.stderr
            assert "Confirmed: trading HALTED" in kill.stdout
            if Path(f"/proc/{demo.pid}/fd").exists():  # the trader never held the crowd
                assert len(os.listdir(f"/proc/{demo.pid}/fd")) < 300
        finally:
            crowd.kill()
            crowd.communicate()


def test_demo_serve_follows_the_configured_port_and_an_explicit_one_wins(
    tmp_path: Path,
) -> None:
    """HYDRA_CONTROL_PORT sets the served demo's port; --port overrides it."""
    configured, explicit = free_port(), free_port()
    env = _env(tmp_path, configured)
    with _served_demo(env) as (_demo, banner):
        assert f"http://127.0.0.1:{configured}" in banner
    with _served_demo(env, "--port", str(explicit)) as (_demo, banner):
        assert f"http://127.0.0.1:{explicit}" in banner
