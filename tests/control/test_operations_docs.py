"""docs/operations against the real Prometheus tools: config, alert rules, dashboard, a scrape.

The scrape test runs the real Prometheus server with the documented scrape config (bearer
token file and all) against a trader that HALTs three times within one scrape interval.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.control.conftest import Running
from tests.control.processes import free_port, stop
from tests.control.scenes import buy, trip_daily_loss

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
HALTS = 'hydra_state_changes_total{job="hydra", state="HALTED"}'
"""The PromQL that shows the HALT counter."""


async def _run(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


def _dashboard_queries() -> list[str]:
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def _as_query(expr: str) -> str:
    """A dashboard expression as Prometheus can run it (Grafana's variables filled in)."""
    return expr.replace("$__rate_interval", "1m").replace('=~"$instance"', '=~".*"')


def _scrape_config(tmp_path: Path, target: str, token_file: Path, interval: str) -> Path:
    """The documented prometheus.yml, pointed at ``target`` with ``token_file``."""
    config = (DOCS / "prometheus.yml").read_text()
    for documented, actual in (
        ('targets: ["127.0.0.1:8470"]', f'targets: ["{target}"]'),
        ("/etc/prometheus/hydra-control.token", str(token_file)),
        ("scrape_interval: 15s", f"scrape_interval: {interval}"),
    ):
        assert documented in config, documented
        config = config.replace(documented, actual)
    shutil.copy(DOCS / "hydra-alerts.yml", tmp_path / "hydra-alerts.yml")
    path = tmp_path / "prometheus.yml"
    path.write_text(config)
    return path


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed")
async def test_alert_rules_pass_promtool_check_and_their_unit_tests() -> None:
    """`promtool check rules` accepts the alerts and `promtool test rules` proves they fire."""
    assert PROMTOOL is not None
    code, out = await _run(PROMTOOL, "check", "rules", str(DOCS / "hydra-alerts.yml"))
    assert code == 0, out
    assert "SUCCESS: 12 rules found" in out
    code, out = await _run(PROMTOOL, "test", "rules", str(DOCS / "hydra-alerts.test.yml"))
    assert code == 0, out


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed")
async def test_the_scrape_config_passes_promtool_check_config(tmp_path: Path) -> None:
    """The documented scrape config (bearer token file, rule file) is valid Prometheus config."""
    assert PROMTOOL is not None
    token = tmp_path / "hydra-control.token"
    token.write_text("token\n")
    token.chmod(0o600)
    config = _scrape_config(tmp_path, "127.0.0.1:8470", token, "15s")
    code, out = await _run(PROMTOOL, "check", "config", str(config))
    assert code == 0, out
    assert "SUCCESS" in out


async def test_the_dashboard_only_charts_metrics_the_trader_exports(running: Running) -> None:
    """Every metric the Grafana dashboard queries is in /metrics (histograms by their parts)."""
    await buy(running, "AAPL", 1)
    await trip_daily_loss(running)
    exposed = set(re.findall(r"^([a-z_]+)[{ ]", (await running.client.get("/metrics")).text, re.M))
    used = {
        name
        for expr in _dashboard_queries()
        for name in re.findall(r"\b((?:hydra|process)_[a-z_]+)\{", expr)
    }
    assert len(used) >= 15
    assert used <= exposed, used - exposed


@asynccontextmanager
async def _prometheus(config: Path, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    assert PROMETHEUS is not None
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(300):
                with suppress(httpx.TransportError):
                    if (await client.get("/-/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            yield client
    finally:
        await stop(process, grace=20)


async def _query(prometheus: httpx.AsyncClient, promql: str) -> list[dict[str, Any]]:
    answer = (await prometheus.get("/api/v1/query", params={"query": promql})).json()
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


async def _until(prometheus: httpx.AsyncClient, promql: str, value: float) -> None:
    for _ in range(300):  # up to 30 s: a scrape every 2 s
        result = await _query(prometheus, promql)
        if result and float(result[0]["value"][1]) == value:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{promql} never became {value}: {result}")


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed")
async def test_prometheus_counts_three_halts_within_one_scrape_interval(
    running: Running, tmp_path: Path
) -> None:
    """Prometheus, scraping with the documented config, sees HALTED entered 3 times."""
    target = running.server.url.removeprefix("http://")
    config = _scrape_config(tmp_path, target, running.server.token_file, "2s")
    async with _prometheus(config, tmp_path) as prometheus:
        await _until(prometheus, HALTS, 0.0)  # a first scrape, before any HALT
        for _ in range(3):  # all between two scrapes: nothing awaits in between
            running.gate.set_trading_state("HALTED", who="ops", why="flap")
            running.gate.set_trading_state("ACTIVE", who="ops", why="flap")
        await _until(prometheus, HALTS, 3.0)
        samples = await _query(prometheus, f"{HALTS}[1m]")
        values = [float(v) for _, v in samples[0]["values"]]
        assert sorted(set(values)) == [0.0, 3.0]  # 0, then 3: no scrape saw 1 or 2
        # The gauge alone would have missed every one of them.
        halted = await _query(prometheus, 'max_over_time(hydra_trading_state{state="HALTED"}[1m])')
        assert float(halted[0]["value"][1]) == 0.0
        for expr in _dashboard_queries():  # every dashboard query runs on real Prometheus
            await _query(prometheus, _as_query(expr))
        up = await _query(prometheus, 'up{job="hydra"}')
        assert float(up[0]["value"][1]) == 1.0  # scraped with the bearer token file
