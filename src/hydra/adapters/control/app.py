"""The control API: a Starlette app that reads the gate and drives its audited controls.

JSON under ``/api/v1``; Prometheus at ``/metrics``; a liveness probe at ``/healthz`` (the
only route without the bearer token, besides the console's page and static files, which
hold no data). The reads (``reads``: status, money, positions, orders, decisions,
journal, history, the event stream, metrics, the console) only look at the gate's public
views. Who may come in is the ``door``'s business; the mutations (``mutations``) go
through the gate's public controls only (``set_trading_state``, ``kill_switch``,
``reset_breaker``), so each is journaled exactly like the in-process call; this module
cannot place an order (it never sees the submit capability).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from hydra.adapters.control.config import ControlConfig
from hydra.adapters.control.door import PUBLIC_PATHS, Door, error_response
from hydra.adapters.control.jsonable import to_json
from hydra.adapters.control.mutations import Mutations
from hydra.adapters.control.reads import BROKER_POLL_S, JournalTail, ReadApi
from hydra.application import RiskGate
from hydra.domain import InvalidInputError

__all__ = [
    "API_PREFIX",
    "BROKER_POLL_S",
    "PUBLIC_PATHS",
    "ApiError",
    "ControlApp",
    "JournalTail",
    "to_json",
]

API_PREFIX = "/api/v1"

_log = structlog.get_logger("hydra.control")

_MAX_BODY = ControlConfig().max_body


class ApiError(Exception):
    """An error answered as JSON ``{"error": {"status", "message"}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


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
        max_body: int = _MAX_BODY,
        allowed_hosts: Iterable[str] = (),
        local_socket: str | None = None,
    ) -> None:
        if not token:
            raise InvalidInputError("token", "the control server needs a non-empty token")
        self.gate = gate
        self.reads = ReadApi(gate, journal_tail=journal_tail, journal_failures=journal_failures)
        self.hub = self.reads.hub
        self.metrics = self.reads.metrics
        mutations = Mutations(gate, journal_failures)
        routes = [
            Route("/healthz", self.healthz),
            *self.reads.routes,
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
        self._unsubscribe = [gate.subscribe(listener) for listener in self.reads.listeners]

    def close(self) -> None:
        """Stop listening to the gate and end every event stream."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self.reads.close()

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
