"""The control server: uvicorn's ``Server.serve()`` as a task in the host's own event loop.

No thread, no second loop, no signal handlers taken from the host: the host starts it with
``await server.start()`` (or ``async with server:``) and stops it with ``await server.stop()``.
One uvicorn server listens on two sockets: TCP (``control.host``/``control.port``, the
token required) and the Unix socket ``control.sock`` next to the token file, in the
owner's 0700 state directory (see ``local``), which the CLI prefers. Both sockets are
bound before serving, so a port in use or a refused bind is a ``ConfigError`` naming the
setting, never a dead task. Every connection passes ``connections``' cap and deadlines.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable, Generator
from pathlib import Path
from types import TracebackType

import structlog
import uvicorn

from hydra.adapters.control.app import ControlApp, JournalTail
from hydra.adapters.control.config import ControlConfig, is_loopback
from hydra.adapters.control.connections import ConnectionLimits, guarded_protocol
from hydra.adapters.control.local import LocalSocket, control_socket_path, secure_directory
from hydra.adapters.control.token import load_or_create_token
from hydra.application import RiskGate
from hydra.domain import ConfigError

__all__ = ["ControlConfig", "ControlServer", "is_loopback"]

_log = structlog.get_logger("hydra.control")


class _HostServer(uvicorn.Server):
    """uvicorn's server without its signal handlers: the host owns its signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ControlServer:
    """Serves the control API for ``gate`` in the running event loop.

    Args:
        gate: the trader's RiskGate.
        config: host, port, token file, TLS, body limit.
        journal_tail: reads the journal's last records (for ``/api/v1/journal``).
        journal_failures: the count of failed journal appends (for ``/metrics``).
    """

    def __init__(
        self,
        gate: RiskGate,
        config: ControlConfig,
        *,
        journal_tail: JournalTail | None = None,
        journal_failures: Callable[[], int] | None = None,
    ) -> None:
        self.gate = gate
        self.config = config
        self._journal_tail = journal_tail
        self._journal_failures = journal_failures
        self._app: ControlApp | None = None
        self._server: _HostServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._local: LocalSocket | None = None
        self.port = config.port

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8470``."""
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"{self.config.scheme}://{shown}:{self.port}"

    @property
    def event_streams(self) -> int:
        """How many clients follow the live event stream now (0 while not serving)."""
        return self._app.hub.streams if self._app is not None else 0

    @property
    def token_file(self) -> Path:
        """Where the bearer token is (the file, never its contents, is shown to users)."""
        return Path(self.config.token_file)

    @property
    def socket_path(self) -> Path | None:
        """The Unix socket the owner's CLI uses (None when not serving one)."""
        return self._local.path if self._local is not None else None

    @property
    def running(self) -> bool:
        """True between ``start`` and ``stop`` while the serving task is alive."""
        return self._task is not None and not self._task.done()

    async def start(self) -> ControlServer:
        """Create or read the token, bind, and serve as a task; returns once listening.

        Raises:
            ConfigError: the state directory or token file is unsafe, or an address
                cannot be bound.
        """
        if self._task is not None:
            return self
        config = self.config
        if not config.token_file.strip():
            raise ConfigError(
                "control.token_file", "is empty: name the bearer token's file (0600, yours)"
            )
        secure_directory(Path(config.token_file).parent)
        token = load_or_create_token(config.token_file)
        sock = self._bind()
        local_path = control_socket_path(config.token_file) if config.local_socket else None
        if local_path is None and config.local_socket:
            _log.warning("control.no_local_socket", reason="the state directory's path is too long")
        try:
            local = LocalSocket(local_path) if local_path is not None else None
        except ConfigError:
            sock.close()
            raise
        sockets = [sock] if local is None else [sock, local.socket]
        app = ControlApp(
            self.gate,
            token=token,
            journal_tail=self._journal_tail,
            journal_failures=self._journal_failures,
            max_body=config.max_body,
            allowed_hosts=config.allowed_hosts(),
            local_socket=str(local_path) if local is not None else None,
        )
        limits = ConnectionLimits(
            max_connections=config.max_connections,
            header_timeout=config.header_timeout,
            body_timeout=config.body_timeout,
        )
        uv_config = uvicorn.Config(
            app.asgi,
            http=guarded_protocol(limits),
            # asyncio accepts up to `backlog` sockets per loop pass before any is closed:
            # a small one keeps a crowd from using up the file descriptors in one pass.
            backlog=config.max_connections,
            log_config=None,
            access_log=False,
            lifespan="off",
            ssl_certfile=self.config.tls_cert or None,
            ssl_keyfile=self.config.tls_key or None,
            timeout_graceful_shutdown=2,
            server_header=False,
        )
        try:
            uv_config.load()
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            if local is not None:
                local.close()
            app.close()
            raise ConfigError(
                "control.tls_cert", f"cannot load the TLS certificate/key: {exc}"
            ) from None
        server = _HostServer(uv_config)
        self._app, self._server, self._socket, self._local = app, server, sock, local
        self._task = asyncio.create_task(server.serve(sockets=sockets), name="hydra-control")
        # uvicorn signals readiness only through its `started` flag.
        while not server.started and not self._task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        if self._task.done():
            error = self._task.exception()
            await self.stop()
            raise ConfigError("control.port", f"the control server did not start: {error!r}")
        _log.info(
            "control.started",
            url=self.url,
            socket=str(local_path) if local is not None else None,
            token_file=str(self.token_file),
        )
        return self

    def _bind(self) -> socket.socket:
        host = self.config.host.strip().strip("[]")
        try:
            infos = socket.getaddrinfo(host, self.config.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ConfigError("control.host", f"cannot resolve {host!r}: {exc}") from None
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise ConfigError(
                "control.port", f"cannot listen on {host}:{self.config.port}: {exc.strerror}"
            ) from None
        sock.setblocking(False)  # noqa: FBT003  (the stdlib's signature)
        self.port = sock.getsockname()[1]
        return sock

    async def stop(self) -> None:
        """End the event streams, stop serving, release the port (idempotent)."""
        if self._app is not None:
            self._app.close()
        if self._server is not None:
            self._server.should_exit = True
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, 5)
            except TimeoutError:
                _log.warning("control.stop_timeout")
            except Exception as exc:  # noqa: BLE001  (stopping must not raise for a dead task)
                _log.warning("control.stopped_with_error", error=repr(exc))
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._local is not None:
            self._local.close()
            self._local = None
        if self._app is not None:
            _log.info("control.stopped", url=self.url)
        self._app = self._server = None

    async def __aenter__(self) -> ControlServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
