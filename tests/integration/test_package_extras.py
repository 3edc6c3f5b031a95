"""What the package promises without its extras, and with `[testing]` in strict asyncio mode.

Each test runs a fresh interpreter. "Without the extras" is an interpreter in which
starlette, uvicorn and prometheus_client cannot be imported (as after a plain
``pip install hydra-execution``): the gate embeds, BrokerGateway trades against the fake
IB Gateway, ``hydra demo`` runs, and the control server says which extra it needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hydra.testing.contract import BrokerContract

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

WEB_STACK = ("starlette", "uvicorn", "prometheus_client")
"""What a plain `pip install hydra-execution` leaves out: the [control] extra."""


def _python(
    code: str, cwd: Path, missing: tuple[str, ...] = WEB_STACK
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in which ``missing`` packages cannot be imported."""
    blocker = textwrap.dedent(
        f"""
        import sys

        class NotInstalled:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {set(missing)!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, NotInstalled())
        """
    )
    return subprocess.run(  # noqa: S603  (this interpreter, our own code)
        [sys.executable, "-c", blocker + textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_extras_the_gate_embeds_and_broker_gateway_trades(tmp_path: Path) -> None:
    """No web stack: BrokerGateway + RiskGate fill an order at the fake IB Gateway."""
    result = _python(
        """
        import asyncio, sys
        from hydra import BrokerGateway, CircuitBreakerManager, Instrument, OrderRequest
        from hydra import RiskGate, Side, build_container
        from hydra.testing import FakeIBGateway

        async def main():
            fake = FakeIBGateway(port=0)
            await fake.start()
            fake.set_price("AAPL", 200.0)
            gateway = BrokerGateway("127.0.0.1", fake.port, 1, connect_timeout=5.0)
            await gateway.connect()
            gate = RiskGate(gateway, CircuitBreakerManager())
            aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
            handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 2))
            print("status", (await handle.wait(timeout=10)).value)
            await gateway.disconnect()
            await fake.stop()
            build_container(env={}).risk_gate  # the container builds without the extra
            web = [m for m in sys.modules if m.split(".")[0] in ("starlette", "uvicorn")]
            print("web stack", web)

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "status Filled" in result.stdout
    assert "web stack []" in result.stdout


def test_without_extras_the_demo_runs_and_the_server_names_its_extra(tmp_path: Path) -> None:
    """`hydra demo` works; `hydra demo --serve` exits 2 naming hydra-execution[control]."""
    result = _python(
        """
        from hydra.entrypoints.cli import main
        print("demo exit", main(["demo", "--journal", "demo.jsonl"]))
        print("serve exit", main(["demo", "--serve", "--journal", "serve.jsonl"]))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "demo exit 0" in result.stdout
    assert "serve exit 2" in result.stdout
    assert "pip install 'hydra-execution[control]'" in result.stderr


def test_without_the_testing_extra_broker_contract_names_it(tmp_path: Path) -> None:
    """Without pytest, importing BrokerContract says which extra provides it."""
    result = _python(
        """
        try:
            from hydra.testing import BrokerContract
        except ImportError as exc:
            print(exc)
        """,
        tmp_path,
        missing=("pytest", "pytest_asyncio"),
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'hydra-execution[testing]'" in result.stdout


def test_broker_contract_runs_in_strict_asyncio_mode(tmp_path: Path) -> None:
    """A user's BrokerContract subclass passes with pytest-asyncio in strict mode."""
    (tmp_path / "test_my_adapter.py").write_text(
        textwrap.dedent(
            """
            import pytest_asyncio

            from hydra import SimulatedBroker
            from hydra.testing import BrokerContract
            from tests.contract.test_sim_contract import SimHarness


            class TestMyAdapter(BrokerContract):
                @pytest_asyncio.fixture
                async def harness(self):
                    broker = SimulatedBroker()
                    await broker.connect()
                    yield SimHarness(broker)
                    await broker.disconnect()
            """
        )
    )
    result = subprocess.run(  # noqa: S603  (this interpreter's pytest)
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=strict",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "-c",
            "/dev/null",
            "--rootdir",
            str(tmp_path),
            "-W",
            "error",
            str(tmp_path / "test_my_adapter.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # the repository's simulator harness
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = [name for name in dir(BrokerContract) if name.startswith("test_")]
    assert f"{len(tests)} passed" in result.stdout, result.stdout
