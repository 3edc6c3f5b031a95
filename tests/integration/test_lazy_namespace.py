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


def test_the_cli_loads_the_broker_library_and_the_container_only_for_commands_that_use_them() -> (
    None
):
    """`hydra journal` and `hydra --version` start without ib_async or the container."""
    code = (
        "import sys, hydra.entrypoints.cli as cli; "
        "heavy = ('ib_async', 'dependency_injector', 'hydra.container'); "
        "assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603
