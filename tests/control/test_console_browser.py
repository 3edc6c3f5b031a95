"""The web console in a real headless Chromium: staleness, the outlook banner, money, controls.

Each test checks its screenshots by pixels (the banner's colour, coloured P&L, the chart's
lines), besides the page's text.
"""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hydra.adapters.journal import read_journal
from hydra.domain import Instrument, OrderRequest, Side, TradingState
from tests.control.browser import (
    BANNER,
    CHROMIUM,
    chromium,
    dominant,
    keep,
    open_console,
    served_demo,
    share,
)
from tests.control.conftest import Running
from tests.control.scenes import buy, protected_futures, trip_daily_loss

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run does)")

NO_CONTACT = re.compile(r"^NO CONTACT since \d\d:\d\d:\d\d$")


async def _confirm(page: Page, who: str, why: str) -> None:
    """Answer the who/why dialog every control opens."""
    dialog = page.locator("#confirm")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#confirm-ok")).to_be_disabled()  # nothing without who and why
    await page.fill("#confirm-who", who)
    await page.fill("#confirm-why", why)
    await page.click("#confirm-ok")
    await expect(dialog).to_be_hidden()


def _money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _signed(value: float) -> str:
    return f"+{_money(value)}" if value > 0 else _money(value)


def _percent(value: float) -> str:
    return f"{value * 100:+.2f}%" if round(value * 100, 2) else "0.00%"


def _decision_seqs(journal: Path) -> list[int]:
    return [int(r["seq"]) for r in read_journal(journal).records if r["kind"] == "decision"]


async def test_a_stopped_trader_turns_the_page_grey_no_contact_within_5_s(tmp_path: Path) -> None:
    """SIGSTOP: grey 'NO CONTACT since hh:mm:ss' in < 5 s; SIGCONT: back, nothing lost; SIGTERM."""
    async with served_demo(tmp_path) as demo, chromium() as browser:
        page = browser.page
        await open_console(page, demo.url, demo.token)
        await page.wait_for_selector("#stream tr")
        loop = asyncio.get_running_loop()

        demo.signal(signal.SIGSTOP)  # hung: the socket stays open, nothing comes
        stopped = loop.time()
        await expect(page.locator("#outlook")).to_have_text(NO_CONTACT, timeout=5_000)
        assert loop.time() - stopped < 5.0
        banner = keep(await page.locator("#banner").screenshot(), tmp_path / "stale-banner.png")
        assert dominant(banner.read_bytes()) == BANNER["stale"]
        keep(await page.screenshot(full_page=True), tmp_path / "stale-page.png")
        last_event = await page.inner_text("#last-event")
        assert (await page.inner_text("#outlook")).endswith(last_event)

        demo.signal(signal.SIGCONT)  # back: the page reconnects and catches up by its last id
        await expect(page.locator("#banner")).not_to_have_class("stale", timeout=15_000)
        await asyncio.sleep(1.0)  # a few more decisions flow after the catch-up
        shown = sorted(int(s) for s in await page.eval_on_selector_all(
            "#stream tr", "rows => rows.map(r => r.dataset.seq)"
        ))  # fmt: skip
        assert shown == list(range(shown[0], shown[-1] + 1))  # no gap across the stall
        assert set(shown) <= set(_decision_seqs(demo.journal))

        demo.signal(signal.SIGTERM)  # dead: the stream ends and nothing answers
        terminated = loop.time()
        await expect(page.locator("#outlook")).to_have_text(NO_CONTACT, timeout=5_000)
        assert loop.time() - terminated < 5.0
        assert await asyncio.wait_for(demo.process.wait(), 15) == 0
        await asyncio.sleep(1.5)  # reconnect attempts fail; the page stays grey
        assert dominant(await page.locator("#banner").screenshot()) == BANNER["stale"]


async def test_a_tripped_breaker_shows_in_the_banner_and_resets_behind_who_and_why(
    running: Running, tmp_path: Path
) -> None:
    """A daily-loss trip turns the banner amber with its end; reset asks who/why and clears it."""
    async with chromium() as browser:
        page = browser.page
        await open_console(page, running.server.url, running.token, "?poll=0")
        await expect(page.locator("#outlook")).to_have_text("ACTIVE: trading")
        assert dominant(await page.locator("#banner").screenshot()) == BANNER["open"]

        await trip_daily_loss(running)
        text = "ACTIVE: new risk blocked by daily_loss until 00:00 New York"
        await expect(page.locator("#outlook")).to_have_text(text)
        banner = keep(await page.locator("#banner").screenshot(), tmp_path / "tripped-banner.png")
        assert dominant(banner.read_bytes()) == BANNER["reduce_only"]
        keep(await page.screenshot(full_page=True), tmp_path / "tripped-page.png")
        await expect(page.locator("#state")).to_have_text("ACTIVE")  # the state alone misleads

        await page.click('button[data-breaker="daily_loss"]')
        await _confirm(page, "web-operator", "loss reviewed with the desk")
        await expect(page.locator("#outlook")).to_have_text("ACTIVE: trading")
        assert dominant(await page.locator("#banner").screenshot()) == BANNER["open"]
    resets = [r for r in read_journal(running.journal).records if r["kind"] == "reset"]
    assert (resets[-1]["breaker"], resets[-1]["who"], resets[-1]["why"]) == (
        "daily_loss",
        "web-operator",
        "loss reviewed with the desk",
    )


async def test_money_on_the_page_matches_the_control_api_at_800_px(
    running: Running, tmp_path: Path
) -> None:
    """Equity, daily P&L (abs, %), P&L and position values match /status and /positions."""
    await buy(running, "AAPL", 40)
    await buy(running, "MSFT", 10)
    running.broker.set_price("AAPL", 180.0)  # a loss: red on the page
    async with chromium(width=800, height=1200) as browser:
        page = browser.page
        await open_console(page, running.server.url, running.token, "?poll=0")
        money = (await running.client.get("/api/v1/status")).json()["money"]
        expected = {
            "#equity": _money(money["equity"]),
            "#daily-pnl": _signed(money["daily_pnl"]),
            "#daily-pnl-pct": _percent(money["daily_pnl_fraction"]),
            "#realized-pnl": _signed(money["realized_pnl"]),
            "#unrealized-pnl": _signed(money["unrealized_pnl"]),
            "#gross-exposure": _money(money["gross_exposure"]),
            "#net-exposure": _signed(money["net_exposure"]),
        }
        for selector, text in expected.items():
            await expect(page.locator(selector)).to_have_text(text)
        assert money["daily_pnl"] < 0
        positions = (await running.client.get("/api/v1/positions")).json()["positions"]
        aapl = next(p for p in positions if p["symbol"] == "AAPL")
        row = page.locator("#positions tr", has_text="AAPL")
        await expect(row).to_contain_text(_money(aapl["market_value"]))
        await expect(row).to_contain_text(_signed(aapl["unrealized_pnl"]))
        await expect(row).to_contain_text("180.00")

        assert await page.evaluate("document.documentElement.scrollWidth") <= 800
        for button in ("#halt", "#reduce", "#resume", "#kill", "#flatten"):
            box = await page.locator(button).bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= 800, button
        await page.wait_for_function("document.querySelector('#chart canvas') !== null")
        await asyncio.sleep(0.3)  # the chart's first draw
        panel = keep(await page.locator("#money-panel").screenshot(), tmp_path / "money.png")
        chart = keep(await page.locator("#chart-panel").screenshot(), tmp_path / "chart.png")
        keep(await page.screenshot(full_page=True), tmp_path / "money-page-800px.png")
    assert share(panel.read_bytes(), BANNER["closed"], tolerance=60) > 0.002  # red P&L text
    assert share(chart.read_bytes(), (0x25, 0x63, 0xEB), tolerance=30) > 0.0005  # equity line
    assert share(chart.read_bytes(), (0x15, 0x80, 0x3D), tolerance=50) > 0.001  # decision bars


async def test_kill_and_flatten_from_the_page_ask_who_and_why(
    running: Running, tmp_path: Path
) -> None:
    """KILL + FLATTEN asks who/why, halts, cancels and closes the position; all journaled."""
    await buy(running, "AAPL", 7)
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    resting = running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.SELL, 1, 205.0))
    assert resting.allowed
    async with chromium() as browser:
        page = browser.page
        await open_console(page, running.server.url, running.token)
        await expect(page.locator("#orders")).to_contain_text("AAPL")
        await page.click("#flatten")
        await _confirm(page, "web-operator", "desk stop")
        await expect(page.locator("#outlook")).to_have_text("HALTED: no order passes")
        await expect(page.locator("#positions")).not_to_contain_text("AAPL")
        await expect(page.locator("#orders")).not_to_contain_text("AAPL")
        banner = keep(await page.locator("#banner").screenshot(), tmp_path / "halted-banner.png")
        assert dominant(banner.read_bytes()) == BANNER["closed"]
    assert running.gate.trading_state is TradingState.HALTED
    records = read_journal(running.journal).records
    kill = next(r for r in records if r["kind"] == "kill")
    assert (kill["who"], kill["why"]) == ("web-operator", "desk stop")
    assert [r["order"]["side"] for r in records if r["kind"] == "flatten"] == ["SELL"]


async def test_decisions_stream_in_and_halt_asks_who_and_why(running: Running) -> None:
    """Decisions appear with their value in both currencies; HALT asks who/why, then blocks."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    async with chromium() as browser:
        page = browser.page
        await open_console(page, running.server.url, running.token)
        toyota = await running.gate.broker.qualify_contract(Instrument("7203", currency="JPY"))
        assert running.gate.submit_with_decision(toyota, OrderRequest.market(Side.BUY, 100)).allowed
        running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 3))
        running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 1.0))
        await page.wait_for_selector("#stream tr.blocked")
        text = await page.inner_text("#stream")
        assert "allowed" in text
        assert "price_collar" in text
        assert "AAPL" in text
        assert "$2,000.00 (¥300,000.00)" in text  # a yen order in both currencies
        assert "$600.00" in text  # 3 AAPL at 200, in the base currency alone
        await page.click("#halt")
        await _confirm(page, "web-operator", "spread too wide")
        await expect(page.locator("#state")).to_have_text("HALTED")
    decision = running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1))
    assert decision.triggered == ("halted",)
    states = [r for r in read_journal(running.journal).records if r["kind"] == "state"]
    assert (states[-1]["who"], states[-1]["why"]) == ("web-operator", "spread too wide")


async def test_console_positions_follow_fills_without_waiting_for_a_poll(running: Running) -> None:
    """With polling off, positions show a market buy and a resting order's later fill at once."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    msft = await running.gate.broker.qualify_contract(Instrument("MSFT"))
    async with chromium() as browser:
        page = browser.page
        await open_console(page, running.server.url, running.token, "?poll=0")
        positions = page.locator("#positions")
        await expect(positions).to_have_text("")
        assert running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 3)).allowed
        await expect(positions).to_contain_text("AAPL")
        price = running.broker.price("MSFT") or 0.0
        rest = running.gate.submit_with_decision(
            msft, OrderRequest.limit(Side.BUY, 2, round(price * 0.99, 2))
        )
        assert rest.handle is not None
        await expect(page.locator("#orders")).to_contain_text("MSFT")
        await expect(positions).not_to_contain_text("MSFT")
        running.broker.set_price("MSFT", round(price * 0.98, 2))  # fills, no gate record
        await expect(positions).to_contain_text("MSFT")
        await expect(page.locator("#orders")).not_to_contain_text("MSFT")


async def test_console_names_the_exact_contract_and_every_order_term(running: Running) -> None:
    """Positions, orders and decisions read ESZ6 / ESH7, not ES; orders show their terms."""
    async with chromium() as browser:
        page = browser.page
        await open_console(page, running.server.url, running.token, "?poll=0")
        scene = await protected_futures(running)
        for order_id, terms in scene.terms.items():
            row = page.locator("#orders tr", has=page.locator(f"td:text-is('{order_id}')"))
            label = "ESZ6" if order_id == scene.stop_limit.order_id else "ESH7"
            await expect(row.locator("td").nth(1)).to_have_text(label)
            await expect(row.locator("td").nth(4)).to_have_text(terms)
        labels = page.locator("#positions tr td:first-child")
        await expect(labels).to_have_text(["ESZ6", "ESH7"])
        decided = page.locator("#stream tr td:nth-child(3)")  # newest first
        await expect(decided).to_have_text(["ESH7", "ESZ6", "ESH7", "ESZ6"])
