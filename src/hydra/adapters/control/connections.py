"""Connections the control server holds: capped, and closed when they stall.

uvicorn keeps a connection that sends half a request open for as long as the peer likes,
and accepts as many as arrive, so a few thousand idle sockets from any local user could
use up the trader's file descriptors and lock the owner out. ``GuardedProtocol`` wraps
uvicorn's HTTP protocol on every connection and

* caps open connections per kind of listener, TCP and the Unix socket apart, so a crowd
  on the TCP port never takes the owner's Unix socket (the one over the cap is closed at
  once, before it costs more than the accept);
* gives a request ``header_timeout`` seconds from its first byte (from the connection's
  start for the first) to finish its headers, and ``body_timeout`` more for a body of
  the announced Content-Length; a request that is not complete by then is aborted.

A request being answered (a kill waiting on the broker, an event stream) has no deadline;
an idle keep-alive connection is closed by uvicorn's own keep-alive timeout.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["ConnectionLimits", "guarded_protocol"]

_log = structlog.get_logger("hydra.control")
_HEADERS_END = b"\r\n\r\n"
_HEADERS_MAX = 65_536  # beyond this h11 has refused the request already


@dataclass(slots=True)
class ConnectionLimits:
    """The caps and deadlines, and the live counts per listener kind ("tcp", "local")."""

    max_connections: int = 64
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    open: dict[str, int] = field(default_factory=lambda: {"tcp": 0, "local": 0})
    refused: int = 0

    def admit(self, kind: str) -> bool:
        """Count a new connection in, or refuse it (False) when its kind is full."""
        if self.open[kind] >= self.max_connections:
            if self.refused % 1000 == 0:  # a flood logs a line per thousand, not each
                _log.warning(
                    "control.connection_refused",
                    kind=kind,
                    open=self.open[kind],
                    refused=self.refused + 1,
                )
            self.refused += 1
            return False
        self.open[kind] += 1
        return True

    def release(self, kind: str) -> None:
        """A counted connection closed."""
        self.open[kind] -= 1


def guarded_protocol(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """The protocol class uvicorn builds per connection (``uvicorn.Config(http=...)``)."""

    class _Guarded(GuardedProtocol):
        _limits = limits

    return _Guarded


class GuardedProtocol(asyncio.Protocol):
    """uvicorn's h11 protocol behind a connection cap and request deadlines."""

    _limits: ConnectionLimits

    def __init__(self, **uvicorn_arguments: Any) -> None:
        self._inner = H11Protocol(**uvicorn_arguments)
        self._transport: asyncio.Transport | None = None
        self._kind: str | None = None  # set once admitted
        self._timer: asyncio.TimerHandle | None = None
        self._waiting = False  # True while a request is still arriving
        self._head = bytearray()
        self._body_left = 0

    # ------------------------------------------------------------------ asyncio
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Admit (or refuse) the connection and start the first request's deadline."""
        transport = cast(asyncio.Transport, transport)  # a stream server's, TLS or not
        self._transport = transport
        sock = transport.get_extra_info("socket")
        kind = "local" if sock is not None and sock.family == socket.AF_UNIX else "tcp"
        if not self._limits.admit(kind):
            transport.abort()
            return
        self._kind = kind
        self._inner.connection_made(transport)
        self._expect_headers()

    def data_received(self, data: bytes) -> None:
        """Follow the request's progress, then hand the bytes to uvicorn."""
        if self._kind is None:
            return
        self._follow(data)
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        """As uvicorn does."""
        if self._kind is None:
            return None
        self._inner.eof_received()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Release the connection's place; tell uvicorn."""
        self._cancel_timer()
        if self._kind is None:
            return
        self._limits.release(self._kind)
        self._kind = None
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        """As uvicorn does."""
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        """As uvicorn does."""
        self._inner.resume_writing()

    # ------------------------------------------------------------------ deadlines
    def _follow(self, data: bytes) -> None:
        """Move the request state: headers, then the body's bytes, then answered."""
        view = memoryview(data)
        while view:
            if not self._waiting:  # a new request starts with this byte
                self._expect_headers()
            if self._body_left:
                used = min(self._body_left, len(view))
                self._body_left -= used
                view = view[used:]
                if not self._body_left:
                    self._complete()
                continue
            before = len(self._head)
            self._head += view[: _HEADERS_MAX - before]
            end = self._head.find(_HEADERS_END, max(0, before - 3))
            if end < 0:
                if len(self._head) >= _HEADERS_MAX:
                    self._complete()  # h11 answers 431 and closes
                return
            used = end + len(_HEADERS_END) - before
            length = _content_length(bytes(self._head[:end]))
            view = view[used:]
            self._head.clear()
            if length:
                self._body_left = length
                self._arm(self._limits.body_timeout, "body")
            else:
                self._complete()

    def _expect_headers(self) -> None:
        self._waiting = True
        self._head.clear()
        self._body_left = 0
        self._arm(self._limits.header_timeout, "headers")

    def _complete(self) -> None:
        self._waiting = False
        self._cancel_timer()

    def _arm(self, seconds: float, what: str) -> None:
        self._cancel_timer()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(seconds, self._expire, what)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, what: str) -> None:
        self._timer = None
        if self._transport is not None and self._waiting:
            _log.info("control.request_timeout", waiting_for=what)
            self._transport.abort()


def _content_length(head: bytes) -> int:
    """The announced body length (0 if none; a chunked body is refused by the door)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else 0
    return 0
