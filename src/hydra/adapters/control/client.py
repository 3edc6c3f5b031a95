"""A small client of the control API, for the ``hydra`` CLI (standard library only).

It tells "nobody answered" (``ControlUnavailable``: refused, timed out, hung) apart from
"the server answered no" (``ControlRequestError`` with the status and message), so the
CLI can fall back to the broker only when the trader is dead or hung.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from hydra.domain import ConfigError, HydraError

__all__ = ["ControlClient", "ControlRequestError", "ControlUnavailable"]


class ControlUnavailable(HydraError):  # noqa: N818  (reads as a state: the server is unavailable)
    """No control server answered (connection refused, timed out, or the trader is hung)."""


class ControlRequestError(HydraError):
    """The control server answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ControlClient:
    """Talks JSON to ``url`` (e.g. ``http://127.0.0.1:8470``) with the bearer token."""

    def __init__(self, url: str, token: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("--control", f"must be an http(s)://host:port URL (got {url!r})")
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def get(self, path: str) -> Any:
        """GET ``/api/v1{path}`` and return the decoded JSON."""
        return self._call("GET", path, None)

    def post(self, path: str, body: dict[str, Any], *, key: str | None = None) -> Any:
        """POST JSON to ``/api/v1{path}`` (with an optional Idempotency-Key)."""
        return self._call("POST", path, body, key)

    def _call(self, method: str, path: str, body: Any, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(  # noqa: S310  (scheme checked in __init__)
            f"{self.url}/api/v1{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read())["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = exc.reason
            raise ControlRequestError(exc.code, str(message)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ControlUnavailable(
                f"no control server answered at {self.url} ({reason})"
            ) from None
