"""The broker-side kill when the trader cannot be reached: IB's global cancel.

``hydra kill`` uses it only when the trader does not answer (dead, or alive and frozen
while it still holds client id 1). It connects with a dedicated emergency client id
(never 1), reads the accounts the gateway manages (so the CLI writes the HALT only for
the trader's own account), lists the open orders, sends ``reqGlobalCancel`` (every open
order, whichever client placed it), and lists again to report what is still open. It
never places an order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from ib_async import IB

from hydra.domain import BrokerNotConnectedError, InvalidInputError

__all__ = ["EmergencyClient", "EmergencyReport", "EmergencySession", "global_cancel"]

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


class EmergencySession:
    """One emergency connection: the gateway's accounts, its open orders, the global cancel."""

    def __init__(self, ib: IB, timeout: float) -> None:
        self._ib = ib
        self._timeout = timeout

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts the gateway manages (what a trader's journal must be for)."""
        return tuple(self._ib.managedAccounts())

    async def open_orders(self) -> tuple[int, ...]:
        """Ids of every order still working at the broker, whoever placed it."""
        trades = await asyncio.wait_for(self._ib.reqAllOpenOrdersAsync(), self._timeout)
        return tuple(sorted({t.order.orderId for t in trades if t.orderStatus.status not in _DONE}))

    async def global_cancel(self, *, settle: float = 3.0) -> EmergencyReport:
        """Send IB's global cancel; wait up to ``settle`` s until nothing is open; report."""
        before = await self.open_orders()
        self._ib.reqGlobalCancel()  # type: ignore[no-untyped-call]
        _log.warning("emergency.global_cancel", client_id=self._ib.client.clientId)
        after = before
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settle
        while after and loop.time() < deadline:
            await asyncio.sleep(0.2)
            after = await self.open_orders()
        return EmergencyReport(before, after)


class EmergencyClient:
    """The broker-side kill as a wired object: where IB is and which emergency id to use.

    The container builds it (``Container.emergency_client``) so the CLI never assembles
    broker connections itself; nothing connects until :meth:`session`.

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

    @asynccontextmanager
    async def session(self, *, timeout: float = 5.0) -> AsyncIterator[EmergencySession]:
        """Connect as the emergency client for the ``async with`` block.

        Raises:
            BrokerNotConnectedError: the gateway did not answer or refused the id.
        """
        ib = IB()
        try:
            await ib.connectAsync(self.host, self.port, clientId=self.client_id, timeout=timeout)
        except (TimeoutError, OSError, ConnectionError) as exc:
            ib.disconnect()
            raise BrokerNotConnectedError(
                f"cannot reach IB at {self.host}:{self.port} as emergency client "
                f"{self.client_id}: {exc!r}"
            ) from None
        try:
            yield EmergencySession(ib, timeout)
        finally:
            ib.disconnect()

    async def global_cancel(self, *, timeout: float = 5.0, settle: float = 3.0) -> EmergencyReport:
        """Connect, send IB's global cancel, report what stayed open (see ``global_cancel``)."""
        async with self.session(timeout=timeout) as session:
            return await session.global_cancel(settle=settle)


async def global_cancel(
    host: str, port: int, client_id: int, *, timeout: float = 5.0, settle: float = 3.0
) -> EmergencyReport:
    """Connect as ``client_id``, send IB's global cancel, and report what stayed open.

    Raises:
        InvalidInputError: ``client_id`` is 1 (the trader's).
        BrokerNotConnectedError: the gateway did not answer or refused the id.
    """
    client = EmergencyClient(host, port, client_id)
    return await client.global_cancel(timeout=timeout, settle=settle)


_DONE = frozenset({"Cancelled", "ApiCancelled", "Filled", "Inactive"})
