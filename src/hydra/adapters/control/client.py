"""The ``hydra`` CLI's client of the control API (standard library only).

Two ways in, the first preferred:

* the Unix socket in the owner's 0700 state directory: the client checks the socket
  and its directory belong to this user (and, on Linux, that the process answering runs
  as this user), then talks without a token: the filesystem vouches for both sides;
* TCP (remote use, or no socket): the client first makes the server prove it holds the
  token (``auth``), signs each request with it, and checks the answer's signature. The
  token itself never crosses the wire, so a process squatting on the port learns nothing
  usable and cannot fake an answer.

It tells apart "nobody is there" (``ControlUnavailable``, ``listening`` False: refused, no
socket), "something accepted but did not answer" (``listening`` True: a hung or frozen
trader), "something answered that is not the trader" (``ControlUntrusted``) and "the
trader answered no" (``ControlRequestError``), so the CLI falls back to the broker only
when it should.
"""

from __future__ import annotations

import hmac
import http.client
import json
import os
import socket
import ssl
import struct
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hydra.adapters.control import auth
from hydra.adapters.control.local import local_socket_problem
from hydra.domain import ConfigError, HydraError

__all__ = [
    "ControlClient",
    "ControlRequestError",
    "ControlUnavailable",
    "ControlUntrusted",
    "probe_healthz",
]

_API = "/api/v1"


class ControlUnavailable(HydraError):  # noqa: N818  (reads as a state: the server is unavailable)
    """No control server answered; ``listening`` says whether something accepted the call."""

    def __init__(self, message: str, *, listening: bool) -> None:
        super().__init__(message)
        self.listening = listening


class ControlUntrusted(HydraError):  # noqa: N818  (reads as a state: the server is untrusted)
    """Something answered that could not prove it is the trader: nothing was sent to it."""


class ControlRequestError(HydraError):
    """The trader's control server answered with an error status (``body``: its JSON)."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket, refusing a peer that is not this user's process."""

    def __init__(self, path: Path, timeout: float, context: ssl.SSLContext | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path
        self._context = context

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self._path))
            _check_peer(sock, self._path)
            self.sock = (
                self._context.wrap_socket(sock, server_hostname="localhost")
                if self._context is not None
                else sock
            )
        except BaseException:
            sock.close()
            raise


def _check_peer(sock: socket.socket, path: Path) -> None:
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:  # not Linux: the socket's owner and directory were checked
        return
    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, peercred, 12))
    if uid != os.geteuid():
        raise ControlUntrusted(
            f"the process answering on {path} (pid {pid}) runs as uid {uid}, not as you"
        )


class ControlClient:
    """Talks JSON to one trader's control server (see the module docstring).

    Args:
        url: ``http(s)://host:port`` of the TCP listener (also named in messages).
        token: the bearer token, to prove and sign with over TCP (never sent).
        socket_path: the trader's Unix socket; when given, every call goes there.
        timeout: seconds to wait for a connection and for each answer.
        tls_ca: a certificate (PEM) to trust for ``https`` (the trader's own, pinned).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        socket_path: Path | None = None,
        timeout: float = 5.0,
        tls_ca: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("--control", f"must be an http(s)://host:port URL (got {url!r})")
        if socket_path is None and not token:
            raise ConfigError("control.token_file", "a token is needed to talk over TCP")
        self.url = url.rstrip("/")
        self._parts = parts
        self._token = token or ""
        self.socket_path = socket_path
        self.timeout = timeout
        self._tls: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._tls = ssl.create_default_context(cafile=tls_ca or None)

    @property
    def where(self) -> str:
        """What the client talks to, for messages."""
        return f"unix:{self.socket_path}" if self.socket_path is not None else self.url

    def get(self, path: str) -> Any:
        """GET ``/api/v1{path}`` and return the decoded JSON."""
        return self._call("GET", path, None, None)

    def post(self, path: str, body: dict[str, Any], *, key: str | None = None) -> Any:
        """POST JSON to ``/api/v1{path}`` (with an optional Idempotency-Key)."""
        return self._call("POST", path, json.dumps(body).encode(), key)

    def _call(self, method: str, path: str, body: bytes | None, key: str | None) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        target = f"{_API}{path}"
        if self.socket_path is not None:
            problem = local_socket_problem(self.socket_path)
            if problem is not None:
                raise ControlUntrusted(f"not talking to {self.socket_path}: {problem}")
            status, _, data = self._exchange(method, target, body, headers)
            return _decoded(status, data)
        client, server = self._challenge()
        mac = auth.request_mac(self._token, client, server, method, target.encode(), body or b"")
        headers["Authorization"] = auth.authorization(client, server, mac)
        status, answer_headers, data = self._exchange(method, target, body, headers)
        signature = answer_headers.get(auth.RESPONSE_MAC_HEADER, "")
        expected = auth.response_mac(self._token, client, server, status, data)
        if not _same(signature, expected):
            raise ControlUntrusted(
                f"the answer from {self.url} is not signed with the trader's token "
                f"(HTTP {status}): something between us and the trader, or not the trader"
            )
        return _decoded(status, data)

    def _challenge(self) -> tuple[str, str]:
        """Make the server prove it holds the token; the nonces for one request."""
        client = auth.client_nonce()
        body = json.dumps({"nonce": client}).encode()
        status, _, data = self._exchange(
            "POST", auth.CHALLENGE_PATH, body, {"Content-Type": "application/json"}
        )
        try:
            answer = json.loads(data)
            server, proof = str(answer["server_nonce"]), str(answer["proof"])
        except (ValueError, KeyError, TypeError):
            server = proof = ""
        if status != 200 or not _same(proof, auth.server_proof(self._token, client, server)):
            raise ControlUntrusted(
                f"the server at {self.url} could not prove it holds the trader's token "
                f"(HTTP {status} to the challenge): it is not the trader (a process "
                "squatting on the port?); nothing was sent to it"
            )
        return client, server

    def _exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        connection = self._connection()
        connected = False
        try:
            connection.connect()
            connected = True
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except (ConnectionRefusedError, FileNotFoundError) as exc:
            raise ControlUnavailable(
                f"nothing listens at {self.where} ({exc.strerror or exc})", listening=False
            ) from None
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise ControlUntrusted(f"{self.url}: {exc.verify_message}") from None
            what = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise ControlUnavailable(
                f"{self.where} accepted the connection but did not answer ({what})"
                if connected
                else f"cannot connect to {self.where} ({what}: {exc})",
                listening=connected,
            ) from None
        finally:
            connection.close()

    def _connection(self) -> http.client.HTTPConnection:
        if self.socket_path is not None:
            unverified = None
            if self._tls is not None:  # the server's TLS covers its socket too
                unverified = ssl.create_default_context()
                unverified.check_hostname = False
                unverified.verify_mode = ssl.CERT_NONE  # the filesystem vouches instead
            return _UnixConnection(self.socket_path, self.timeout, unverified)
        host, port = self._parts.hostname or "", self._parts.port
        if self._tls is not None:
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self._tls)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)


def probe_healthz(url: str, *, timeout: float = 5.0) -> bool:
    """True if something answers ``/healthz`` at ``url`` like a control server does.

    Raises:
        ControlUnavailable: nothing listens there, or it accepted and did not answer.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        loose = ssl.create_default_context()
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE  # only asking whether anything is there
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=loose)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connected = False
    try:
        connection.connect()
        connected = True
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        return response.status == 200 and b'"ok"' in response.read(256)
    except ConnectionRefusedError:
        raise ControlUnavailable(f"nothing listens at {url}", listening=False) from None
    except (OSError, http.client.HTTPException) as exc:
        raise ControlUnavailable(f"{url}: {type(exc).__name__}", listening=connected) from None
    finally:
        connection.close()


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _decoded(status: int, data: bytes) -> Any:
    try:
        decoded = json.loads(data or b"null")
    except ValueError:
        decoded = None
    if 200 <= status < 300:
        return decoded
    try:
        message = decoded["error"]["message"]
    except (KeyError, TypeError):
        message = http.client.responses.get(status, "error")
    raise ControlRequestError(status, str(message), decoded)
