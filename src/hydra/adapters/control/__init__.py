"""The control adapter: an ASGI control server an operator uses on a running gate.

It drives the application layer from outside (reads, audited controls, an event stream,
Prometheus metrics) and never touches the submit capability.
"""

from __future__ import annotations

from hydra.adapters.control.app import API_PREFIX, ApiError, ControlApp
from hydra.adapters.control.server import ControlConfig, ControlServer, is_loopback
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
