"""Run the `hydra` command the way a user does: a fresh interpreter, text output captured."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["run_hydra"]


def run_hydra(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m hydra.entrypoints.cli ARGS` to completion (60 s at most); exit code unchecked."""
    return subprocess.run(  # noqa: S603  (our own entry point, fixed arguments)
        [sys.executable, "-m", "hydra.entrypoints.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
