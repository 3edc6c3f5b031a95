"""The control adapter: an ASGI control server an operator uses on a running gate.

It drives the application layer from outside (reads, audited controls, an event stream,
Prometheus metrics) and never touches the submit capability. Names load on first use
(PEP 562): the server needs the ``[control]`` extra (starlette, uvicorn,
prometheus-client), while the CLI's client and token helpers need only the standard
library, so ``hydra status`` works without the extra installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.lazy import lazy_exports

if TYPE_CHECKING:
    from hydra.adapters.control.app import API_PREFIX, ApiError, ControlApp
    from hydra.adapters.control.config import ControlConfig, is_loopback
    from hydra.adapters.control.server import ControlServer
    from hydra.adapters.control.token import load_or_create_token, read_token, tokens_match

__all__ = [
    "API_PREFIX",
    "ApiError",
    "ControlApp",
    "ControlConfig",
    "ControlServer",
    "is_loopback",
    "load_or_create_token",
    "read_token",
    "tokens_match",
]

_HOMES = {
    "API_PREFIX": ".app",
    "ApiError": ".app",
    "ControlApp": ".app",
    "ControlConfig": ".config",
    "ControlServer": ".server",
    "is_loopback": ".config",
    "load_or_create_token": ".token",
    "read_token": ".token",
    "tokens_match": ".token",
}


__getattr__ = lazy_exports(__name__, _HOMES)
