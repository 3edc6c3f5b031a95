"""Chromium (Debian's, driven by Playwright) and a served demo trader, for the console tests.

Screenshots are checked by pixels (Pillow): a banner's colour is the colour of most of its
pixels. Set ``HYDRA_SCREENSHOT_DIR`` to keep a copy of every screenshot a test takes.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from playwright.async_api import Page, async_playwright, expect

from tests.control.processes import free_port, stop

__all__ = [
    "BANNER",
    "CHROMIUM",
    "ServedDemo",
    "chromium",
    "dominant",
    "keep",
    "open_console",
    "served_demo",
    "share",
]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

BANNER = {
    "open": (0x1F, 0x7A, 0x3A),
    "reduce_only": (0xA3, 0x5A, 0x00),
    "closed": (0xB0, 0x00, 0x20),
    "stale": (0x6B, 0x72, 0x80),
}
"""The banner's background per level, as console.css paints it."""


@dataclass
class Browser:
    """A page and what its console said (CSP violations show up there)."""

    page: Page
    messages: list[str] = field(default_factory=list)


@asynccontextmanager
async def chromium(width: int = 1200, height: int = 1000) -> AsyncIterator[Browser]:
    """A fresh headless Chromium page of the given viewport."""
    assert CHROMIUM is not None
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            seen = Browser(page)
            page.on("console", lambda message: seen.messages.append(message.text))
            page.on("pageerror", lambda error: seen.messages.append(f"pageerror: {error}"))
            yield seen
        finally:
            await browser.close()


async def open_console(page: Page, url: str, token: str, query: str = "") -> None:
    """Log in with ``token`` and wait until the console follows the event stream."""
    await page.goto(f"{url}/{query}")
    await page.fill("#token", token)
    await page.click("#connect")
    await page.wait_for_selector("#console:not([hidden])")
    await expect(page.locator("#banner")).not_to_have_class("stale", timeout=10_000)


def _pixels(png: bytes) -> list[tuple[int, int, int]]:
    with Image.open(io.BytesIO(png)) as image:
        raw = image.convert("RGB").tobytes()
    return list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


def dominant(png: bytes) -> tuple[int, int, int]:
    """The colour most of a screenshot's pixels have (a banner's background)."""
    return Counter(_pixels(png)).most_common(1)[0][0]


def share(png: bytes, colour: tuple[int, int, int], tolerance: int = 40) -> float:
    """The fraction of pixels within ``tolerance`` (per channel) of ``colour``."""
    pixels = _pixels(png)
    near = sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)) for p in pixels)
    return near / len(pixels)


def keep(png: bytes, path: Path) -> Path:
    """Write a screenshot (and a copy to ``$HYDRA_SCREENSHOT_DIR`` when set)."""
    path.write_bytes(png)
    wanted = os.environ.get("HYDRA_SCREENSHOT_DIR")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        (Path(wanted) / path.name).write_bytes(png)
    return path


@dataclass
class ServedDemo:
    """``hydra demo --serve`` in its own process: its URL, token and process."""

    process: asyncio.subprocess.Process
    url: str
    token: str
    journal: Path

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the trader process."""
        self.process.send_signal(sig)


@asynccontextmanager
async def served_demo(tmp_path: Path) -> AsyncIterator[ServedDemo]:
    """A demo trader serving its control API as a real process (stopped at the end)."""
    state = tmp_path / "state"
    journal = tmp_path / "demo.journal.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hydra.entrypoints.cli",
        "demo",
        "--serve",
        "--port",
        str(free_port()),
        "--journal",
        str(journal),
        cwd=tmp_path,
        env={**os.environ, "HYDRA_STATE_DIR": str(state)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        url = ""
        while not url:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "the demo exited before serving"
            found = re.search(r"control server (http://\S+)", line)
            url = found.group(1) if found else ""
        token = (state / "control.token").read_text().strip()
        yield ServedDemo(process, url, token, journal)
    finally:
        await stop(process)
