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
    EMERGENCY = -1
    """Not an IB id: ``hydra kill``'s fallback when the trader is unreachable. Its id is
    configured (never 1, 2 or 3); its gate is restored HALTED from the trader's journal, so
    it can only cancel and, if asked, flatten through the kill switch's audited exemption."""

    @classmethod
    def from_client_id(cls, client_id: object) -> ClientRole:
        """Map an IB client id to its role, refusing any id HYDRA does not assign."""
        if isinstance(client_id, bool) or not isinstance(client_id, int):
            raise InvalidInputError("client_id", "must be an integer (1, 2 or 3)", client_id)
        if client_id in (1, 2, 3):
            return cls(client_id)
        raise InvalidInputError(
            "client_id", "must be 1 (trading), 2 (diagnostic) or 3 (CLI)", client_id
        )

    @classmethod
    def emergency(cls, client_id: object) -> int:
        """Validate an emergency client id: a positive integer, never 1, 2 or 3."""
        if (
            isinstance(client_id, bool)
            or not isinstance(client_id, int)
            or client_id < 1
            or client_id in (1, 2, 3)
        ):
            raise InvalidInputError(
                "client_id",
                "an emergency client id must be a positive integer other than 1, 2 and 3",
                client_id,
            )
        return client_id

    @property
    def may_submit(self) -> bool:
        """The trading client places orders; the emergency client only flattens, HALTED."""
        return self is ClientRole.TRADING or self is ClientRole.EMERGENCY


class ConnectionState(StrEnum):
    """The broker connection as the gate sees it; only CONNECTED admits orders."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RESYNCING = "resyncing"
    RECONNECTING = "reconnecting"
