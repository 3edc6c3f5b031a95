"""Opening one IB connection: who holds which client id, the handshake, live accounts.

``BrokerGateway`` owns the connection's state (connecting, connected, reconnecting,
resyncing); this module holds the steps it takes: claiming the endpoint (one gateway per
host, port and client id in a process), the ib_async handshake with its errors made
clear, and the refusal of a live account without the two-part opt-in.
"""

from __future__ import annotations

import weakref

import structlog
from ib_async import IB

from hydra.adapters.ib.live import LIVE_CONFIRMATION, LIVE_CONFIRMATION_ENV
from hydra.domain import BrokerError, BrokerNotConnectedError, LiveTradingNotAllowedError

__all__ = [
    "DEFAULT_RECONNECT_DELAYS",
    "ClientIdInUseError",
    "Endpoint",
    "claim_endpoint",
    "handshake",
    "release_endpoint",
]

_log = structlog.get_logger("hydra.ib")

DEFAULT_RECONNECT_DELAYS: tuple[float, ...] = tuple(float(min(2**i, 30)) for i in range(10))
"""1, 2, 4, 8, 16, 30, 30, 30, 30, 30 seconds: ten attempts, capped at 30 s."""

Endpoint = tuple[str, int, int]
"""Host, port and client id: what one connection holds at the broker."""

_ACTIVE: weakref.WeakValueDictionary[Endpoint, object] = weakref.WeakValueDictionary()


class ClientIdInUseError(BrokerError):
    """Another gateway in this process, or another client at the broker, uses this id."""


def claim_endpoint(endpoint: Endpoint, holder: object) -> None:
    """Hold ``endpoint`` for ``holder`` (kept by weak reference).

    Raises:
        ClientIdInUseError: another live gateway in this process holds it.
    """
    current = _ACTIVE.get(endpoint)
    if current is not None and current is not holder:
        host, port, client_id = endpoint
        raise ClientIdInUseError(
            f"client id {client_id} at {host}:{port} is already used by "
            "another BrokerGateway in this process; use one gateway per client id"
        )
    _ACTIVE[endpoint] = holder


def release_endpoint(endpoint: Endpoint, holder: object) -> None:
    """Let go of ``endpoint`` if ``holder`` holds it."""
    if _ACTIVE.get(endpoint) is holder:
        del _ACTIVE[endpoint]


async def handshake(
    ib: IB,
    endpoint: Endpoint,
    *,
    timeout: float,
    readonly: bool,
    live_opt_in: bool,
    mode: str,
) -> list[str]:
    """Connect ``ib`` (``IB.connectAsync``) and return the managed accounts.

    Raises:
        ClientIdInUseError: no answer in time (the id may be taken, or the gateway busy).
        BrokerNotConnectedError: nothing to connect to.
        LiveTradingNotAllowedError: a live account without the opt-in (disconnected again).
    """
    host, port, client_id = endpoint
    _log.info(
        "gateway.connecting",
        mode=mode,
        host=host,
        port=port,
        client_id=client_id,
        readonly=readonly,
    )
    try:
        await ib.connectAsync(host, port, clientId=client_id, timeout=timeout, readonly=readonly)
    except TimeoutError as exc:
        ib.disconnect()
        raise ClientIdInUseError(
            f"no answer from {host}:{port} within {timeout:g}s as "
            f"client id {client_id}: the id may be in use by another client, or the "
            "gateway is not ready"
        ) from exc
    except (OSError, ConnectionError) as exc:
        ib.disconnect()
        raise BrokerNotConnectedError(
            f"cannot connect to IB at {host}:{port} ({exc}); is IB Gateway/TWS "
            "running with the API enabled?"
        ) from exc
    accounts = list(ib.managedAccounts())
    live_accounts = [a for a in accounts if not a.upper().startswith("D")]
    if live_accounts and not live_opt_in:
        raise LiveTradingNotAllowedError(
            f"the gateway at {host}:{port} manages live account(s) "
            f"{live_accounts}; live trading needs allow_live=True and "
            f"{LIVE_CONFIRMATION_ENV}='{LIVE_CONFIRMATION}'"
        )
    _log.info(
        "gateway.connected",
        mode="live" if live_accounts else mode,
        accounts=accounts,
        host=host,
        port=port,
        client_id=client_id,
    )
    return accounts
