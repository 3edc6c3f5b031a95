"""An IB outage as the operator sees it: status, /metrics and the console over BrokerGateway.

The trader is the container's (gate, journal, control server) over the REAL BrokerGateway
and ib_async client, aimed at a FakeIBGateway that is killed and restarted; the gateway's
reconnect delays are short (as in ``test_gateway_reconnect``) so the endless reconnect
counts up within a second.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from hydra.adapters.control import ControlServer
from hydra.adapters.ib import BrokerGateway
from hydra.container import build_container
from hydra.testing import FakeIBGateway
from tests.control.browser import CHROMIUM, chromium, open_console
from tests.control.conftest import served
from tests.integration.gateway_harness import make_gateway

pytestmark = pytest.mark.integration

WINDOW = (0.01,) * 10
"""The seed's ten attempts, 10 ms apart: the endless attempts begin after about 0.1 s."""


@dataclass
class Trader:
    """The trader's control server over BrokerGateway, and an authenticated client of it."""

    gateway: BrokerGateway
    server: ControlServer
    token: str
    client: httpx.AsyncClient

    async def status(self) -> dict[str, Any]:
        """``/api/v1/status`` as JSON."""
        response = await self.client.get("/api/v1/status")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def reconnects_metric(self) -> float:
        """``hydra_reconnects_total`` on ``/metrics``."""
        text = (await self.client.get("/metrics")).text
        found = re.search(r"^hydra_reconnects_total (\S+)$", text, re.MULTILINE)
        assert found is not None, text
        return float(found.group(1))


@asynccontextmanager
async def trader_over(fake: FakeIBGateway, tmp_path: Path) -> AsyncIterator[Trader]:
    """The container's gate and control server, its broker a fast-reconnecting gateway."""
    container = build_container(
        env={},
        overrides={
            "broker": {"mode": "paper", "port": fake.port},
            "state": {"dir": str(tmp_path / "state")},
            "journal": {"path": str(tmp_path / "trader.jsonl"), "fsync": "never"},
            "control": {"enabled": True, "port": 0},
        },
    )
    gateway = make_gateway(fake, reconnect_delays=WINDOW, reconnect_jitter=0.5)
    container.paper_broker.override(providers.Object(gateway))
    await gateway.connect()
    try:
        container.risk_gate()
        async with served(container) as (server, token, client):
            yield Trader(gateway, server, token, client)
    finally:
        await gateway.disconnect()


async def until(check: Callable[[], Awaitable[Any]], what: str) -> None:
    """Wait until the async ``check`` is truthy (10 s at most)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not (seen := await check()):
        assert loop.time() < deadline, f"{what}; last seen {seen!r}"
        await asyncio.sleep(0.05)


async def test_status_and_metrics_show_the_reconnect_counting_up_and_the_return(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """IB gone: status says reconnecting and its count rises, as hydra_reconnects_total does."""
    fake_gateway.set_price("AAPL", 200.0)
    async with trader_over(fake_gateway, tmp_path) as trader:
        status = await trader.status()
        assert (status["connection"], status["reconnects"]) == ("connected", 0)
        assert await trader.reconnects_metric() == 0.0

        await fake_gateway.kill()

        async def reconnecting() -> int:
            status = await trader.status()
            return int(status["reconnects"]) if status["connection"] == "reconnecting" else 0

        await until(reconnecting, "status never said reconnecting")
        first = await reconnecting()
        first_metric = await trader.reconnects_metric()
        assert first_metric >= first > 0

        async def risen() -> bool:
            return await reconnecting() > first_metric and (
                await trader.reconnects_metric() > first_metric
            )

        await until(risen, "the count stopped rising while IB was down")
        await fake_gateway.restart()

        async def back() -> bool:
            return (await trader.status())["connection"] == "connected"

        await until(back, "status never said connected again")
        status = await trader.status()
        assert status["reconnects"] > first_metric
        assert await trader.reconnects_metric() == float(status["reconnects"])
        assert trader.gateway.reconnects == status["reconnects"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
async def test_the_console_shows_the_reconnect_counting_up_and_the_return(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """In Chromium: connection reads reconnecting and #reconnects rises; then connected."""
    fake_gateway.set_price("AAPL", 200.0)
    async with trader_over(fake_gateway, tmp_path) as trader, chromium() as browser:
        page = browser.page
        await open_console(page, trader.server.url, trader.token, "?poll=0.2")
        assert await page.text_content("#connection") == "connected"
        assert await page.text_content("#reconnects") == "0"

        await fake_gateway.kill()

        async def shown() -> tuple[str, int]:
            connection = await page.text_content("#connection") or ""
            return connection, int(await page.text_content("#reconnects") or "0")

        async def reconnecting() -> int:
            connection, count = await shown()
            return count if connection == "reconnecting" else 0

        await until(reconnecting, "the console never said reconnecting")
        first = await reconnecting()

        async def risen() -> bool:
            return await reconnecting() > first

        await until(risen, "the console's count stopped rising while IB was down")
        await fake_gateway.restart()

        async def back() -> bool:
            return (await shown())[0] == "connected"

        await until(back, "the console never said connected again")
        count = (await trader.status())["reconnects"]
        assert count > first

        async def final() -> bool:
            return await shown() == ("connected", count)

        await until(final, "the console's count is not the trader's")
