"""The ``[broker]`` settings: which broker, and how to reach IB's Gateway or TWS.

Imported by ``hydra.settings`` without ib_async: this module holds values only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from hydra.domain import ConfigError

__all__ = ["GatewayConfig"]

BrokerMode = Literal["sim", "paper", "live"]


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """``[broker]``: the adapter to trade through and the IB connection's parameters.

    Live trading needs ``mode = "live"`` and both halves of the opt-in (``allow_live``
    and ``live_confirmation``); the container refuses a live port in paper mode.
    """

    mode: BrokerMode = field(default="sim", metadata={"doc": "sim | paper | live"})
    host: str = field(default="127.0.0.1", metadata={"doc": "gateway host"})
    port: int = field(
        default=4002, metadata={"doc": "gateway port (4002 paper Gateway, 7497 paper TWS)"}
    )
    client_id: int = field(default=1, metadata={"doc": "1 trading, 2 diagnostic, 3 CLI"})
    allow_live: bool = field(default=False, metadata={"doc": "first half of the live opt-in"})
    live_confirmation: str = field(
        default="", metadata={"doc": "second half of the live opt-in (exact text)"}
    )
    connect_timeout: timedelta = field(
        default=timedelta(seconds=10), metadata={"doc": "how long to wait for the gateway"}
    )
    contract_refresh: timedelta = field(
        default=timedelta(hours=6),
        metadata={"doc": "how often qualified contracts' details (trading hours) are re-read"},
    )

    def __post_init__(self) -> None:
        if self.mode not in ("sim", "paper", "live"):
            raise ConfigError("broker.mode", f"must be sim, paper or live (got {self.mode!r})")
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 < self.port < 65536
        ):
            raise ConfigError("broker.port", f"must be a TCP port number (got {self.port!r})")
        if self.client_id not in (1, 2, 3) or isinstance(self.client_id, bool):
            raise ConfigError(
                "broker.client_id",
                f"must be 1 (trading), 2 (diagnostic) or 3 (CLI) (got {self.client_id!r})",
            )
        if not isinstance(self.host, str) or not self.host.strip():
            raise ConfigError("broker.host", "must be a non-empty host name")
        for name in ("connect_timeout", "contract_refresh"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ConfigError(f"broker.{name}", f"must be a positive duration (got {value!r})")
