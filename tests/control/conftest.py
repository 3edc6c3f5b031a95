"""A gate over the simulator with its control server on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hydra.adapters.control import ControlServer
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.container import Container, build_container


@dataclass
class Running:
    """A running trader in the test's loop: container, gate, broker, control server, client."""

    container: Container
    gate: RiskGate
    broker: SimulatedBroker
    server: ControlServer
    token: str
    client: httpx.AsyncClient
    journal: Path


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    """A sim trader with the control server on 127.0.0.1:<free port> and an authed client."""
    journal = tmp_path / "trader.jsonl"
    container = build_container(
        env={},
        overrides={
            "state": {"dir": str(tmp_path / "state")},
            "journal": {"path": str(journal), "fsync": "never"},
            "control": {"enabled": True, "port": 0},
        },
    )
    broker: SimulatedBroker = container.sim_broker()
    await broker.connect()
    gate: RiskGate = container.risk_gate()
    async with served(container) as (server, token, client):
        yield Running(container, gate, broker, server, token, client, journal)
    await broker.disconnect()


@asynccontextmanager
async def served(
    container: Container,
) -> AsyncIterator[tuple[ControlServer, str, httpx.AsyncClient]]:
    """The container's control server, running, with its token and an authed client."""
    server: ControlServer = container.control_server()
    async with server:
        token = server.token_file.read_text().strip()
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client:
            yield server, token, client
