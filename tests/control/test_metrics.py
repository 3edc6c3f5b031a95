"""/metrics: counters from typed records, money gauges, process collectors, clean series."""

from __future__ import annotations

import asyncio
import gzip
import re
import shutil

import pytest

from hydra.domain import Instrument, OrderRequest, Side
from tests.control.conftest import Running
from tests.control.scenes import buy, trip_daily_loss

PROMTOOL = shutil.which("promtool")


async def _scrape(running: Running) -> str:
    response = await running.client.get("/metrics")
    assert response.status_code == 200
    return response.text


def _value(text: str, series: str) -> float:
    """The value of one exact series line (``name{labels}``) in an exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in the exposition")


async def test_counters_count_every_short_event_between_scrapes(running: Running) -> None:
    """Three HALTs, a trip, a reset, a kill and a reconnect between two scrapes all count."""
    before = await _scrape(running)
    assert _value(before, 'hydra_state_changes_total{state="HALTED"}') == 0.0
    assert _value(before, 'hydra_breaker_trips_total{breaker="daily_loss"}') == 0.0
    for _ in range(3):
        running.gate.set_trading_state("HALTED", who="ops", why="flap")
        running.gate.set_trading_state("ACTIVE", who="ops", why="flap")
    await trip_daily_loss(running)
    running.gate.reset_breaker("daily_loss", who="ops", why="reviewed")
    await running.gate.kill_switch(who="ops", why="drill")
    running.broker.drop_connection()
    await running.broker.connect()  # the simulator counts this as a reconnect
    after = await _scrape(running)
    assert _value(after, 'hydra_state_changes_total{state="HALTED"}') == 4.0  # 3 + the kill's
    assert _value(after, 'hydra_state_changes_total{state="ACTIVE"}') == 3.0
    assert _value(after, 'hydra_breaker_trips_total{breaker="daily_loss"}') == 1.0
    assert _value(after, 'hydra_breaker_resets_total{breaker="daily_loss"}') == 1.0
    assert _value(after, "hydra_kills_total") == 1.0
    assert _value(after, 'hydra_decisions_total{outcome="blocked"}') == 1.0
    assert _value(after, 'hydra_decision_reasons_total{code="breaker.daily_loss"}') == 1.0
    assert _value(after, 'hydra_trading_state{state="HALTED"}') == 1.0
    assert _value(after, 'hydra_outlook{level="closed"}') == 1.0
    assert _value(after, "hydra_decision_latency_seconds_count") == 1.0
    assert _value(after, "hydra_journal_write_failures_total") == 0.0
    assert _value(before, "hydra_reconnects_total") == 0.0
    assert _value(after, "hydra_reconnects_total") == 1.0


async def test_money_gauges_match_the_status_api(running: Running) -> None:
    """Equity, daily P&L and exposure gauges carry the numbers the API shows, by currency."""
    await buy(running, "AAPL", 20)
    running.broker.set_price("AAPL", 190.0)
    text = await _scrape(running)
    money = (await running.client.get("/api/v1/status")).json()["money"]
    assert money["currency"] == "USD"
    for gauge, key in (
        ("hydra_equity", "equity"),
        ("hydra_daily_pnl", "daily_pnl"),
        ("hydra_gross_exposure", "gross_exposure"),
        ("hydra_net_exposure", "net_exposure"),
        ("hydra_unrealized_pnl", "unrealized_pnl"),
    ):
        assert _value(text, f'{gauge}{{currency="USD"}}') == pytest.approx(money[key]), gauge
    assert _value(text, 'hydra_gross_exposure{currency="USD"}') == pytest.approx(20 * 190.0)
    assert _value(text, "hydra_daily_pnl_ratio") == pytest.approx(money["daily_pnl_fraction"])
    assert money["daily_pnl"] < 0


async def test_process_platform_gc_and_build_info_without_created_or_redundant_labels(
    running: Running,
) -> None:
    """The standard collectors and build info are there; no _created series, no name label."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 1.0))  # collar
    text = await _scrape(running)
    for family in ("process_resident_memory_bytes", "python_info", "python_gc_collections_total"):
        assert re.search(rf"^{family}[ {{]", text, re.MULTILINE), family
    assert re.search(
        r'^hydra_build_info\{python_version="[\d.]+",version="[^"]+"\} 1.0$', text, re.M
    )
    assert "_created" not in text
    assert 'name="' not in text.split("# HELP hydra_decision_reasons")[1].split("# HELP")[0]
    assert 'hydra_decision_reasons_total{code="limit.price_collar"} 1.0' in text


async def test_metrics_is_prometheus_clients_own_app_with_gzip_and_openmetrics(
    running: Running,
) -> None:
    """/metrics negotiates gzip and OpenMetrics as prometheus-client's ASGI app does."""
    zipped = await running.client.get(
        "/metrics", headers={"Accept-Encoding": "gzip"}, extensions={}
    )
    assert zipped.headers["content-encoding"] == "gzip"
    assert "hydra_trading_state" in zipped.text  # httpx inflated it
    raw = await running.client.send(
        running.client.build_request("GET", "/metrics", headers={"Accept-Encoding": "gzip"}),
        stream=True,
    )
    body = b"".join([chunk async for chunk in raw.aiter_raw()])
    await raw.aclose()
    assert b"hydra_trading_state" in gzip.decompress(body)
    open_metrics = await running.client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert open_metrics.headers["content-type"].startswith("application/openmetrics-text")
    assert open_metrics.text.rstrip().endswith("# EOF")
    assert "_created" not in open_metrics.text


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed")
async def test_promtool_finds_nothing_to_lint_in_the_exposition(running: Running) -> None:
    """`promtool check metrics` (Prometheus's own linter) finds nothing wrong in /metrics."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1))
    text = await _scrape(running)
    assert PROMTOOL is not None
    lint = await asyncio.create_subprocess_exec(
        PROMTOOL,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(lint.communicate(text.encode()), 30)
    assert lint.returncode == 0, out.decode()
    assert out.decode().strip() == ""


async def test_a_write_the_journal_refuses_counts_on_metrics(running: Running) -> None:
    """One record the journal refuses (a resume): the failure counter reads 1, then stays."""
    running.gate.set_trading_state("HALTED", who="ops", why="lunch")
    assert _value(await _scrape(running), "hydra_journal_write_failures_total") == 0.0
    running.journal.unlink()  # the journal refuses every write from here on
    response = await running.client.post(
        "/api/v1/state", json={"state": "ACTIVE", "who": "ops", "why": "back"}
    )
    assert response.status_code == 503, response.text
    assert _value(await _scrape(running), "hydra_journal_write_failures_total") == 1.0
    assert _value(await _scrape(running), "hydra_journal_write_failures_total") == 1.0
