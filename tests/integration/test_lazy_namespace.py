"""`import hydra` in a fresh interpreter: the broker library loads only when asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_importing_hydra_loads_no_broker_library() -> None:
    """`import hydra` and the domain stay light: ib_async loads only when asked for."""
    code = (
        "import sys, hydra, hydra.domain; "
        "assert 'ib_async' not in sys.modules, 'ib_async loaded'; "
        "hydra.BrokerGateway; assert 'ib_async' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603
