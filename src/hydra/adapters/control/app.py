"""The control API: a Starlette app that reads the gate and drives its audited controls.

JSON under ``/api/v1``; Prometheus at ``/metrics``; a liveness probe at ``/healthz`` (the
only route without the bearer token, besides the console page's static shell, which holds
no data). Who may come in is the ``door``'s business; the mutations (``mutations``) go
through the gate's public controls only (``set_trading_state``, ``kill_switch``,
``reset_breaker``), so each is journaled exactly like the in-process call; this module
cannot place an order (it never sees the submit capability).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from enum import Enum
from importlib import resources
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from hydra.adapters.control.door import PUBLIC_PATHS, Door, error_response
from hydra.adapters.control.events import EventHub
from hydra.adapters.control.metrics import GateMetrics
from hydra.adapters.control.mutations import Mutations
from hydra.application import OrderHandle, RiskGate
from hydra.domain import InvalidInputError

__all__ = ["API_PREFIX", "BROKER_POLL_S", "PUBLIC_PATHS", "ApiError", "ControlApp", "to_json"]

API_PREFIX = "/api/v1"

BROKER_POLL_S = 0.25
"""How often an open event stream looks for changed broker positions and orders."""

_KEEP_ALIVE_S = 15.0
_log = structlog.get_logger("hydra.control")
_MAX_LIMIT = 1000

JournalTail = Callable[[int], list[dict[str, Any]]]
"""The last N journal records, oldest first."""


class ApiError(Exception):
    """An error answered as JSON ``{"error": {"status", "message"}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def to_json(value: Any) -> Any:
    """JSON-ready data from the gate's values (enums, datetimes, dataclasses, durations)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


class ControlApp:
    """Builds the ASGI app over one gate; holds its event hub, metrics and idempotency memory.

    Args:
        gate: the running RiskGate (read through its views, driven by its controls).
        token: the bearer token every non-public route requires.
        journal_tail: reads the last N journal records (None: no journal route data).
        journal_failures: how many journal appends failed (for ``/metrics``).
        max_body: largest request body accepted, in bytes.
        allowed_hosts: Host names accepted besides loopback's (the configured host).
        local_socket: the Unix socket whose requests need no token (the filesystem
            vouches for them), or None.
    """

    def __init__(
        self,
        gate: RiskGate,
        *,
        token: str,
        journal_tail: JournalTail | None = None,
        journal_failures: Callable[[], int] | None = None,
        max_body: int = 16_384,
        allowed_hosts: Iterable[str] = (),
        local_socket: str | None = None,
    ) -> None:
        if not token:
            raise InvalidInputError("token", "the control server needs a non-empty token")
        self.gate = gate
        self.hub = EventHub()
        self.metrics = GateMetrics(gate, journal_failures)
        self._journal_tail = journal_tail
        mutations = Mutations(gate, journal_failures)
        routes = [
            Route("/healthz", self.healthz),
            Route("/", self.console),
            Route("/console", self.console),
            Route("/metrics", self.prometheus),
            Route(f"{API_PREFIX}/status", self.status),
            Route(f"{API_PREFIX}/positions", self.positions),
            Route(f"{API_PREFIX}/orders", self.orders),
            Route(f"{API_PREFIX}/decisions", self.decisions),
            Route(f"{API_PREFIX}/journal", self.journal),
            Route(f"{API_PREFIX}/events", self.events),
            Route(f"{API_PREFIX}/state", mutations.set_state, methods=["POST"]),
            Route(f"{API_PREFIX}/kill", mutations.kill, methods=["POST"]),
            Route(
                f"{API_PREFIX}/breakers/{{name}}/reset", mutations.reset_breaker, methods=["POST"]
            ),
        ]
        app = Starlette(
            routes=routes,
            exception_handlers={
                ApiError: self._api_error,
                HTTPException: self._http_error,
                Exception: self._unexpected,
            },
        )
        self.asgi: ASGIApp = Door(
            app,
            token=token,
            max_body=max_body,
            allowed_hosts=allowed_hosts,
            local_socket=local_socket,
        )
        self._unsubscribe = [gate.subscribe(self.hub.publish), gate.subscribe(self.metrics.observe)]

    def close(self) -> None:
        """Stop listening to the gate and end every event stream."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self.hub.close()

    # ------------------------------------------------------------------ errors
    async def _api_error(self, _request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)  # noqa: S101  (registered for ApiError)
        return error_response(exc.status, exc.message)

    async def _http_error(self, _request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101
        return error_response(exc.status_code, str(exc.detail))

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        _log.error("control.request_failed", path=request.url.path, error=type(exc).__name__)
        return error_response(500, f"internal error ({type(exc).__name__}); see the trader's log")

    # ------------------------------------------------------------------ public
    async def healthz(self, _request: Request) -> Response:
        """Liveness: the server and its event loop answer (no data, no token)."""
        return JSONResponse({"ok": True})

    async def console(self, _request: Request) -> Response:
        """The web console's static page; it asks for the token and sends it as a header."""
        page = resources.files("hydra.adapters.control").joinpath("console.html")
        return HTMLResponse(
            page.read_text(encoding="utf-8"),
            headers={
                "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline';"
                " script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            },
        )

    async def prometheus(self, _request: Request) -> Response:
        """Prometheus text exposition of the gate's metrics."""
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # ------------------------------------------------------------------ reads
    async def status(self, _request: Request) -> Response:
        """Trading state, connection, every breaker, limits in force, session equity, peak."""
        status = self.gate.status()
        data = to_json(status)
        data["breakers"] = [b.as_json() for b in status.breakers]
        data["orders_in_flight"] = len(self.gate.broker.open_orders())
        try:
            data["account"] = to_json(self.gate.broker.account())
        except Exception as exc:  # noqa: BLE001  (the status must answer while disconnected)
            data["account"] = {"error": f"{type(exc).__name__}: {exc}"}
        return JSONResponse(data)

    async def positions(self, _request: Request) -> Response:
        """Positions at the broker."""
        return JSONResponse({"positions": self._positions_json()})

    async def orders(self, _request: Request) -> Response:
        """Open orders the broker reports (including ones this process did not place)."""
        return JSONResponse({"orders": self._orders_json()})

    def _positions_json(self) -> list[dict[str, Any]]:
        return [
            {
                "symbol": p.symbol,
                "con_id": p.instrument.con_id,
                "sec_type": to_json(p.instrument.sec_type),
                "quantity": p.quantity,
                "avg_cost": p.avg_cost,
            }
            for p in self.gate.broker.positions()
        ]

    def _orders_json(self) -> list[dict[str, Any]]:
        return [_order_json(h) for h in self.gate.broker.open_orders()]

    def _broker_snapshot(self) -> object:
        """What the positions and orders tables show, to notice a change."""
        try:
            return (self._positions_json(), self._orders_json())
        except Exception as exc:  # noqa: BLE001  (e.g. disconnected: that is a state too)
            return type(exc).__name__

    async def decisions(self, request: Request) -> Response:
        """Recent decisions, newest last; filters ``outcome``, ``reason`` (code/name), ``limit``."""
        outcome = request.query_params.get("outcome")
        if outcome is not None and outcome not in ("allowed", "blocked"):
            raise ApiError(422, "outcome: must be allowed or blocked")
        reason = request.query_params.get("reason")
        limit = _limit(request, 100)
        selected = [
            d
            for d in self.gate.decisions
            if (outcome is None or d.outcome == outcome)
            and (reason is None or any(reason in (r.code, r.name) for r in d.reasons))
        ]
        return JSONResponse({"decisions": [d.as_json() for d in selected[-limit:]]})

    async def journal(self, request: Request) -> Response:
        """The journal's last records (``?limit=``, default 50)."""
        if self._journal_tail is None:
            raise ApiError(404, "this gate has no journal")
        return JSONResponse({"records": to_json(self._journal_tail(_limit(request, 50)))})

    async def events(self, _request: Request) -> Response:
        """Server-sent events: decisions, orders sent, state changes, trips, resets, kills.

        Fills and position messages arrive from the broker after the gate's records (IB
        sends a fill, then a separate position message), so the stream also looks at
        the broker's positions and open orders every ``BROKER_POLL_S`` and sends a
        ``broker`` event when they changed: the console refreshes its tables on it.
        """
        loop = asyncio.get_running_loop()

        def sse(kind: str, payload: Mapping[str, Any]) -> str:
            data = json.dumps(payload, separators=(",", ":"), default=str)
            return f"event: {kind}\ndata: {data}\n\n"

        async def body() -> AsyncIterator[str]:
            yield ": hydra event stream\n\n"
            seen = self._broker_snapshot()
            checked = sent = loop.time()
            async for record in self.hub.stream(heartbeat=BROKER_POLL_S):
                now = loop.time()
                if record is not None:
                    yield sse(record.kind, record.as_json())
                    sent = now
                if now - checked >= BROKER_POLL_S:
                    checked = now
                    snapshot = self._broker_snapshot()
                    if snapshot != seen:
                        seen = snapshot
                        yield sse("broker", {})
                        sent = now
                if now - sent >= _KEEP_ALIVE_S:
                    yield ": keep-alive\n\n"
                    sent = now

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


def _limit(request: Request, default: int) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= _MAX_LIMIT:
        raise ApiError(422, f"limit: must be an integer from 1 to {_MAX_LIMIT}")
    return int(text)


def _order_json(handle: OrderHandle) -> dict[str, Any]:
    request = handle.request
    return {
        "order_id": handle.order_id,
        "symbol": handle.instrument.symbol,
        "con_id": handle.instrument.con_id,
        "side": to_json(request.side),
        "quantity": request.quantity,
        "order_type": to_json(request.order_type),
        "limit_price": request.limit_price,
        "status": to_json(handle.status),
        "filled": handle.filled,
        "remaining": handle.remaining,
    }
