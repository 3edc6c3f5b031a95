"""The control API's door: who may come in, with what, and what every answer carries.

An ASGI middleware in front of the app. In order, for each HTTP request:

1. ``Host`` must name this server (loopback names or the configured host): a page from
   another origin that rebinds its DNS name to 127.0.0.1 is refused (400).
2. A chunked body is refused (411) and a body over ``max_body`` too (413); the body is
   read here, whole, before anything else looks at it.
3. Authentication: a request over the Unix socket in the 0700 state directory needs
   nothing more (the filesystem vouches for it); over TCP ``Authorization: Bearer
   <token>`` (the console, Prometheus) or a request signed with the token
   (``Hydra-HMAC``, the CLI; its answer is signed back, see ``auth``). Public: the
   liveness probe, the console's static shell and the challenge itself.
4. Every answer gets ``X-Content-Type-Options: nosniff`` and ``frame-ancestors 'none'``
   (added to a page's own Content-Security-Policy, or as one).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hydra.adapters.control import auth
from hydra.adapters.control.console import PUBLIC_CONSOLE_PATHS
from hydra.adapters.control.token import tokens_match

__all__ = ["LOOPBACK_NAMES", "PUBLIC_PATHS", "Door", "error_body", "error_response"]

PUBLIC_PATHS = frozenset({"/healthz"}) | PUBLIC_CONSOLE_PATHS
"""Routes served without the token: the liveness probe and the console's page and files."""

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
"""Host names every server accepts (the configured host is added)."""


def error_body(status: int, message: str) -> dict[str, Any]:
    """The JSON of every error answer: ``{"error": {"status", "message"}}``."""
    return {"error": {"status": status, "message": message}}


def error_response(status: int, message: str) -> JSONResponse:
    """An error answer (see ``error_body``)."""
    return JSONResponse(error_body(status, message), status_code=status)


def host_name(header: str) -> str:
    """The name part of a Host header: lower case, no port, no brackets, no final dot."""
    text = header.strip().lower()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    return text.rstrip(".")


class Door:
    """The middleware (see the module docstring).

    Args:
        app: the control app behind the door.
        token: the bearer token.
        max_body: largest request body, in bytes.
        allowed_hosts: Host names accepted besides ``LOOPBACK_NAMES``.
        local_socket: the Unix socket path whose requests need no token (None: none).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        max_body: int,
        allowed_hosts: Iterable[str] = (),
        local_socket: str | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.allowed_hosts = LOOPBACK_NAMES | {host_name(h) for h in allowed_hosts}
        self.local_socket = local_socket
        self.nonces = auth.ServerNonces(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, authenticate, or pass the request on (see the module docstring)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        headers = _headers(scope)
        refusal = self._refusal(headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body = await _read_body(receive, self.max_body)
        if body is None:  # the client went away, or sent too much
            await error_response(413, f"request body larger than {self.max_body} bytes")(
                scope, receive, send
            )
            return
        replay = _replaying(body, receive)
        path = scope["path"]
        if path == auth.CHALLENGE_PATH and scope["method"] == "POST":
            await self._challenge(body)(scope, replay, send)
            return
        if self._local(scope) or path in PUBLIC_PATHS:
            await self.app(scope, replay, send)
            return
        presented = headers.get("authorization", "")
        signed = auth.parse_authorization(presented)
        if signed is not None:
            await self._signed(scope, replay, send, signed, body)
            return
        if not self._bearer(presented):
            await _unauthorized("missing or wrong bearer token (Authorization: Bearer ...)")(
                scope, replay, send
            )
            return
        await self.app(scope, replay, send)

    def _refusal(self, headers: dict[str, str]) -> Response | None:
        host = headers.get("host")
        if host is None or host_name(host) not in self.allowed_hosts:
            return error_response(400, "Host header does not name this server")
        if "transfer-encoding" in headers:
            response = error_response(411, "send the body with a Content-Length")
            response.headers["Connection"] = "close"
            return response
        length = headers.get("content-length")
        if length is not None and (
            not (length.isascii() and length.isdigit()) or int(length) > self.max_body
        ):
            return error_response(413, f"request body larger than {self.max_body} bytes")
        return None

    def _local(self, scope: Scope) -> bool:
        server = scope.get("server")
        return (
            self.local_socket is not None
            and server is not None
            and server[1] is None
            and server[0] == self.local_socket
        )

    def _bearer(self, presented: str) -> bool:
        scheme, _, value = presented.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return False
        return tokens_match(value.strip(), self.token)

    def _challenge(self, body: bytes) -> Response:
        try:
            nonce = json.loads(body).get("nonce")
        except (ValueError, AttributeError, RecursionError):
            nonce = None
        if not auth.valid_client_nonce(nonce):
            return error_response(400, "nonce: 32 lower-case hex digits required")
        server = self.nonces.issue()
        return JSONResponse(
            {"server_nonce": server, "proof": auth.server_proof(self.token, nonce, server)}
        )

    async def _signed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        signed: tuple[str, str, str],
        body: bytes,
    ) -> None:
        client, server, mac = signed
        query = scope.get("query_string", b"")
        target = scope.get("raw_path") or scope["path"].encode()
        if query:
            target += b"?" + query
        expected = auth.request_mac(self.token, client, server, scope["method"], target, body)
        if not (self.nonces.fresh(server) and hmac.compare_digest(mac, expected)):
            await _unauthorized("signature does not match, or its challenge expired")(
                scope, receive, send
            )
            return
        if not self.nonces.use(server):
            await _unauthorized("challenge already used")(scope, receive, send)
            return
        await self.app(scope, receive, _signing(send, self.token, client, server))


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


def _unauthorized(message: str) -> Response:
    response = error_response(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="hydra"'
    return response


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes or on a disconnect."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_security_headers(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["X-Content-Type-Options"] = "nosniff"
            if "x-frame-options" not in headers:
                headers["X-Frame-Options"] = "DENY"
            policy = headers.get("content-security-policy")
            if policy is None:
                headers["Content-Security-Policy"] = "frame-ancestors 'none'"
            elif "frame-ancestors" not in policy:
                headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
        await send(message)

    return secured


def _signing(send: Send, token: str, client: str, server: str) -> Send:
    """Hold the answer back until its body is complete, then send it with its MAC."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def signing(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        mac = auth.response_mac(token, client, server, int(start["status"]), body)
        headers = MutableHeaders(scope=start)
        headers[auth.RESPONSE_MAC_HEADER] = mac
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return signing
