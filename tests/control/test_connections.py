"""Real sockets against the control server: a capped number of connections, stalls closed."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hydra.adapters.control import ControlConfig, ControlServer
from tests.control.conftest import Running

CAP = 4
DEADLINE = 0.5


@pytest.fixture
async def strict(running: Running, tmp_path: Path) -> AsyncIterator[ControlServer]:
    """A second server on the same gate with a cap of 4 and half-second deadlines."""
    config = ControlConfig(
        token_file=str(tmp_path / "strict" / "control.token"),
        port=0,
        max_connections=CAP,
        header_timeout=DEADLINE,
        body_timeout=DEADLINE,
    )
    async with ControlServer(running.gate, config) as server:
        yield server


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(5)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True if the server closes ``sock`` within ``seconds`` (EOF or reset)."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
        b"POST /api/v1/kill HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{",
    ],
    ids=["idle", "half-headers", "half-body"],
)
async def test_a_stalled_request_is_closed_after_its_deadline(
    strict: ControlServer, sent: bytes
) -> None:
    """Idle, half-sent headers or a short body: the server closes the socket in time."""
    sock = await asyncio.to_thread(_connect, strict.port)
    with sock:
        sock.sendall(sent)
        started = time.monotonic()
        assert await asyncio.to_thread(_closed_within, sock, 10 * DEADLINE)
        assert time.monotonic() - started < 10 * DEADLINE


async def test_a_crowd_on_tcp_is_capped_and_the_unix_socket_still_answers(
    strict: ControlServer,
) -> None:
    """Past the cap a TCP connection is closed at once; the owner's socket is not affected."""
    crowd = [await asyncio.to_thread(_connect, strict.port) for _ in range(CAP)]
    try:
        extra = await asyncio.to_thread(_connect, strict.port)
        with extra:
            assert await asyncio.to_thread(_closed_within, extra, DEADLINE / 2)
        transport = httpx.AsyncHTTPTransport(uds=str(strict.socket_path))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as owner:
            response = await owner.get("/api/v1/status")
        assert response.status_code == 200
    finally:
        for sock in crowd:
            sock.close()


async def test_a_request_being_answered_has_no_deadline(
    running: Running, strict: ControlServer
) -> None:
    """A kill waiting on the broker longer than the deadlines still gets its answer."""
    running.broker.set_latency(3 * DEADLINE)
    transport = httpx.AsyncHTTPTransport(uds=str(strict.socket_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as owner:
        response = await owner.post(
            "/api/v1/kill", json={"who": "ops", "why": "slow broker", "flatten": False}
        )
    assert response.status_code == 200, response.text
