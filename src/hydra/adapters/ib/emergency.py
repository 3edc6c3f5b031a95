"""The broker-side kill when the trader cannot be reached: IB's global cancel.

``hydra kill`` uses it only when no control server answers (the trader is dead or hung
and may still hold client id 1). It connects with a dedicated emergency client id (never
1), lists the account's open orders, sends ``reqGlobalCancel`` (every open order, whichever
client placed it), and lists again to report what is still open. It never places an order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from ib_async import IB

from hydra.domain import BrokerNotConnectedError, InvalidInputError

__all__ = ["EmergencyClient", "EmergencyReport", "global_cancel"]

_log = structlog.get_logger("hydra.ib.emergency")


@dataclass(frozen=True, slots=True)
class EmergencyReport:
    """Orders open before the global cancel, and those still open after it."""

    open_before: tuple[int, ...]
    open_after: tuple[int, ...]

    @property
    def cancelled(self) -> tuple[int, ...]:
        """Orders that were open and no longer are."""
        return tuple(o for o in self.open_before if o not in self.open_after)


class EmergencyClient:
    """The broker-side kill as a wired object: where IB is and which emergency id to use.

    The container builds it (``Container.emergency_client``) so the CLI never assembles
    broker connections itself; nothing connects until :meth:`global_cancel`.

    Raises:
        InvalidInputError: ``client_id`` is 1 (the trader's).
    """

    def __init__(self, host: str, port: int, client_id: int) -> None:
        if client_id == 1:
            raise InvalidInputError(
                "control.emergency_client_id", "must never be 1 (the trader's id)", client_id
            )
        self.host = host
        self.port = port
        self.client_id = client_id

    async def global_cancel(self, *, timeout: float = 5.0, settle: float = 3.0) -> EmergencyReport:
        """Connect, send IB's global cancel, report what stayed open (see ``global_cancel``)."""
        return await global_cancel(
            self.host, self.port, self.client_id, timeout=timeout, settle=settle
        )


async def global_cancel(
    host: str, port: int, client_id: int, *, timeout: float = 5.0, settle: float = 3.0
) -> EmergencyReport:
    """Connect as ``client_id``, send IB's global cancel, and report what stayed open.

    Raises:
        InvalidInputError: ``client_id`` is 1 (the trader's).
        BrokerNotConnectedError: the gateway did not answer or refused the id.
    """
    if client_id == 1:
        raise InvalidInputError("emergency_client_id", "must never be 1 (the trader's id)", 1)
    ib = IB()
    try:
        await ib.connectAsync(host, port, clientId=client_id, timeout=timeout)
    except (TimeoutError, OSError, ConnectionError) as exc:
        ib.disconnect()
        raise BrokerNotConnectedError(
            f"cannot reach IB at {host}:{port} as emergency client {client_id}: {exc!r}"
        ) from None
    try:
        before = await _open_order_ids(ib, timeout)
        ib.reqGlobalCancel()  # type: ignore[no-untyped-call]
        _log.warning("emergency.global_cancel", host=host, port=port, client_id=client_id)
        after = before
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settle
        while after and loop.time() < deadline:
            await asyncio.sleep(0.2)
            after = await _open_order_ids(ib, timeout)
        return EmergencyReport(before, after)
    finally:
        ib.disconnect()


async def _open_order_ids(ib: IB, timeout: float) -> tuple[int, ...]:
    trades = await asyncio.wait_for(ib.reqAllOpenOrdersAsync(), timeout)
    return tuple(sorted({t.order.orderId for t in trades if t.orderStatus.status not in _DONE}))


_DONE = frozenset({"Cancelled", "ApiCancelled", "Filled", "Inactive"})
