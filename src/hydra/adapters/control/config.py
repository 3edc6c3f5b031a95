"""The ``[control]`` settings: where the control server listens and how it is guarded.

Standard library only: ``hydra.settings`` reads it without the ``[control]`` extra.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from hydra.domain import ConfigError

__all__ = ["ControlConfig", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ControlConfig:
    """Where and how the control server listens (``[control]`` in the config).

    ``enabled`` is the container's switch; ``emergency_client_id`` is the IB client id
    ``hydra kill`` falls back to. An empty ``token_file`` means the state directory's.

    Anything but loopback needs ``tls_cert`` and ``tls_key``; ``port=0`` picks a free port.
    ``max_connections`` caps open connections per listener (TCP, Unix socket);
    ``header_timeout`` / ``body_timeout`` close a request that has not sent its headers /
    its body in time (seconds); ``local_socket`` serves ``control.sock`` next to the
    token file too.
    """

    token_file: str = field(
        default="", metadata={"doc": "bearer token file ('': <state dir>/control.token)"}
    )
    enabled: bool = field(
        default=False, metadata={"doc": "serve the control API in the host's event loop"}
    )
    host: str = field(
        default="127.0.0.1", metadata={"doc": "interface; anything but loopback needs TLS"}
    )
    port: int = field(
        default=8470, metadata={"doc": "TCP port of the control server (0 picks a free one)"}
    )
    tls_cert: str = field(default="", metadata={"doc": "TLS certificate (PEM), off loopback"})
    tls_key: str = field(default="", metadata={"doc": "TLS private key (PEM), off loopback"})
    max_body: int = field(default=16_384, metadata={"doc": "largest request body, bytes"})
    max_connections: int = field(
        default=64, metadata={"doc": "open connections per listener (TCP, Unix socket)"}
    )
    header_timeout: float = field(
        default=10.0, metadata={"doc": "seconds a request may take to send its headers"}
    )
    body_timeout: float = field(
        default=10.0, metadata={"doc": "seconds a request may take to send its body"}
    )
    local_socket: bool = field(
        default=True, metadata={"doc": "serve control.sock next to the token file too"}
    )
    emergency_client_id: int = field(
        default=99,
        metadata={
            "doc": "IB client id `hydra kill` uses when the trader does not answer (never 1-3)"
        },
    )

    def __post_init__(self) -> None:
        emergency = self.emergency_client_id
        if (
            isinstance(emergency, bool)
            or not isinstance(emergency, int)
            or emergency < 0
            or (emergency in (1, 2, 3))
        ):
            raise ConfigError(
                "control.emergency_client_id",
                "must be a non-negative client id other than 1 (trading), 2 and 3 "
                "(diagnostic, CLI): the emergency client must never collide with the trader",
            )
        if (
            isinstance(self.max_body, bool)
            or not isinstance(self.max_body, int)
            or (self.max_body < 1)
        ):
            raise ConfigError("control.max_body", "must be a positive number of bytes")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ConfigError("control.port", f"must be an integer (got {self.port!r})")
        if not 0 <= self.port < 65536:
            raise ConfigError("control.port", f"must be 0..65535 (got {self.port})")
        if isinstance(self.max_connections, bool) or not (
            isinstance(self.max_connections, int) and self.max_connections > 0
        ):
            raise ConfigError("control.max_connections", "must be a positive integer")
        for name in ("header_timeout", "body_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigError(f"control.{name}", "must be a number of seconds > 0")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("control.tls_key", "TLS needs both tls_cert and tls_key")
        if not is_loopback(self.host) and not self.tls_cert:
            raise ConfigError(
                "control.host",
                f"{self.host!r} is not loopback: serving the control API off this machine "
                "needs TLS (set control.tls_cert and control.tls_key), or use 127.0.0.1",
            )

    @property
    def scheme(self) -> str:
        """``https`` with TLS, else ``http``."""
        return "https" if self.tls_cert else "http"

    def allowed_hosts(self) -> tuple[str, ...]:
        """Host names clients may use besides loopback's: the configured host.

        Listening on every interface, this machine's own names instead.
        """
        if self.host.strip() in ("0.0.0.0", "::", ""):  # noqa: S104  (a comparison)
            return (socket.gethostname(), socket.getfqdn())
        return (self.host,)
