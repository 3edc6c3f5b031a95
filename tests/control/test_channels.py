"""How the CLI reaches the trader: the private Unix socket, or TCP with the token proven."""

from __future__ import annotations

import asyncio
import json
import stat
import urllib.request
from pathlib import Path

import httpx
import pytest

from hydra.adapters.control import auth
from hydra.adapters.control.client import ControlClient, ControlUntrusted
from hydra.adapters.control.local import control_socket_path
from hydra.domain import TradingState
from tests.control.conftest import Running


async def test_the_unix_socket_is_private_and_needs_no_token(running: Running) -> None:
    """control.sock sits 0600 in the 0700 state dir; a request over it needs no token."""
    path = running.server.socket_path
    assert path is not None
    assert path == running.server.token_file.parent / "control.sock"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    transport = httpx.AsyncHTTPTransport(uds=str(path))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as local:
        response = await local.post(
            "/api/v1/state", json={"state": "HALTED", "who": "ops", "why": "local"}
        )
    assert response.status_code == 200, response.text
    assert running.gate.trading_state is TradingState.HALTED


async def test_the_cli_client_talks_over_the_socket(running: Running) -> None:
    """ControlClient with the socket path reads the trader without any token."""
    client = ControlClient(running.server.url, socket_path=running.server.socket_path)
    status = await asyncio.to_thread(client.get, "/status")
    assert status["trading_state"] == "ACTIVE"
    assert client.where.startswith("unix:")


async def test_a_socket_in_a_directory_others_can_enter_is_not_trusted(
    running: Running,
) -> None:
    """The client refuses the socket once its directory is open to others (nothing sent)."""
    path = running.server.socket_path
    assert path is not None
    path.parent.chmod(0o755)
    client = ControlClient(running.server.url, socket_path=path)
    with pytest.raises(ControlUntrusted, match="not your private directory"):
        await asyncio.to_thread(client.post, "/state", {"state": "HALTED", "who": "a", "why": "b"})
    assert running.gate.trading_state is TradingState.ACTIVE


async def test_over_tcp_the_client_proves_and_signs_without_sending_the_token(
    running: Running,
) -> None:
    """Over TCP a signed request works; the token never appears on the wire."""
    seen: list[bytes] = []
    proxy = await asyncio.start_server(_recording_proxy(running.server.port, seen), "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    async with proxy:
        client = ControlClient(f"http://127.0.0.1:{port}", token=running.token)
        answer = await asyncio.to_thread(
            client.post, "/state", {"state": "REDUCING", "who": "ops", "why": "tcp"}
        )
    assert answer["trading_state"] == "REDUCING"
    wire = b"".join(seen)
    assert auth.SCHEME.encode() in wire
    assert running.token.encode() not in wire


async def test_a_signed_request_cannot_be_replayed_or_altered(running: Running) -> None:
    """The same signature twice is refused, and so is one over another body."""
    client_nonce = auth.client_nonce()
    challenge = await running.client.post(auth.CHALLENGE_PATH, json={"nonce": client_nonce})
    server_nonce = challenge.json()["server_nonce"]
    assert challenge.json()["proof"] == auth.server_proof(running.token, client_nonce, server_nonce)
    body = json.dumps({"state": "HALTED", "who": "a", "why": "b"}).encode()
    mac = auth.request_mac(
        running.token, client_nonce, server_nonce, "POST", b"/api/v1/state", body
    )
    signed = {
        "Authorization": auth.authorization(client_nonce, server_nonce, mac),
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(base_url=running.server.url) as anonymous:
        altered = await anonymous.post(
            "/api/v1/state", content=body.replace(b"HALTED", b"ACTIVE"), headers=signed
        )
        assert altered.status_code == 401
        first = await anonymous.post("/api/v1/state", content=body, headers=signed)
        assert first.status_code == 200
        assert first.headers[auth.RESPONSE_MAC_HEADER] == auth.response_mac(
            running.token, client_nonce, server_nonce, 200, first.content
        )
        replay = await anonymous.post("/api/v1/state", content=body, headers=signed)
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]["message"]


async def test_bearer_tokens_still_open_the_door_for_the_console_and_prometheus(
    running: Running,
) -> None:
    """Browsers and Prometheus keep sending the bearer token over TCP."""
    request = urllib.request.Request(  # noqa: S310  (loopback test URL)
        f"{running.server.url}/metrics", headers={"Authorization": f"Bearer {running.token}"}
    )
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(request).read())  # noqa: S310
    assert b"hydra_trading_state" in body


def _recording_proxy(port: int, seen: list[bytes]):  # type: ignore[no-untyped-def]
    """A TCP relay to the control server that keeps what the client sent."""

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)

        async def pump(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter, keep: bool
        ) -> None:
            while data := await source.read(65536):
                if keep:
                    seen.append(data)
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(
            pump(reader, upstream_writer, keep=True), pump(upstream_reader, writer, keep=False)
        )

    return relay


def test_server_nonces_expire_and_resist_tampering() -> None:
    """A server nonce is good for MAX_AGE_S, only as issued, and only once."""
    now = [1_000_000.0]
    nonces = auth.ServerNonces("token", clock=lambda: now[0])
    nonce = nonces.issue()
    assert nonces.fresh(nonce)
    assert not nonces.fresh(nonce[:-1] + ("0" if nonce[-1] != "0" else "1"))
    assert not auth.ServerNonces("other token").fresh(nonce)
    assert nonces.use(nonce)
    assert not nonces.use(nonce)
    now[0] += auth.MAX_AGE_S + 1
    assert not nonces.fresh(nonce)


def test_the_socket_sits_next_to_the_token(tmp_path: Path) -> None:
    """The socket path follows the token file, and is None when too long for sockaddr_un."""
    assert control_socket_path(tmp_path / "control.token") == tmp_path / "control.sock"
    assert control_socket_path(tmp_path / ("d" * 120) / "control.token") is None
