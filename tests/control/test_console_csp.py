"""The console page's Content Security Policy: no 'unsafe-inline', nothing from elsewhere."""

from __future__ import annotations

import re
from importlib import resources

import httpx
import pytest
from playwright.async_api import Request, Route, expect

from hydra.adapters.control.console import CONSOLE_CSP, STATIC_FILES
from tests.control.browser import CHROMIUM, chromium, open_console
from tests.control.conftest import Running
from tests.control.scenes import trip_daily_loss

CONTROL = resources.files("hydra.adapters.control")


def test_the_page_holds_no_inline_script_style_or_handler() -> None:
    """console.html loads its scripts and styles as files: nothing inline for a CSP to allow."""
    html = CONTROL.joinpath("console.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html), "a file from elsewhere"


def test_the_vendored_chart_library_keeps_its_licence() -> None:
    """UPlot is vendored with its MIT licence beside it."""
    licence = CONTROL.joinpath("static/uPlot.LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence
    assert "Leon Sorokin" in licence
    assert (
        CONTROL.joinpath("static/uPlot.iife.min.js")
        .read_text(encoding="utf-8")
        .startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32) */")
    )


async def test_page_and_files_are_served_under_the_policy_without_a_token(
    running: Running,
) -> None:
    """The page and its files need no token and carry the CSP and nosniff; the API does not."""
    async with httpx.AsyncClient(base_url=running.server.url) as anonymous:
        page = await anonymous.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        policy = page.headers["content-security-policy"]
        assert policy == CONSOLE_CSP
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
            assert directive in policy
        for name, media_type in STATIC_FILES.items():
            served = await anonymous.get(f"/static/{name}")
            assert served.status_code == 200, name
            charset = "; charset=utf-8" if media_type.startswith("text/") else ""
            assert served.headers["content-type"] == media_type + charset
            assert served.headers["x-content-type-options"] == "nosniff"
        assert (await anonymous.get("/static/uPlot.LICENSE")).status_code == 401
        assert (await anonymous.get("/static/../app.py")).status_code == 401
        assert (await anonymous.get("/api/v1/status")).status_code == 401


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run does)")
async def test_chromium_reports_no_violation_and_refuses_injected_inline_code(
    running: Running,
) -> None:
    """The whole console runs offline under the CSP; an injected inline script does not run."""
    async with chromium() as browser:
        page = browser.page
        await page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        origin = running.server.url
        elsewhere: list[str] = []

        async def offline(route: Route, request: Request) -> None:
            if request.url.startswith(origin + "/"):
                await route.continue_()
            else:  # no CDN, no font service: the page must work without them
                elsewhere.append(request.url)
                await route.abort()

        await page.route("**/*", offline)
        await open_console(page, origin, running.token)
        await trip_daily_loss(running)
        await expect(page.locator("#outlook")).to_contain_text("daily_loss")
        await page.wait_for_function("document.querySelector('#chart canvas') !== null")
        await page.click("#halt")
        await expect(page.locator("#confirm")).to_be_visible()
        await page.click("#confirm-cancel")
        assert await page.evaluate("window.__violations") == []
        assert elsewhere == []

        await page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__ran = true'; document.body.appendChild(s); }"
        )
        await page.evaluate(
            "() => { const s = document.createElement('style');"
            " s.textContent = 'body { display: none }'; document.head.appendChild(s); }"
        )
        assert await page.evaluate("window.__ran === undefined")
        await expect(page.locator("#console")).to_be_visible()
        violations = await page.evaluate("window.__violations")
        assert any(v.startswith("script-src") for v in violations), violations
        assert any(v.startswith("style-src") for v in violations), violations
    assert not [m for m in browser.messages if "pageerror" in m]
