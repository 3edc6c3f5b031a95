"""The control server's security: token, loopback binding, bounded bodies, JSON errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from hydra.adapters.control import ControlConfig, ControlServer, load_or_create_token, read_token
from hydra.adapters.control.local import secure_directory
from hydra.container import build_container
from hydra.domain import ConfigError
from tests.control.conftest import Running


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}],
    ids=["no-token", "wrong-token", "wrong-scheme"],
)
@pytest.mark.parametrize("path", ["/api/v1/status", "/api/v1/events", "/metrics"])
async def test_every_endpoint_but_healthz_needs_the_token(
    running: Running, headers: dict[str, str], path: str
) -> None:
    """Without the right bearer token a request is a JSON 401 that never echoes the token."""
    async with httpx.AsyncClient(base_url=running.server.url, headers=headers) as anonymous:
        response = await anonymous.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "bearer token" in response.json()["error"]["message"]
    assert running.token not in response.text


async def test_a_mutation_without_the_token_changes_nothing(running: Running) -> None:
    """An unauthenticated POST /state is refused and the gate stays ACTIVE."""
    async with httpx.AsyncClient(base_url=running.server.url) as anonymous:
        response = await anonymous.post(
            "/api/v1/state", json={"state": "HALTED", "who": "x", "why": "y"}
        )
    assert response.status_code == 401
    assert running.gate.trading_state.value == "ACTIVE"


async def test_oversized_body_is_refused(running: Running) -> None:
    """A body over [control] max_body is a JSON 413, whatever it holds."""
    body = {"state": "HALTED", "who": "x", "why": "y" * 20_000}
    response = await running.client.post("/api/v1/state", json=body)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]
    assert running.gate.trading_state.value == "ACTIVE"


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"", 400, "body is required"),
        (b'{"state": "PAUSED", "who": "x", "why": "y"}', 422, "state: must be one of"),
        (b'{"state": "HALTED", "why": "y"}', 422, "who: required"),
        (b'{"state": "HALTED", "who": "x", "why": "  "}', 422, "why: required"),
    ],
    ids=["bad-json", "not-object", "empty", "unknown-state", "no-who", "blank-why"],
)
async def test_bad_requests_get_clear_json_errors(
    running: Running, content: bytes, status: int, fragment: str
) -> None:
    """Malformed or invalid bodies get 400/422 with a message naming the problem."""
    response = await running.client.post(
        "/api/v1/state", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]
    assert running.gate.trading_state.value == "ACTIVE"


async def test_unknown_route_and_bad_query_are_json_errors(running: Running) -> None:
    """An unknown path is a JSON 404; a bad filter is a 422 naming it."""
    missing = await running.client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404
    bad = await running.client.get("/api/v1/decisions?outcome=maybe")
    assert bad.status_code == 422
    assert "outcome" in bad.json()["error"]["message"]


def test_token_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    """The token is generated once into a 0600 file; a second start reads the same token."""
    path = tmp_path / "state" / "control.token"
    token = load_or_create_token(path)
    assert len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == token


def test_a_token_file_others_can_read_is_refused_without_showing_it(tmp_path: Path) -> None:
    """A group/world-readable token file is a ConfigError naming the file, not the token."""
    path = tmp_path / "control.token"
    token = load_or_create_token(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600") as info:
        load_or_create_token(path)
    assert token not in str(info.value)


def test_non_loopback_bind_without_tls_is_refused(tmp_path: Path) -> None:
    """Binding anything but loopback without a TLS cert and key is a ConfigError."""
    with pytest.raises(ConfigError, match="needs TLS"):
        ControlConfig(token_file=str(tmp_path / "t"), host="0.0.0.0")  # noqa: S104
    with pytest.raises(ConfigError, match="both tls_cert and tls_key"):
        ControlConfig(token_file=str(tmp_path / "t"), host="0.0.0.0", tls_cert="c.pem")  # noqa: S104
    assert ControlConfig(token_file=str(tmp_path / "t"), host="::1").host == "::1"


async def test_port_in_use_is_a_config_error(running: Running, tmp_path: Path) -> None:
    """A second server on a port already taken fails with a ConfigError naming control.port."""
    config = ControlConfig(token_file=str(tmp_path / "t"), port=running.server.port)
    with pytest.raises(ConfigError, match=r"control\.port"):
        await ControlServer(running.gate, config).start()


async def test_the_token_never_reaches_the_logs(tmp_path: Path, running: Running) -> None:
    """Starting, authenticating and failing to authenticate log no token."""
    with capture_logs() as logs:
        await running.client.post(
            "/api/v1/state", json={"state": "REDUCING", "who": "a", "why": "b"}
        )
        async with httpx.AsyncClient(
            base_url=running.server.url, headers={"Authorization": "Bearer guess"}
        ) as wrong:
            await wrong.get("/api/v1/status")
        config = ControlConfig(
            token_file=str(running.server.token_file), port=0, local_socket=False
        )
        async with ControlServer(running.gate, config):
            pass
    assert logs
    assert running.token not in repr(logs)
    assert running.token not in running.journal.read_text()


def test_the_default_bind_is_loopback(tmp_path: Path) -> None:
    """Without a host in the config the server binds 127.0.0.1 over plain HTTP."""
    config = ControlConfig(token_file=str(tmp_path / "t"))
    assert (config.host, config.scheme) == ("127.0.0.1", "http")


ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown to another user")
NOBODY = 65534


async def test_the_traders_state_dir_ends_up_0700(tmp_path: Path) -> None:
    """A trader whose journal made the state dir (0755 by umask) serves from a 0700 one."""
    state = tmp_path / "state"
    container = build_container(
        env={},
        overrides={"state": {"dir": str(state)}, "control": {"enabled": True, "port": 0}},
    )
    broker = container.sim_broker()
    await broker.connect()
    gate = container.risk_gate()
    assert state.is_dir()
    async with container.control_server():
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert stat.S_IMODE((state / "control.token").stat().st_mode) == 0o600
    gate.close()


def test_a_token_file_others_may_write_is_refused(tmp_path: Path) -> None:
    """Group- or world-writable: refused, naming the mode (someone could have swapped it)."""
    path = tmp_path / "control.token"
    load_or_create_token(path)
    path.chmod(0o620)
    with pytest.raises(ConfigError, match="writable by other users"):
        read_token(path)


def test_a_symlinked_token_file_is_refused(tmp_path: Path) -> None:
    """The token file must be the file itself, not a link to one elsewhere."""
    real = tmp_path / "elsewhere.token"
    load_or_create_token(real)
    (tmp_path / "control.token").symlink_to(real)
    with pytest.raises(ConfigError, match="cannot read"):
        read_token(tmp_path / "control.token")


@ROOT_ONLY
def test_a_token_file_planted_by_another_user_is_refused(tmp_path: Path) -> None:
    """A 0600 token owned by someone else is not trusted, however private it looks."""
    path = tmp_path / "control.token"
    load_or_create_token(path)
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(ConfigError, match=f"belongs to uid {NOBODY}"):
        read_token(path)


@ROOT_ONLY
def test_a_state_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    """The server will not put its token and socket in a directory someone else owns."""
    state = tmp_path / "theirs"
    state.mkdir(mode=0o700)
    os.chown(state, NOBODY, NOBODY)
    with pytest.raises(ConfigError, match="belongs to uid"):
        secure_directory(state)
