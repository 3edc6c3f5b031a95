"""BrokerGateway: the BrokerPort over ib_async (IB Gateway / TWS), paper by default.

Runs inside the host application's own asyncio loop (no ``util.startLoop``, no
nest_asyncio, nothing blocking). Live trading needs an explicit two-part opt-in. The
connection reconnects by itself with exponential backoff and resynchronises open orders
and positions, rebinding existing order handles to ib_async's new Trade objects.
"""

from __future__ import annotations

import asyncio
import math
import os
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from ib_async import IB, Contract, Ticker, Trade
from ib_async import Fill as IBFill

from hydra.adapters.ib.convert import (
    fill_from_ib,
    instrument_from_ib,
    order_request_from_ib,
    position_from_ib,
    status_from_trade,
    to_ib_contract,
    to_ib_order,
)
from hydra.application import OrderHandle, OrderListener, Unsubscribe
from hydra.domain import (
    AccountSnapshot,
    BrokerError,
    BrokerNotConnectedError,
    CapabilityAlreadyClaimedError,
    ClientRole,
    ConnectionState,
    Fill,
    Instrument,
    InvalidInputError,
    LiveTradingNotAllowedError,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    PermissionDeniedError,
    Position,
    Quote,
    UnknownInstrumentError,
    UnknownOrderError,
)

__all__ = [
    "LIVE_CONFIRMATION",
    "LIVE_CONFIRMATION_ENV",
    "LIVE_PORTS",
    "PAPER_PORTS",
    "BrokerGateway",
    "ClientIdInUseError",
    "IBOrderHandle",
]

_log = structlog.get_logger("hydra.ib")

LIVE_PORTS = frozenset({4001, 7496})
"""IB Gateway (4001) and TWS (7496) live-trading ports."""
PAPER_PORTS = frozenset({4002, 7497})
"""IB Gateway (4002) and TWS (7497) paper-trading ports."""
LIVE_CONFIRMATION = "I understand this trades real money"
"""The confirmation text live trading requires, besides ``allow_live=True``."""
LIVE_CONFIRMATION_ENV = "HYDRA_BROKER_LIVE_CONFIRMATION"
"""Environment variable that may carry the confirmation text."""

DEFAULT_RECONNECT_DELAYS: tuple[float, ...] = tuple(float(min(2**i, 30)) for i in range(10))
"""1, 2, 4, 8, 16, 30, 30, 30, 30, 30 seconds: ten attempts, capped at 30 s."""


class ClientIdInUseError(BrokerError):
    """Another gateway in this process, or another client at the broker, uses this id."""


class IBOrderHandle(OrderHandle):
    """An order handle over ib_async: ``trade`` is the live ib_async Trade.

    After a reconnect ib_async builds new Trade objects; the gateway rebinds ``trade``
    so a handle created before the drop keeps updating.
    """

    __slots__ = ("trade",)

    def __init__(
        self, order_id: int, instrument: Instrument, request: OrderRequest, trade: Trade
    ) -> None:
        super().__init__(order_id, instrument, request)
        self.trade = trade


class _IBSubmitCapability:
    """The gateway's submit capability; only its one claimant holds it."""

    __slots__ = ("_gateway",)

    def __init__(self, gateway: BrokerGateway) -> None:
        self._gateway = gateway

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send the order to IB now (placeOrder); nothing is queued when disconnected."""
        # The capability is the gateway's own door to its private order entry.
        return self._gateway._place(contract, order)


_Endpoint = tuple[str, int, int]
_ACTIVE: weakref.WeakValueDictionary[_Endpoint, BrokerGateway] = weakref.WeakValueDictionary()


class BrokerGateway:
    """The ib_async adapter: BrokerPort plus a submit capability claimable once.

    Args:
        host: IB Gateway / TWS host.
        port: 4002 (paper Gateway, default), 7497 (paper TWS); 4001/7496 are live.
        client_id: 1 trading, 2 diagnostic, 3 CLI. Only 1 may submit; 2 and 3 connect
            read-only.
        readonly: connect read-only even as the trading client.
        allow_live: first half of the live opt-in.
        live_confirmation: second half: the text ``LIVE_CONFIRMATION``; if None, read from
            ``$HYDRA_BROKER_LIVE_CONFIRMATION``.
        connect_timeout: seconds to wait for the gateway on each connect.
        reconnect_delays: backoff before each reconnect attempt (default 1, 2, 4 ... 30,
            ten attempts); injectable so tests run in milliseconds.
        market_data: subscribe to streaming prices for every qualified instrument, so
            ``reference_price`` (and the gate's price checks) have something to judge by.
        market_data_wait: seconds ``qualify_contract`` waits for a new subscription's
            first prices (a symbol with no market data is then judged without a price).
        ib: the ib_async ``IB`` instance to use (a new one by default).

    Raises:
        InvalidInputError: a client id other than 1, 2, 3, or a bad argument.
        LiveTradingNotAllowedError: a live port without both halves of the opt-in.
    """

    LIVE_PORTS: ClassVar[frozenset[int]] = LIVE_PORTS
    PAPER_PORTS: ClassVar[frozenset[int]] = PAPER_PORTS

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4002,
        client_id: int = 1,
        readonly: bool = False,
        *,
        allow_live: bool = False,
        live_confirmation: str | None = None,
        connect_timeout: float = 10.0,
        reconnect_delays: Sequence[float] | None = None,
        market_data: bool = True,
        market_data_wait: float = 2.0,
        ib: IB | None = None,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise InvalidInputError("host", "must be a non-empty host name", host)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidInputError("port", "must be a TCP port number", port)
        self.role = ClientRole.from_client_id(client_id)
        self.host = host
        self.port = port
        self.client_id = client_id
        self.readonly = bool(readonly) or not self.role.may_submit
        self._live_opt_in = _live_opt_in(allow_live, live_confirmation)
        if port in LIVE_PORTS and not self._live_opt_in:
            raise LiveTradingNotAllowedError(
                f"port {port} is a LIVE trading port and live trading was not opted into. "
                f"Pass allow_live=True AND set {LIVE_CONFIRMATION_ENV}="
                f"'{LIVE_CONFIRMATION}' (or live_confirmation=..., or broker.live_confirmation "
                "in the config). For paper trading use port 4002 (Gateway) or 7497 (TWS)."
            )
        if connect_timeout <= 0:
            raise InvalidInputError("connect_timeout", "must be > 0 seconds", connect_timeout)
        self.connect_timeout = float(connect_timeout)
        delays = DEFAULT_RECONNECT_DELAYS if reconnect_delays is None else tuple(reconnect_delays)
        if not delays or any(d < 0 for d in delays):
            raise InvalidInputError(
                "reconnect_delays", "must be a non-empty list of non-negative seconds", delays
            )
        self.reconnect_delays = delays
        self.ib = ib if ib is not None else IB()
        self._state = ConnectionState.DISCONNECTED
        self._deliberate = False
        self._claimed = False
        self._handles: dict[int, IBOrderHandle] = {}
        self._by_perm_id: dict[int, IBOrderHandle] = {}
        # Working orders only: open_orders() runs on every decision, so it must not walk
        # the recently finished handles kept for late fills.
        self._open: dict[int, IBOrderHandle] = {}
        self._retired: deque[IBOrderHandle] = deque()
        self._retired_ids: set[int] = set()
        # Converted contracts, reused: building an ib_async Contract per order is costly.
        self._ib_contracts: dict[Instrument, Contract] = {}
        self._listeners: list[OrderListener] = []
        self.market_data = bool(market_data)
        self.market_data_wait = float(market_data_wait)
        self._md_contracts: dict[int, Contract] = {}
        self._tickers: dict[int, Ticker] = {}
        self._fill_quotes: dict[int, Quote] = {}
        self._reconnect_task: asyncio.Task[None] | None = None
        self._resync_lock = asyncio.Lock()
        # ib_async holds bound-method handlers by weak reference; these closures are
        # referenced here, so they live exactly as long as the gateway.
        self._handlers: list[tuple[Any, Callable[..., None]]] = [
            (self.ib.orderStatusEvent, self._guard("orderStatus", self._on_order_status)),
            (self.ib.execDetailsEvent, self._guard("execDetails", self._on_exec_details)),
            (self.ib.disconnectedEvent, self._guard("disconnected", self._on_disconnected)),
        ]
        self._bound = False
        _log.info(
            "gateway.init",
            mode=self.mode,
            host=host,
            port=port,
            client_id=client_id,
            role=self.role.name.lower(),
            readonly=self.readonly,
        )

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
        if self._state is ConnectionState.CONNECTED and self.ib.isConnected():
            return
        endpoint = (self.host, self.port, self.client_id)
        holder = _ACTIVE.get(endpoint)
        if holder is not None and holder is not self:
            raise ClientIdInUseError(
                f"client id {self.client_id} at {self.host}:{self.port} is already used by "
                "another BrokerGateway in this process; use one gateway per client id"
            )
        _ACTIVE[endpoint] = self
        self._bind()
        self._deliberate = False
        self._state = ConnectionState.CONNECTING
        try:
            await self._connect_once()
        except BaseException:
            self._state = ConnectionState.DISCONNECTED
            if _ACTIVE.get(endpoint) is self:
                del _ACTIVE[endpoint]
            raise
        self._adopt_open_trades()
        self._state = ConnectionState.CONNECTED

    async def _connect_once(self) -> None:
        _log.info(
            "gateway.connecting",
            mode=self.mode,
            host=self.host,
            port=self.port,
            client_id=self.client_id,
            readonly=self.readonly,
        )
        try:
            await self.ib.connectAsync(
                self.host,
                self.port,
                clientId=self.client_id,
                timeout=self.connect_timeout,
                readonly=self.readonly,
            )
        except TimeoutError as exc:
            self.ib.disconnect()
            raise ClientIdInUseError(
                f"no answer from {self.host}:{self.port} within {self.connect_timeout:g}s as "
                f"client id {self.client_id}: the id may be in use by another client, or the "
                "gateway is not ready"
            ) from exc
        except (OSError, ConnectionError) as exc:
            self.ib.disconnect()
            raise BrokerNotConnectedError(
                f"cannot connect to IB at {self.host}:{self.port} ({exc}); is IB Gateway/TWS "
                "running with the API enabled?"
            ) from exc
        accounts = list(self.ib.managedAccounts())
        live_accounts = [a for a in accounts if not a.upper().startswith("D")]
        if live_accounts and not self._live_opt_in:
            self._deliberate = True
            self.ib.disconnect()
            raise LiveTradingNotAllowedError(
                f"the gateway at {self.host}:{self.port} manages live account(s) "
                f"{live_accounts}; live trading needs allow_live=True and "
                f"{LIVE_CONFIRMATION_ENV}='{LIVE_CONFIRMATION}'"
            )
        _log.info(
            "gateway.connected",
            mode="live" if live_accounts else self.mode,
            accounts=accounts,
            host=self.host,
            port=self.port,
            client_id=self.client_id,
        )

    async def disconnect(self) -> None:
        """Disconnect deliberately: no auto-reconnect; the client id is released."""
        self._deliberate = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self.ib.disconnect()
        self._state = ConnectionState.DISCONNECTED
        endpoint = (self.host, self.port, self.client_id)
        if _ACTIVE.get(endpoint) is self:
            del _ACTIVE[endpoint]
        _log.info("gateway.disconnected", host=self.host, port=self.port)

    async def reconnect(self) -> None:
        """Reconnect with backoff (1, 2, 4 ... capped at 30 s, 10 attempts), then resync.

        Raises:
            ConnectionError: every attempt failed (the gateway stays disconnected).
        """
        self._state = ConnectionState.RECONNECTING
        attempts = len(self.reconnect_delays)
        for attempt, delay in enumerate(self.reconnect_delays, start=1):
            _log.warning("gateway.reconnect_attempt", attempt=attempt, of=attempts, delay_s=delay)
            await asyncio.sleep(delay)
            if self._deliberate:
                self._state = ConnectionState.DISCONNECTED
                return
            try:
                await self._connect_once()
                await self.resync_state()
            except LiveTradingNotAllowedError:
                self._state = ConnectionState.DISCONNECTED
                raise
            except (BrokerError, ConnectionError, OSError, TimeoutError) as exc:
                _log.warning("gateway.reconnect_failed", attempt=attempt, error=str(exc))
                self._state = ConnectionState.RECONNECTING
                if self.ib.isConnected():
                    # Connected but not resynchronised: start the next attempt clean.
                    self._deliberate = True
                    self.ib.disconnect()
                    self._deliberate = False
                continue
            _log.info("gateway.reconnected", attempt=attempt)
            return
        self._state = ConnectionState.DISCONNECTED
        _log.error("gateway.reconnect_gave_up", attempts=attempts)
        raise ConnectionError(
            f"could not reconnect to {self.host}:{self.port} after {attempts} attempts"
        )

    async def resync_state(self) -> None:
        """Re-request open orders and positions (one at a time) and rebind order handles."""
        async with self._resync_lock:
            self._state = ConnectionState.RESYNCING
            try:
                # ib_async keys these futures by a fixed name: concurrent calls collide.
                await asyncio.wait_for(self.ib.reqOpenOrdersAsync(), self.connect_timeout)
                await asyncio.wait_for(self.ib.reqPositionsAsync(), self.connect_timeout)
            except (TimeoutError, ConnectionError) as exc:
                self._state = ConnectionState.DISCONNECTED
                raise BrokerNotConnectedError(f"resync failed: {exc!r}") from exc
            rebound = self._rebind_handles()
            self._adopt_open_trades()
            for con_id, contract in self._md_contracts.items():
                # ib_async drops tickers with the connection; subscribe again.
                self._tickers[con_id] = self.ib.reqMktData(contract)
            self._state = ConnectionState.CONNECTED
            _log.info("gateway.resynced", open_orders=len(self.open_orders()), rebound=rebound)

    def is_connected(self) -> bool:
        """True when connected and synchronised."""
        return self._state is ConnectionState.CONNECTED and self.ib.isConnected()

    @property
    def connection_state(self) -> ConnectionState:
        """The connection's state; RECONNECTING and RESYNCING block orders at the gate."""
        if self._state is ConnectionState.CONNECTED and not self.ib.isConnected():
            return ConnectionState.DISCONNECTED
        return self._state

    # ------------------------------------------------------------------ reads
    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Qualify at IB (contract details); unknown contracts raise UnknownInstrumentError."""
        if not isinstance(contract, Instrument):
            raise InvalidInputError("contract", "must be an Instrument", contract)
        self._require_connected("qualify")
        [result] = await self.ib.qualifyContractsAsync(to_ib_contract(contract))
        if result is None or isinstance(result, list):
            raise UnknownInstrumentError(
                f"IB has no unique contract for {contract.symbol!r} "
                f"({contract.sec_type.value}, {contract.exchange}, {contract.currency})"
            )
        if self.market_data and result.conId not in self._md_contracts:
            self._md_contracts[result.conId] = result
            ticker = self.ib.reqMktData(result)
            self._tickers[result.conId] = ticker
            await self._first_tick(ticker)
        return instrument_from_ib(result)

    async def _first_tick(self, ticker: Ticker) -> None:
        """Wait (bounded) for a new subscription's first prices, so the gate can judge."""
        if ticker.time is not None:
            return
        arrived = asyncio.Event()

        def on_update(_ticker: Ticker) -> None:
            arrived.set()

        ticker.updateEvent += on_update
        try:
            await asyncio.wait_for(arrived.wait(), self.market_data_wait)
        except TimeoutError:
            _log.warning(
                "gateway.no_market_data", symbol=ticker.contract.symbol if ticker.contract else ""
            )
        finally:
            ticker.updateEvent -= on_update

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The freshest of the streamed market price and the last fill price.

        Known only for qualified instruments (by contract id): an unqualified one has none.
        """
        if not instrument.con_id:
            return None
        best = self._fill_quotes.get(instrument.con_id)
        ticker = self._tickers.get(instrument.con_id)
        if ticker is not None and ticker.time is not None:
            price = ticker.marketPrice()
            if math.isfinite(price) and price > 0:
                stamp = ticker.time if ticker.time.tzinfo else ticker.time.replace(tzinfo=UTC)
                if best is None or stamp >= best.time:
                    best = Quote(float(price), stamp)
        return best

    def get_positions(self) -> list[Position]:
        """Current non-zero positions, from ib_async's live position cache."""
        return [position_from_ib(p) for p in self.ib.positions() if p.position]

    def get_account_summary(self) -> AccountSnapshot:
        """Equity, cash and P&L from the account updates IB streams to this client.

        Values are in the account's base currency: the ``BASE`` row when IB sends one
        (multi-currency accounts), else the row in the NetLiquidation currency.

        Raises:
            BrokerError: the account values have not arrived (not connected or syncing).
        """
        rows: dict[tuple[str, str], tuple[str, str]] = {}
        for value in self.ib.accountValues():
            if value.tag in _ACCOUNT_TAGS:
                rows[(value.tag, value.currency)] = (value.value, value.account)
        net = next(
            ((cur, val) for (tag, cur), val in rows.items() if tag == "NetLiquidation"), None
        )
        if net is None:
            raise BrokerError(
                "IB account values are not available (not connected, or not synchronised)"
            )
        currency, (_, account) = net

        def number(tag: str) -> float:
            raw = rows.get((tag, "BASE")) or rows.get((tag, currency))
            if raw is None:
                return 0.0
            try:
                return float(raw[0])
            except ValueError:
                raise BrokerError(f"IB sent a non-numeric {tag}: {raw[0]!r}") from None

        base = currency if currency not in ("", "BASE") else "USD"
        return AccountSnapshot(
            account,
            number("NetLiquidation"),
            number("TotalCashValue"),
            number("RealizedPnL"),
            number("UnrealizedPnL"),
            base,
        )

    def open_orders(self) -> list[OrderHandle]:
        """Handles of this client's orders that are not done."""
        return list(self._open.values())

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event of this client's orders."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # ------------------------------------------------------------------ orders
    def claim_submit_capability(self) -> _IBSubmitCapability:
        """Hand out the submit capability once; only the trading client (id 1) has one.

        Raises:
            PermissionDeniedError: a diagnostic or CLI client, or a read-only gateway.
            CapabilityAlreadyClaimedError: claimed before.
        """
        if not self.role.may_submit or self.readonly:
            raise PermissionDeniedError(
                f"client id {self.client_id} ({self.role.name.lower()}"
                f"{', read-only' if self.readonly else ''}) may not submit orders; "
                "only the trading client (id 1, not read-only) may"
            )
        if self._claimed:
            raise CapabilityAlreadyClaimedError(
                "the submit capability of this BrokerGateway is already claimed "
                "(one RiskGate per gateway; orders go through that gate)"
            )
        self._claimed = True
        return _IBSubmitCapability(self)

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Ask IB to cancel the order; unknown or done orders raise UnknownOrderError."""
        self._require_connected("cancel")
        known = self._handles.get(handle.order_id)
        if known is None or known.is_done:
            raise UnknownOrderError(
                f"order {handle.order_id} is unknown to this gateway or already done"
            )
        self.ib.cancelOrder(known.trade.order)

    async def cancel_all_orders(self) -> None:
        """IB's global cancel: every open order of the account, whichever client placed it."""
        self._require_connected("cancel all orders")
        self.ib.reqGlobalCancel()  # type: ignore[no-untyped-call]

    def _place(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        self._require_connected("submit")
        ib_contract = self._ib_contracts.get(contract)
        if ib_contract is None:
            if len(self._ib_contracts) >= _CONTRACT_CACHE_SIZE:
                self._ib_contracts.clear()
            ib_contract = self._ib_contracts[contract] = to_ib_contract(contract)
        try:
            trade = self.ib.placeOrder(ib_contract, to_ib_order(order))
        except ConnectionError as exc:
            raise BrokerNotConnectedError(f"placeOrder failed: {exc}; nothing queued") from exc
        handle = IBOrderHandle(trade.order.orderId, contract, order, trade)
        self._handles[handle.order_id] = handle
        self._open[handle.order_id] = handle
        return handle

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

    def _handle_for(self, trade: Trade) -> IBOrderHandle | None:
        """The handle a Trade belongs to: by order id, or by permId for replayed orders.

        Orders replayed after a reconnect as completed orders carry no order id, only the
        permId IB assigned; handles remember it from the first openOrder/orderStatus.
        """
        order = trade.order
        handle = None
        if order.orderId and order.clientId in (0, self.client_id):
            handle = self._handles.get(order.orderId)
        perm_id = order.permId or trade.orderStatus.permId
        if handle is None and perm_id:
            handle = self._by_perm_id.get(perm_id)
        if handle is None:
            return None
        if perm_id:
            self._by_perm_id[perm_id] = handle
        if handle.trade is not trade:
            handle.trade = trade  # ib_async rebuilt the Trade (reconnect): follow it
        return handle

    def _on_order_status(self, trade: Trade) -> None:
        handle = self._handle_for(trade)
        if handle is not None:
            self._publish(handle, self._event(handle, trade, None))

    def _on_exec_details(self, trade: Trade, fill: IBFill) -> None:
        price, stamp = float(fill.execution.price), fill.execution.time
        con_id = fill.contract.conId
        if price > 0 and stamp.tzinfo is not None and con_id:
            known = self._fill_quotes.get(con_id)
            if known is None or stamp >= known.time:
                self._fill_quotes[con_id] = Quote(price, stamp)
        handle = self._handle_for(trade)
        if handle is not None:
            self._publish(handle, self._event(handle, trade, fill_from_ib(fill)))

    def _on_disconnected(self) -> None:
        if self._deliberate:
            return
        self._state = ConnectionState.DISCONNECTED
        _log.warning("gateway.connection_lost", host=self.host, port=self.port)
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._auto_reconnect())

    async def _auto_reconnect(self) -> None:
        try:
            await self.reconnect()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (a background task: log, never lose it)
            self._state = ConnectionState.DISCONNECTED
            _log.error("gateway.offline", error=f"{type(exc).__name__}: {exc}")

    def _event(self, handle: IBOrderHandle, trade: Trade, fill: Fill | None) -> OrderEvent:
        status, message = status_from_trade(trade)
        order_status = trade.orderStatus
        filled = float(order_status.filled or 0.0)
        if fill is not None:
            filled = max(filled, sum(f.quantity for f in handle.fills) + fill.quantity)
            status = OrderStatus.SUBMITTED if not status.is_done else status
        remaining = max(0.0, handle.request.quantity - filled)
        if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            remaining = 0.0
        avg = float(order_status.avgFillPrice or 0.0)
        if fill is not None and not avg:
            avg = fill.price
        return OrderEvent(
            handle.order_id, handle.instrument.symbol, status, filled, remaining, avg, message, fill
        )

    def _publish(self, handle: OrderHandle, event: OrderEvent) -> None:
        handle.apply(event)
        if handle.is_done and isinstance(handle, IBOrderHandle):
            self._open.pop(handle.order_id, None)
            self._retire(handle)
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the gateway)
                _log.exception("gateway.listener_failed", order_id=event.order_id)

    def _retire(self, handle: IBOrderHandle) -> None:
        """Forget done orders beyond the most recent few, so memory stays flat.

        The recent ones stay known, so a fill IB reports after the final status still
        reaches its handle.
        """
        if handle.order_id in self._retired_ids:
            return
        self._retired_ids.add(handle.order_id)
        self._retired.append(handle)
        if len(self._retired) > _RETAINED_DONE:
            old = self._retired.popleft()
            self._retired_ids.discard(old.order_id)
            self._handles.pop(old.order_id, None)
            perm_id = old.trade.order.permId or old.trade.orderStatus.permId
            if perm_id:
                self._by_perm_id.pop(perm_id, None)

    def _rebind_handles(self) -> int:
        """Point every handle at ib_async's current Trade and catch up on missed events."""
        rebound = 0
        for trade in self.ib.trades():
            handle = self._handles.get(trade.order.orderId) if trade.order.orderId else None
            before = handle.trade if handle is not None else None
            handle = self._handle_for(trade)
            if handle is None:
                continue
            if before is not None and before is not handle.trade:
                rebound += 1
            known = {fill.exec_id for fill in handle.fills}
            for ib_fill in trade.fills:
                if ib_fill.execution.execId not in known:
                    self._publish(handle, self._event(handle, trade, fill_from_ib(ib_fill)))
            self._publish(handle, self._event(handle, trade, None))
        return rebound

    def _adopt_open_trades(self) -> None:
        """Track this client's working orders from earlier sessions (e.g. for a kill switch)."""
        for trade in self.ib.openTrades():
            order = trade.order
            if order.clientId != self.client_id or not order.orderId:
                continue
            if order.orderId in self._handles:
                continue
            try:
                handle = IBOrderHandle(
                    order.orderId,
                    instrument_from_ib(trade.contract),
                    order_request_from_ib(order),
                    trade,
                )
            except Exception as exc:  # noqa: BLE001  (one odd order must not break connect)
                _log.warning(
                    "gateway.open_order_not_adopted",
                    order_id=order.orderId,
                    error=f"{type(exc).__name__}: {exc}",
                )
                continue
            self._handles[handle.order_id] = handle
            self._open[handle.order_id] = handle
            if order.permId:
                self._by_perm_id[order.permId] = handle
            self._publish(handle, self._event(handle, trade, None))
            _log.info(
                "gateway.open_order_adopted",
                order_id=handle.order_id,
                symbol=handle.instrument.symbol,
            )

    def _require_connected(self, action: str) -> None:
        state = self.connection_state
        if state is not ConnectionState.CONNECTED:
            raise BrokerNotConnectedError(
                f"cannot {action}: IB connection is {state.value}; nothing was sent or queued"
            )


_CONTRACT_CACHE_SIZE = 10_000
_RETAINED_DONE = 1_000
_ACCOUNT_TAGS = frozenset({"NetLiquidation", "TotalCashValue", "RealizedPnL", "UnrealizedPnL"})


def _live_opt_in(allow_live: bool, confirmation: str | None) -> bool:
    text = confirmation if confirmation is not None else os.environ.get(LIVE_CONFIRMATION_ENV, "")
    return bool(allow_live) and text.strip() == LIVE_CONFIRMATION


if TYPE_CHECKING:
    from hydra.application import BrokerPort

    _conforms: BrokerPort = BrokerGateway()
