"""BrokerGateway: the BrokerPort over ib_async (IB Gateway / TWS), paper by default.

Runs inside the host application's own asyncio loop (no ``util.startLoop``, no
nest_asyncio, nothing blocking). Live trading needs an explicit two-part opt-in
(``hydra.adapters.ib.live``). The connection reconnects by itself: the seed's
exponential backoff first, then at the capped delay with jitter until it connects or the
host disconnects; it resynchronises open orders and positions, rebinding existing order
handles to ib_async's new Trade objects.

This module is the gateway: identity, the port's reads and cancels. The connection's
lifecycle (``lifecycle``, with ``reconnect``), opening a connection (``connection``), the
order door and submit capability (``door``), the order book (``orders``), qualified
contracts with their economics, hours and underlyings (``contracts``, with ``hours``),
market data and shortable shares (``market``), whatIf margin previews (``preview``) and
the account with its exchange rates (``account``) are its parts.
The raw ib_async client is private: once the capability is claimed, every way of placing
an order through it is refused, so the RiskGate stays the only way out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from ib_async import IB, Trade
from ib_async import Fill as IBFill

from hydra.adapters.ib.account import IBAccount
from hydra.adapters.ib.config import GatewayConfig
from hydra.adapters.ib.connection import (
    ClientIdInUseError,
)
from hydra.adapters.ib.contracts import IBContracts
from hydra.adapters.ib.convert import position_from_ib
from hydra.adapters.ib.door import IBOrderDoor, IBSubmitCapability
from hydra.adapters.ib.lifecycle import IBConnection
from hydra.adapters.ib.live import (
    LIVE_CONFIRMATION,
    LIVE_CONFIRMATION_ENV,
    LIVE_PORTS,
    PAPER_PORTS,
    live_opted_in,
    require_live_opt_in,
)
from hydra.adapters.ib.market import IBMarketData
from hydra.adapters.ib.orders import IBOrderBook, IBOrderHandle
from hydra.adapters.ib.preview import IBMarginPreviews
from hydra.adapters.ib.reconnect import DEFAULT_RECONNECT_JITTER, ReconnectPlan
from hydra.application import BrokerObserver, OrderHandle, OrderListener, Unsubscribe
from hydra.domain import (
    AccountSnapshot,
    ClientRole,
    ConnectionState,
    ContractChain,
    ContractSpec,
    Instrument,
    InvalidInputError,
    MarginImpact,
    OrderRequest,
    Position,
    Quote,
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


_DEFAULT = GatewayConfig()
"""``[broker]``'s defaults: the constructor's are these, written once."""


class BrokerGateway(IBConnection):
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
        reconnect_delays: backoff before each attempt of ``reconnect()`` (default 1, 2,
            4 ... 30, ten attempts); injectable so tests run in milliseconds. After a lost
            connection, once these attempts are spent, the gateway goes on trying every
            ``max(reconnect_delays)`` seconds (less up to ``reconnect_jitter`` of it),
            until it connects or ``disconnect()`` is called.
        reconnect_jitter: the fraction of the capped delay taken off at random before
            each attempt past the backoff, so many clients do not hammer a restarting
            gateway in step (0 <= jitter < 1; default 0.1).
        market_data: subscribe to streaming prices for every qualified instrument, so
            ``reference_price`` (and the gate's price checks) have something to judge by.
        market_data_wait: seconds ``qualify_contract`` waits for a new subscription's
            first prices (a symbol with no market data is then judged without a price).
        contract_refresh: seconds between two readings of every qualified contract's
            details (IB lists about a week of trading hours; default 6 hours). They are
            read again after each reconnect too.
        ib: the ib_async ``IB`` instance to use (a new one by default). Only the
            read-only roles (client ids 2, 3) and the emergency client take one: whoever
            holds the trading client's ``IB`` could place orders past the RiskGate.
        emergency: the connection of ``hydra kill``'s fallback: ``client_id`` is the
            configured emergency id (never 1, 2 or 3); on connect it follows every open
            order of the account (all clients'), so a kill switch can wait for their
            cancels before it flattens.

    Raises:
        InvalidInputError: a client id other than 1, 2, 3, a bad argument, or an ``ib``
            for the trading client.
        LiveTradingNotAllowedError: a live port without both halves of the opt-in.
    """

    LIVE_PORTS: ClassVar[frozenset[int]] = LIVE_PORTS
    PAPER_PORTS: ClassVar[frozenset[int]] = PAPER_PORTS

    @classmethod
    def from_config(cls, config: GatewayConfig, **overrides: Any) -> BrokerGateway:
        """A gateway as ``[broker]`` configures it; ``overrides`` set any other keyword.

        E.g. ``BrokerGateway.from_config(settings.broker, client_id=3, port=4102)``.
        """
        options: dict[str, Any] = {
            "host": config.host,
            "port": config.port,
            "client_id": config.client_id,
            "allow_live": config.allow_live,
            "live_confirmation": config.live_confirmation or None,
            "connect_timeout": config.connect_timeout.total_seconds(),
            "contract_refresh": config.contract_refresh.total_seconds(),
        }
        options.update(overrides)
        return cls(**options)

    def __init__(
        self,
        host: str = _DEFAULT.host,
        port: int = _DEFAULT.port,
        client_id: int = _DEFAULT.client_id,
        readonly: bool = False,
        *,
        allow_live: bool = False,
        live_confirmation: str | None = None,
        connect_timeout: float = _DEFAULT.connect_timeout.total_seconds(),
        reconnect_delays: Sequence[float] | None = None,
        reconnect_jitter: float = DEFAULT_RECONNECT_JITTER,
        market_data: bool = True,
        market_data_wait: float = 2.0,
        contract_refresh: float = _DEFAULT.contract_refresh.total_seconds(),
        ib: IB | None = None,
        emergency: bool = False,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise InvalidInputError("host", "must be a non-empty host name", host)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidInputError("port", "must be a TCP port number", port)
        if emergency:
            ClientRole.emergency(client_id)
            self.role = ClientRole.EMERGENCY
        else:
            self.role = ClientRole.from_client_id(client_id)
        if ib is not None and self.role is ClientRole.TRADING:
            raise InvalidInputError(
                "ib",
                "the trading client (id 1) never takes a host's ib_async client: whoever "
                "holds it could place orders past the RiskGate. Leave ib unset (the gateway "
                "builds its own, private one), or pass it to a read-only role (client id "
                "2 or 3) or the emergency client",
                ib,
            )
        self.host = host
        self.port = port
        self.client_id = client_id
        self.readonly = bool(readonly) or not self.role.may_submit
        self._live_opt_in = live_opted_in(allow_live, live_confirmation)
        require_live_opt_in(port, self._live_opt_in)
        if connect_timeout <= 0:
            raise InvalidInputError("connect_timeout", "must be > 0 seconds", connect_timeout)
        self.connect_timeout = float(connect_timeout)
        if not contract_refresh > 0:
            raise InvalidInputError("contract_refresh", "must be > 0 seconds", contract_refresh)
        self.contract_refresh = float(contract_refresh)
        self._reconnect = ReconnectPlan(reconnect_delays, reconnect_jitter)
        self.reconnect_delays = self._reconnect.delays
        self.reconnect_jitter = self._reconnect.jitter
        self._ib = ib if ib is not None else IB()
        self._state = ConnectionState.DISCONNECTED
        self._deliberate = False
        self._orders = IBOrderBook(self._ib, client_id)
        self._door = IBOrderDoor(self._ib, self._orders, self._require_connected)
        self._account = IBAccount(self._ib)
        self.market_data = bool(market_data)
        self.market_data_wait = float(market_data_wait)
        self._market = IBMarketData(
            self._ib, stream=self.market_data, first_tick_wait=self.market_data_wait
        )
        self._contracts = IBContracts(self._ib, self._market, timeout=self.connect_timeout)
        self._previews = IBMarginPreviews(
            self._ib, self._door, self._require_connected, self._base_currency
        )
        self._reconnect_task: asyncio.Task[None] | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        self._refresh_due = asyncio.Event()
        self._resync_lock = asyncio.Lock()
        orders = self._orders
        # ib_async holds bound-method handlers by weak reference; these closures are
        # referenced here, so they live exactly as long as the gateway.
        self._handlers: list[tuple[Any, Callable[..., None]]] = [
            (self._ib.orderStatusEvent, self._guard("orderStatus", orders.on_order_status)),
            (self._ib.execDetailsEvent, self._guard("execDetails", self._on_exec_details)),
            (self._ib.disconnectedEvent, self._guard("disconnected", self._on_disconnected)),
            (self._ib.openOrderEvent, self._guard("openOrder", orders.on_open_order)),
            (self._ib.positionEvent, self._guard("position", orders.on_position)),
            (self._ib.accountValueEvent, self._guard("accountValue", self._account.changed)),
            (self._ib.errorEvent, self._guard("error", self._previews.on_error)),
            (self._ib.errorEvent, self._guard("error", orders.on_error)),
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

    # ------------------------------------------------------------------ reads
    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Qualify at IB (contract details); unknown contracts raise UnknownInstrumentError."""
        if not isinstance(contract, Instrument):
            raise InvalidInputError("contract", "must be an Instrument", contract)
        self._require_connected("qualify")
        return await self._contracts.qualify(contract)

    async def contract_chain(self, contract: Instrument) -> ContractChain:
        """A future's expiries, or an option's expiries and strikes, as IB lists them."""
        if not isinstance(contract, Instrument):
            raise InvalidInputError("contract", "must be an Instrument", contract)
        self._require_connected("list a contract chain")
        return await self._contracts.chain(contract)

    def contract_spec(self, instrument: Instrument) -> ContractSpec | None:
        """IB's economics for a contract qualified through this gateway (None: not qualified).

        With its trading hours (``hours``, None when IB's were unreadable) and, for an
        option, its underlying's contract id (``underlying_con_id``).
        """
        return self._contracts.spec(instrument)

    async def refresh_contract_details(self) -> int:
        """Read every qualified contract's details again (fresh trading hours).

        The gateway does this by itself every ``contract_refresh`` seconds and after each
        reconnect; returns how many contracts were refreshed.
        """
        self._require_connected("refresh contract details")
        return await self._contracts.refresh()

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The freshest of the streamed market price and the last fill price.

        An option's underlying streams from the option's qualification on, so its price
        is known by the underlying's contract id.
        """
        return self._market.reference_price(instrument)

    def exchange_rate(self, currency: str) -> Quote | None:
        """One unit of ``currency`` in the account's base currency (IB's ``ExchangeRate``).

        The base currency is 1. The quote's time is that of the latest account message
        IB streamed (IB resends a rate only when it changes, so a live stream means the
        rate is current). None when IB sent no rate for it this session.
        """
        return self._account.exchange_rate(currency)

    def shortable_shares(self, instrument: Instrument) -> float | None:
        """Shares IB can lend to short a qualified stock (generic tick 236; None: unknown)."""
        return self._market.shortable_shares(instrument)

    async def margin_impact(self, instrument: Instrument, order: OrderRequest) -> MarginImpact:
        """IB's whatIf preview of ``order``: initial margin before and after, equity with loan.

        Sent over this (trading) connection through the order door, never executed; in
        the account's base currency. No timeout inside: the caller bounds the wait, and a
        cancelled preview leaves nothing pending.

        A coroutine function, so a gate knows to await it before its decision.

        Raises:
            BrokerError: not connected, a read-only client, IB refused the preview (its
                message), or the answer has no usable figures.
        """
        return await self._previews.impact(instrument, order, readonly=self.readonly)

    def _base_currency(self) -> str:
        return self._account.snapshot().currency

    async def get_positions(self) -> list[Position]:
        """Current non-zero positions (the seed's async read)."""
        return self.positions()

    async def get_account_summary(self) -> AccountSnapshot:
        """Equity, cash and P&L (the seed's async read); see ``account``."""
        return self.account()

    def positions(self) -> list[Position]:
        """Non-zero positions from ib_async's position cache (IB's position messages)."""
        return [position_from_ib(p) for p in self._ib.positions() if p.position]

    def account(self) -> AccountSnapshot:
        """Equity, cash and P&L in the account's base currency, as IB streams them.

        Raises:
            BrokerError: the account values have not arrived (not connected or syncing).
        """
        return self._account.snapshot()

    def open_orders(self) -> list[OrderHandle]:
        """Handles of the working orders IB reports: this client's and foreign ones."""
        return self._orders.open_orders()

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event of the orders this gateway follows."""
        return self._orders.subscribe(listener)

    def observe(self, observer: BrokerObserver) -> Unsubscribe:
        """Follow every order handle change and IB position message."""
        return self._orders.observe(observer)

    # ------------------------------------------------------------------ orders
    def claim_submit_capability(self) -> IBSubmitCapability:
        """Hand out the submit capability once; only the trading client (id 1) has one.

        Raises:
            PermissionDeniedError: a diagnostic or CLI client, or a read-only gateway.
            CapabilityAlreadyClaimedError: claimed before.
        """
        return self._door.claim(self.role, self.client_id, readonly=self.readonly)

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Ask IB to cancel the order; unknown or done orders raise UnknownOrderError."""
        self._require_connected("cancel")
        self._orders.cancel(handle)

    async def cancel_all(self) -> None:
        """IB's global cancel: every working order of the account, whoever placed it.

        Our own orders' cancels arrive as order updates. Other clients' do not (IB sends
        those to the client that placed the order), so the gateway asks for the account's
        open orders until the foreign ones it follows are gone, for up to
        ``connect_timeout`` seconds.
        """
        self._require_connected("cancel all orders")
        self._ib.reqGlobalCancel()  # type: ignore[no-untyped-call]
        _log.warning("gateway.global_cancel", host=self.host, port=self.port)
        await self._orders.follow_global_cancel(self._resync_lock, self.connect_timeout)

    # ------------------------------------------------------------------ events
    def _on_exec_details(self, trade: Trade, fill: IBFill) -> None:
        self._market.record_fill(fill)
        self._orders.on_exec_details(trade, fill)


if TYPE_CHECKING:
    from hydra.application import BrokerPort

    _conforms: BrokerPort = BrokerGateway()
