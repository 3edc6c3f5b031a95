"""Client roles (IB client ids) and the broker connection's state."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from hydra.domain.errors import InvalidInputError

__all__ = ["ClientRole", "ConnectionState"]


class ClientRole(IntEnum):
    """Who a broker connection is for; the value is the IB client id."""

    TRADING = 1
    DIAGNOSTIC = 2
    CLI = 3

    @classmethod
    def from_client_id(cls, client_id: object) -> ClientRole:
        """Map an IB client id to its role, refusing any id HYDRA does not assign."""
        if isinstance(client_id, bool) or not isinstance(client_id, int):
            raise InvalidInputError("client_id", "must be an integer (1, 2 or 3)", client_id)
        try:
            return cls(client_id)
        except ValueError:
            raise InvalidInputError(
                "client_id", "must be 1 (trading), 2 (diagnostic) or 3 (CLI)", client_id
            ) from None

    @property
    def may_submit(self) -> bool:
        """Only the trading client may place orders."""
        return self is ClientRole.TRADING


class ConnectionState(StrEnum):
    """The broker connection as the gate sees it; only CONNECTED admits orders."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RESYNCING = "resyncing"
    RECONNECTING = "reconnecting"
