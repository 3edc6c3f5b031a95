"""The web console in a real headless browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Dialog, async_playwright, expect

from hydra.adapters.journal import read_journal
from hydra.domain import Instrument, OrderRequest, Side, TradingState
from tests.control.conftest import Running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run does)")


async def test_console_streams_decisions_and_halt_blocks_the_next_order(
    running: Running, tmp_path: Path
) -> None:
    """The page shows decisions as they arrive; HALT asks who/why, halts, and is journaled."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(running.server.url + "/")
            await page.fill("#token", running.token)
            await page.click("#connect")
            await page.wait_for_selector("#console:not([hidden])")
            await expect(page.locator("#state")).to_have_text("ACTIVE")
            for _ in range(50):  # until the page's event stream is connected
                if running.server.event_streams:
                    break
                await asyncio.sleep(0.05)
            running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 3))
            running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 1.0))
            await page.wait_for_selector("#stream tr.blocked")
            text = await page.inner_text("#stream")
            assert "allowed" in text
            assert "price_collar" in text

            answers = iter(["web-operator", "spread too wide"])

            async def answer(dialog: Dialog) -> None:
                await dialog.accept(next(answers))

            page.on("dialog", answer)
            await page.click("#halt")
            await expect(page.locator("#state")).to_have_text("HALTED")
            await page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
        finally:
            await browser.close()
    assert running.gate.trading_state is TradingState.HALTED
    decision = running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1))
    assert decision.triggered == ("halted",)
    states = [r for r in read_journal(running.journal).records if r["kind"] == "state"]
    assert (states[-1]["who"], states[-1]["why"]) == ("web-operator", "spread too wide")
    assert (tmp_path / "console.png").stat().st_size > 10_000


async def test_console_positions_follow_fills_without_waiting_for_a_poll(running: Running) -> None:
    """With polling off, positions show a market buy and a resting order's later fill at once."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    msft = await running.gate.broker.qualify_contract(Instrument("MSFT"))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(running.server.url + "/?poll=0")  # only events refresh the tables
            await page.fill("#token", running.token)
            await page.click("#connect")
            await page.wait_for_selector("#console:not([hidden])")
            for _ in range(50):  # until the page's event stream is connected
                if running.server.event_streams:
                    break
                await asyncio.sleep(0.05)
            positions = page.locator("#positions")
            await expect(positions).to_have_text("")

            buy = running.gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 3))
            assert buy.allowed
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
        finally:
            await browser.close()
