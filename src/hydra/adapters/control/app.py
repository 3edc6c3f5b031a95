"""The control API: a Starlette app that reads the gate and drives its audited controls.

JSON under ``/api/v1``; Prometheus at ``/metrics``; a liveness probe at ``/healthz`` (the
only route without the bearer token, besides the console page's static shell, which holds
no data). Mutations go through the gate's public controls only (``set_trading_state``,
``kill_switch``, ``reset_breaker``), so each is journaled exactly like the in-process call;
this module cannot place an order (it never sees the submit capability). An optional
``Idempotency-Key`` header makes a retried mutation return the first answer unrepeated.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hydra.adapters.control.console import PUBLIC_CONSOLE_PATHS
from hydra.adapters.control.jsonable import to_json
from hydra.adapters.control.reads import BROKER_POLL_S, JournalTail, ReadApi
from hydra.adapters.control.token import tokens_match
from hydra.application import RiskGate
from hydra.domain import BreakerName, InvalidInputError, TradingState

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
PUBLIC_PATHS = frozenset({"/healthz"}) | PUBLIC_CONSOLE_PATHS
"""Routes served without the token: the liveness probe and the console's static files."""

_log = structlog.get_logger("hydra.control")
_IDEMPOTENCY_KEPT = 256


class ApiError(Exception):
    """An error answered as JSON ``{"error": {"status", "message"}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


class _Guard:
    """ASGI middleware: the bearer token on every non-public path, and a body-size cap."""

    def __init__(self, app: ASGIApp, *, token: str, max_body: int) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] not in PUBLIC_PATHS and not self._authorized(scope):
            response = _error(401, "missing or wrong bearer token (Authorization: Bearer ...)")
            response.headers["WWW-Authenticate"] = 'Bearer realm="hydra"'
            await response(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _error(413, f"request body larger than {self.max_body} bytes")(
                scope, receive, send
            )
            return
        await self.app(scope, self._capped(receive), send)

    def _authorized(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, presented = header.partition(b" ")
        if scheme.lower() != b"bearer" or not presented:
            return False
        return tokens_match(presented.strip(), self.token)

    def _capped(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.max_body

        async def capped() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise ApiError(413, f"request body larger than {limit} bytes")
            return message

        return capped


class ControlApp:
    """Builds the ASGI app over one gate; holds its event hub, metrics and idempotency memory.

    Args:
        gate: the running RiskGate (read through its views, driven by its controls).
        token: the bearer token every non-public route requires.
        journal_tail: reads the last N journal records (None: no journal route data).
        journal_failures: how many journal appends failed (for ``/metrics``).
        max_body: largest request body accepted, in bytes.
    """

    def __init__(
        self,
        gate: RiskGate,
        *,
        token: str,
        journal_tail: JournalTail | None = None,
        journal_failures: Callable[[], int] | None = None,
        max_body: int = 16_384,
    ) -> None:
        if not token:
            raise InvalidInputError("token", "the control server needs a non-empty token")
        self.gate = gate
        self.reads = ReadApi(gate, journal_tail=journal_tail, journal_failures=journal_failures)
        self.hub = self.reads.hub
        self.metrics = self.reads.metrics
        self._done: OrderedDict[str, tuple[str, int, Any]] = OrderedDict()
        routes = [
            Route("/healthz", self.healthz),
            *self.reads.routes,
            Route(f"{API_PREFIX}/state", self.set_state, methods=["POST"]),
            Route(f"{API_PREFIX}/kill", self.kill, methods=["POST"]),
            Route(f"{API_PREFIX}/breakers/{{name}}/reset", self.reset_breaker, methods=["POST"]),
        ]
        app = Starlette(
            routes=routes,
            exception_handlers={
                ApiError: self._api_error,
                HTTPException: self._http_error,
                Exception: self._unexpected,
            },
        )
        self.asgi: ASGIApp = _Guard(app, token=token, max_body=max_body)
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
        return _error(exc.status, exc.message)

    async def _http_error(self, _request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101
        return _error(exc.status_code, str(exc.detail))

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        _log.error("control.request_failed", path=request.url.path, error=type(exc).__name__)
        return _error(500, f"internal error ({type(exc).__name__}); see the trader's log")

    # ------------------------------------------------------------------ public
    async def healthz(self, _request: Request) -> Response:
        """Liveness: the server and its event loop answer (no data, no token)."""
        return JSONResponse({"ok": True})

    # ------------------------------------------------------------------ mutations
    async def set_state(self, request: Request) -> Response:
        """``{"state": "ACTIVE"|"REDUCING"|"HALTED", "who", "why"}``: audited state change."""

        async def act(body: dict[str, Any]) -> tuple[int, Any]:
            state = body.get("state")
            known = [s.value for s in TradingState]
            if not isinstance(state, str) or state.upper() not in known:
                raise ApiError(422, f"state: must be one of {', '.join(known)} (got {state!r})")
            who, why = _who_why(body)
            previous = self.gate.trading_state
            self.gate.set_trading_state(state.upper(), who=who, why=why)
            return 200, {"previous": previous.value, "trading_state": self.gate.trading_state}

        return await self._mutate(request, "state", act)

    async def kill(self, request: Request) -> Response:
        """``{"who", "why", "flatten": false}``: HALT, cancel every open order, maybe flatten."""

        async def act(body: dict[str, Any]) -> tuple[int, Any]:
            who, why = _who_why(body)
            flatten = body.get("flatten", False)
            if not isinstance(flatten, bool):
                raise ApiError(422, "flatten: must be true or false")
            report = await self.gate.kill_switch(who=who, why=why, flatten=flatten)
            return 200, {
                "trading_state": self.gate.trading_state,
                "cancelled": list(report.cancelled),
                "failed": [list(item) for item in report.failed],
                "flattened": [h.order_id for h in report.flattened],
                "not_flattened": [list(item) for item in report.not_flattened],
            }

        return await self._mutate(request, "kill", act)

    async def reset_breaker(self, request: Request) -> Response:
        """``{"who", "why"}`` to ``/breakers/{name}/reset``: re-arm a breaker, audited."""
        name = request.path_params["name"]
        if name not in {b.value for b in BreakerName}:
            known = ", ".join(b.value for b in BreakerName)
            raise ApiError(404, f"no breaker named {name!r}; breakers are {known}")

        async def act(body: dict[str, Any]) -> tuple[int, Any]:
            who, why = _who_why(body)
            status = self.gate.reset_breaker(name, who=who, why=why)
            return 200, {"breaker": status.as_json()}

        return await self._mutate(request, f"reset:{name}", act)

    async def _mutate(
        self,
        request: Request,
        action: str,
        act: Callable[[dict[str, Any]], Awaitable[tuple[int, Any]]],
    ) -> Response:
        body = await _json_body(request)
        key = request.headers.get("idempotency-key")
        fingerprint = f"{action} {json.dumps(body, sort_keys=True, default=str)}"
        if key is not None:
            done = self._done.get(key)
            if done is not None:
                if done[0] != fingerprint:
                    raise ApiError(409, "Idempotency-Key reused for a different request")
                return JSONResponse(
                    done[2], status_code=done[1], headers={"Idempotent-Replay": "1"}
                )
        try:
            status, data = await act(body)
        except InvalidInputError as exc:
            raise ApiError(422, str(exc)) from None
        payload = to_json(data)
        if key is not None:
            self._done[key] = (fingerprint, status, payload)
            while len(self._done) > _IDEMPOTENCY_KEPT:
                self._done.popitem(last=False)
        _log.info("control.mutation", action=action, who=body.get("who"))
        return JSONResponse(payload, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        raise ApiError(400, "a JSON object body is required")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def _who_why(body: Mapping[str, Any]) -> tuple[str, str]:
    values = []
    for name in ("who", "why"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"{name}: required, a non-empty string (recorded in the journal)")
        values.append(value.strip())
    return values[0], values[1]
