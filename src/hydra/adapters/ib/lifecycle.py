"""One IB connection's lifecycle: connect, disconnect, reconnect for ever, resync, state.

``BrokerGateway`` is this lifecycle plus the port's reads, cancels and the order door.
The state machine: DISCONNECTED -> CONNECTING -> CONNECTED; a lost connection (not a
deliberate ``disconnect()``) -> RECONNECTING (the seed's backoff, then the capped delay
with jitter, ``reconnect.ReconnectPlan``) -> RESYNCING (open orders, then positions; the
order handles follow ib_async's new Trades) -> CONNECTED. Only CONNECTED admits orders.
While connected, every qualified contract's details are read again every
``contract_refresh`` seconds and after each reconnect (IB lists about a week of trading
hours), until ``disconnect()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog
from ib_async import IB

from hydra.adapters.ib.account import IBAccount
from hydra.adapters.ib.connection import claim_endpoint, handshake, release_endpoint
from hydra.adapters.ib.contracts import IBContracts
from hydra.adapters.ib.live import LIVE_PORTS
from hydra.adapters.ib.market import IBMarketData
from hydra.adapters.ib.orders import IBOrderBook
from hydra.adapters.ib.reconnect import ReconnectPlan
from hydra.domain import (
    BrokerError,
    BrokerNotConnectedError,
    ClientRole,
    ConnectionState,
    LiveTradingNotAllowedError,
)
from hydra.domain._unique import Unique

__all__ = ["IBConnection"]

_log = structlog.get_logger("hydra.ib")


class IBConnection(Unique):
    """The lifecycle of the gateway's one ib_async connection (its subclass sets it up).

    ``BrokerGateway.__init__`` validates its arguments and sets every attribute below.
    """

    host: str
    port: int
    client_id: int
    role: ClientRole
    readonly: bool
    connect_timeout: float
    contract_refresh: float
    _live_opt_in: bool
    _ib: IB
    _state: ConnectionState
    _deliberate: bool
    _orders: IBOrderBook
    _market: IBMarketData
    _contracts: IBContracts
    _account: IBAccount
    _reconnect: ReconnectPlan
    _reconnect_task: asyncio.Task[None] | None
    _refresh_task: asyncio.Task[None] | None
    _refresh_due: asyncio.Event
    _resync_lock: asyncio.Lock
    _handlers: list[tuple[Any, Callable[..., None]]]
    _bound: bool

    # ------------------------------------------------------------------ identity
    @property
    def is_paper(self) -> bool:
        """True unless the port is a live-trading port (4001, 7496)."""
        return self.port not in LIVE_PORTS

    @property
    def mode(self) -> str:
        """``"paper"`` or ``"live"``, as the port says."""
        return "paper" if self.is_paper else "live"

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        """Connect via ``IB.connectAsync`` and synchronise; auto-reconnect from now on.

        Raises:
            ClientIdInUseError: this client id at this endpoint is taken.
            BrokerNotConnectedError: the gateway could not be reached in time.
            LiveTradingNotAllowedError: the gateway manages a live account without opt-in.
        """
        if self._state is ConnectionState.CONNECTED and self._ib.isConnected():
            return
        endpoint = (self.host, self.port, self.client_id)
        claim_endpoint(endpoint, self)
        self._bind()
        self._deliberate = False
        self._state = ConnectionState.CONNECTING
        try:
            await self._connect_once()
        except BaseException:
            self._state = ConnectionState.DISCONNECTED
            release_endpoint(endpoint, self)
            raise
        if self.role in (ClientRole.EMERGENCY, ClientRole.CLI):
            # Other clients' orders reach this connection only when asked for (the CLI
            # lists them, the emergency client cancels them).
            await asyncio.wait_for(self._ib.reqAllOpenOrdersAsync(), self.connect_timeout)
        self._orders.adopt_open_trades()
        self._orders.session_up()
        self._account.invalidate()
        self._state = ConnectionState.CONNECTED
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.get_running_loop().create_task(self._keep_hours_listed())

    async def _connect_once(self) -> None:
        try:
            await handshake(
                self._ib,
                (self.host, self.port, self.client_id),
                timeout=self.connect_timeout,
                readonly=self.readonly,
                live_opt_in=self._live_opt_in,
                mode=self.mode,
            )
        except LiveTradingNotAllowedError:
            self._deliberate = True  # our own disconnect: no auto-reconnect to a live account
            self._ib.disconnect()
            raise

    async def disconnect(self) -> None:
        """Disconnect deliberately: no auto-reconnect; the client id is released."""
        self._deliberate = True
        for task in (self._reconnect_task, self._refresh_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._reconnect_task = self._refresh_task = None
        self._ib.disconnect()
        self._state = ConnectionState.DISCONNECTED
        release_endpoint((self.host, self.port, self.client_id), self)
        _log.info("gateway.disconnected", host=self.host, port=self.port)

    async def reconnect(self) -> None:
        """Reconnect with backoff (1, 2, 4 ... capped at 30 s, 10 attempts), then resync.

        Every attempt is logged (``gateway.reconnect_attempt``) and counted in
        ``reconnects``. A deliberate ``disconnect()`` meanwhile ends it quietly.

        Raises:
            ConnectionError: every attempt failed (the gateway stays disconnected).
            LiveTradingNotAllowedError: the gateway now manages a live account.
        """
        if self.is_connected():
            return
        plan = self._reconnect
        self._state = ConnectionState.RECONNECTING
        if await plan.run(plan.delays, self._attempt, self._stopped, of=len(plan.delays)):
            return
        self._state = ConnectionState.DISCONNECTED
        _log.error("gateway.reconnect_gave_up", attempts=len(plan.delays))
        raise ConnectionError(
            f"could not reconnect to {self.host}:{self.port} after {len(plan.delays)} attempts"
        )

    @property
    def reconnects(self) -> int:
        """Reconnect attempts since this gateway was built (the host's and the automatic)."""
        return self._reconnect.attempts

    def _stopped(self) -> bool:
        """A deliberate disconnect() ends the attempts."""
        if self._deliberate:
            self._state = ConnectionState.DISCONNECTED
        return self._deliberate

    async def _attempt(self, attempt: int) -> bool:
        """Connect and resync once; False (logged, state RECONNECTING) when it fails."""
        if self.is_connected():
            return True  # another attempt (the host's, or ours) got there first
        try:
            await self._connect_once()
            await self.resync_state()
        except LiveTradingNotAllowedError:
            self._state = ConnectionState.DISCONNECTED
            raise
        except (BrokerError, ConnectionError, OSError, TimeoutError) as exc:
            _log.warning("gateway.reconnect_failed", attempt=attempt, error=str(exc))
            self._state = ConnectionState.RECONNECTING
            if self._ib.isConnected():
                # Connected but not resynchronised: start the next attempt clean.
                self._deliberate = True
                self._ib.disconnect()
                self._deliberate = False
            return False
        _log.info("gateway.reconnected", attempt=attempt)
        return True

    async def resync_state(self) -> None:
        """Re-request open orders and positions (one at a time) and rebind order handles."""
        async with self._resync_lock:
            self._state = ConnectionState.RESYNCING
            try:
                # ib_async keys these futures by a fixed name: concurrent calls collide.
                await asyncio.wait_for(self._ib.reqOpenOrdersAsync(), self.connect_timeout)
                await asyncio.wait_for(self._ib.reqPositionsAsync(), self.connect_timeout)
            except (TimeoutError, ConnectionError) as exc:
                self._state = ConnectionState.DISCONNECTED
                raise BrokerNotConnectedError(f"resync failed: {exc!r}") from exc
            rebound = self._orders.rebind()
            self._market.resubscribe()
            self._account.invalidate()
            self._state = ConnectionState.CONNECTED
            self._refresh_due.set()  # the hours may have moved on while disconnected
            _log.info(
                "gateway.resynced", open_orders=len(self._orders.open_orders()), rebound=rebound
            )

    def is_connected(self) -> bool:
        """True when connected and synchronised."""
        return self._state is ConnectionState.CONNECTED and self._ib.isConnected()

    @property
    def connection_state(self) -> ConnectionState:
        """The connection's state; RECONNECTING and RESYNCING block orders at the gate."""
        if self._state is ConnectionState.CONNECTED and not self._ib.isConnected():
            return ConnectionState.DISCONNECTED
        return self._state

    # ------------------------------------------------------------------ events
    def _bind(self) -> None:
        if not self._bound:
            for event, handler in self._handlers:
                event.connect(handler)
            self._bound = True

    def _guard(self, name: str, handler: Callable[..., None]) -> Callable[..., None]:
        """Wrap an ib_async handler so its exceptions are logged, not lost."""

        def guarded(*args: Any) -> None:
            try:
                handler(*args)
            except Exception:  # noqa: BLE001  (a handler bug must be visible, not fatal)
                _log.exception("gateway.handler_failed", handler=name)

        return guarded

    def _on_disconnected(self) -> None:
        self._account.reset()  # ib_async drops the account values with the connection
        self._orders.forget_reservation()
        if self._deliberate:
            return
        self._state = ConnectionState.DISCONNECTED
        _log.warning("gateway.connection_lost", host=self.host, port=self.port)
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._auto_reconnect())

    async def _auto_reconnect(self) -> None:
        """After a lost connection: the seed's backoff, then the capped delay until connected.

        Fail-closed meanwhile: the state is RECONNECTING (or RESYNCING), never CONNECTED,
        so the gate blocks every order. Only ``disconnect()`` (or a live account, which
        needs the opt-in) ends it.
        """
        self._state = ConnectionState.RECONNECTING
        try:
            await self._reconnect.run_until_connected(self._attempt, self._stopped)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (a background task: log, never lose it)
            self._state = ConnectionState.DISCONNECTED
            _log.error("gateway.offline", error=f"{type(exc).__name__}: {exc}")

    async def _keep_hours_listed(self) -> None:
        """Read every qualified contract's details again, periodically and after a reconnect.

        IB lists about a week of trading hours; without this, a trader running for
        weeks would meet hours it no longer knows (and the gate would block). A failed
        round is logged and tried again at the next one.
        """
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._refresh_due.wait(), self.contract_refresh)
            self._refresh_due.clear()
            if not self.is_connected():
                continue
            try:
                count = await self._contracts.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (a background task: log, go on)
                _log.warning(
                    "gateway.contract_refresh_failed", error=f"{type(exc).__name__}: {exc}"
                )
            else:
                _log.info("gateway.contracts_refreshed", contracts=count)

    def _require_connected(self, action: str) -> None:
        state = self.connection_state
        if state is not ConnectionState.CONNECTED:
            raise BrokerNotConnectedError(
                f"cannot {action}: IB connection is {state.value}; nothing was sent or queued"
            )
