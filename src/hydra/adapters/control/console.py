"""The web console: one static page and its static files, served without data or token.

The page holds no data: it asks for the token and sends it as a header on every API call.
Its scripts and styles are files of their own (no inline code), so its Content Security
Policy needs no ``'unsafe-inline'``: only this server's own scripts, styles and API run.
The charting library (uPlot, MIT) is vendored beside them with its licence, so the
console works offline and loads nothing from elsewhere.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["CONSOLE_CSP", "CONSOLE_ROUTES", "PUBLIC_CONSOLE_PATHS", "STATIC_FILES"]

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The console's Content Security Policy: its own files and API only, nothing inline."""

STATIC_FILES = {
    "console.js": "text/javascript",
    "console.css": "text/css",
    "uPlot.iife.min.js": "text/javascript",
    "uPlot.min.css": "text/css",
    "favicon.svg": "image/svg+xml",
}
"""The files under ``/static/`` (a fixed list: no path from a request reaches the disk).

Starlette adds ``; charset=utf-8`` to the ``text/`` types."""

PUBLIC_CONSOLE_PATHS = frozenset({"/", "/console", *(f"/static/{name}" for name in STATIC_FILES)})
"""Console paths served without the token: the page and its files hold no data."""

_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _read(name: str) -> bytes:
    return resources.files("hydra.adapters.control").joinpath(name).read_bytes()


async def _page(_request: Request) -> Response:
    """The console's page."""
    return Response(_read("console.html"), media_type="text/html", headers=_HEADERS)


def _static(name: str, media_type: str) -> Route:
    """The route serving one of ``STATIC_FILES``."""

    async def serve(_request: Request) -> Response:
        return Response(_read(f"static/{name}"), media_type=media_type, headers=_HEADERS)

    return Route(f"/static/{name}", serve)


CONSOLE_ROUTES = [
    Route("/", _page),
    Route("/console", _page),
    *(_static(name, media_type) for name, media_type in STATIC_FILES.items()),
]
"""The page and one route per static file."""
