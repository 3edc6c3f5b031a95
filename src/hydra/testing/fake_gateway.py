"""A fake IB Gateway: a loopback asyncio server speaking the TWS API, server versions 157..178.

Real clients (ib_async 2.x, ib_insync 0.9.86, IB's own ibapi 10.x) connect to it, qualify
contracts (stocks, futures of several expiries, options), read contract details with
trading hours and option chains, stream market data (shortable shares too) and history,
place, amend and cancel orders of IB's types (MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT,
MIT, LIT, MOC, LOC; brackets, OCA groups; whatIf margin previews), receive fills,
rejections, positions, account values per currency and P&L, and reconnect after the
gateway is killed and restarted. The gateway keeps its state (orders, executions,
positions, cash) across kill/restart, as a real gateway keeps the account's state when
the API socket drops. Standard library only, so it runs standalone without any IB client
installed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING

from hydra.testing._controls import WorldControls
from hydra.testing._margin import MarginModel
from hydra.testing._model import DEFAULT_INSTRUMENTS, FakeInstrument, OrderRecord, PlacedOrder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from types import TracebackType

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "FakeIBGateway",
    "FakeInstrument",
    "MarginModel",
    "OrderRecord",
    "PlacedOrder",
    "serve",
]

_logger = logging.getLogger(__name__)

# How long kill() waits for connection handlers to notice their socket closed.
_HANDLER_GRACE_SECONDS = 2.0
# Prices for the standalone server, so market orders fill out of the box.
_STANDALONE_PRICES = {"AAPL": 190.0, "MSFT": 420.0, "SPY": 560.0, "IBM": 210.0}
_MARKET_FILLS = frozenset({"touch", "last"})


class FakeIBGateway(WorldControls):
    """An in-process IB Gateway double for real IB API clients.

    Version negotiation: the gateway answers the highest server version in both the
    client's range and 157..178, and lays out every message the way that version does; a
    client whose range lies wholly outside 157..178 has its socket closed, as IB does.

    Orders fill in full, never partially, against one reference price per instrument
    (:meth:`set_price`). Market orders (and stop, if-touched and trailing stops once
    triggered) fill at the touch: buys at the ask, sells at the bid (one ``min_tick``
    either side of the reference price; ``market_fill="last"`` fills them at the
    reference price instead). Limit orders (and triggered STP LMT, LIT and TRAIL LIMIT
    orders) fill at the reference price as soon as it is marketable, at placement or on a
    later :meth:`set_price`. Trailing stops follow the price by their amount or percent;
    MOC and LOC orders wait for :meth:`close_market`. A placeOrder on a known order id
    amends the working order in place. ``transmit=False`` holds an order back until a
    later order of its bracket or OCA group transmits; bracket children wait for their
    parent's fill, and a fill cancels the rest of its bracket or OCA group. whatIf orders
    are answered with the margin model's figures (:attr:`margin_model`,
    :meth:`what_if_answers`) and never execute. Invalid orders (unknown action, type or
    time in force, GTD without a date, NaN, infinite, zero or negative quantity or price)
    are rejected with error 201 for that order id, a price off the instrument's tick with
    error 110, an unknown or ambiguous contract with error 200. ``goodTillDate``,
    ``outsideRth`` and ``orderRef`` are kept and echoed. Every fill costs a flat 1.0
    commission in the instrument's currency; cash is kept per currency and reported with
    IB's ``ExchangeRate`` values (:meth:`set_exchange_rate`).

    Market data: a reqMktData subscription to a priced instrument gets BID and ASK (one
    ``min_tick`` either side of the reference price), LAST, HIGH, LOW, CLOSE and VOLUME at
    once and again on every :meth:`set_price`, and with generic tick 236 the shortable
    shares (:meth:`set_shortable`). Contract details carry IB's expiry, local symbol,
    trading class, tick, multiplier and trading / liquid hours: a week of 24-hour days
    by default, the exchange's sessions and holidays with ``exchange_hours``
    (:meth:`use_exchange_hours`, :meth:`set_holidays`, :meth:`list_hours_from`), or a
    test's own (:meth:`set_trading_hours`); reqSecDefOptParams lists option
    chains. Historical bars, head timestamp, matching symbols, market rules and PnL /
    PnL single are answered simply and deterministically. Every request the gateway does
    not implement is answered with IB's error 503 for its request id, never with silence.

    Messages about an order go only to the live connection of the client id that placed
    it (a foreign order's to every connection); position and account pushes go to every
    connection subscribed to them. More than ``max_messages_per_second`` messages within a
    second from one connection are answered with error 100 and not processed.

    Args:
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one at :meth:`start`.
        account: The account code reported by managedAccounts and on every order.
        instruments: Contracts the gateway knows (unique local symbols and con_ids; a
            symbol may repeat); each currency needs an exchange rate (USD, EUR, GBP, CHF,
            CAD, AUD, HKD and JPY have one).
        prices: Initial reference price per instrument (local symbol, or a symbol only
            one instrument has); instruments without one cannot take market orders until
            :meth:`set_price` gives them one.
        cash: Starting cash balance, in the base currency (USD).
        next_order_id: The first nextValidId sent to clients.
        position_delay: Seconds between a fill and its position/account messages
            (0 sends them in the same write as the fill); see :attr:`position_delay`.
        max_messages_per_second: IB's pacing limit per connection (50), or ``None`` for
            no limit.
        market_fill: ``"touch"`` (default) or ``"last"``: where market orders fill.
        exchange_hours: List each instrument's own sessions and holidays in its contract
            details (True), or every day as one 24-hour session (False, the default, so
            tests that trade through a gate with a trading-hours check pass at any hour);
            :meth:`use_exchange_hours` switches it later.

    Raises:
        ValueError: Two instruments share a local symbol or con_id; an instrument's
            currency has no exchange rate; a price is not a positive finite number;
            ``position_delay``, ``max_messages_per_second`` or ``market_fill`` is invalid.
        KeyError: ``prices`` names an unknown instrument, or an ambiguous symbol.

    Attributes:
        host: Interface the server listens on.
        port: Listening port; after :meth:`start` the real bound port (0 picks a free one).
        account: The single managed account code.
        placed: Every placeOrder message received, in arrival order (including
            modifications, whatIf previews and orders that were then rejected).
        cancel_requests: Order ids of every cancelOrder message received.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        account: str = "DU123456",
        instruments: Iterable[FakeInstrument] = DEFAULT_INSTRUMENTS,
        prices: Mapping[str, float] | None = None,
        cash: float = 100_000.0,
        next_order_id: int = 1,
        position_delay: float = 0.0,
        max_messages_per_second: int | None = 50,
        market_fill: str = "touch",
        exchange_hours: bool = False,
    ) -> None:
        super().__init__(
            account=account,
            instruments=instruments,
            prices=prices,
            cash=cash,
            next_order_id=next_order_id,
        )
        if max_messages_per_second is not None and max_messages_per_second < 1:
            msg = f"max_messages_per_second must be >= 1 or None, not {max_messages_per_second}"
            raise ValueError(msg)
        if market_fill not in _MARKET_FILLS:
            msg = f"market_fill must be 'touch' or 'last', not {market_fill!r}"
            raise ValueError(msg)
        self.host = host
        self.port = port
        self._max_rate = max_messages_per_second
        self._market_fill = market_fill
        self._reject_rule: Callable[[PlacedOrder], str | None] | None = None
        self._what_if_mode = "answer"
        self._ignored_previews = []
        self._exchange_hours = bool(exchange_hours)
        self._what_if_error = "margin unavailable"
        self._position_delay = 0.0
        self.position_delay = position_delay
        self._delayed: set[asyncio.TimerHandle] = set()
        self._connectivity_lost = False
        # TWS's own orders reach API clients with negative order ids (never a client's id).
        self._tws_order_ids = itertools.count(-1, -1)
        self._server: asyncio.Server | None = None
        self._handler_tasks: set[asyncio.Task[object]] = set()
        self._stopped = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start listening; a no-op when already listening."""
        if self._server is not None:
            return
        self._stopped.clear()
        await self._listen()

    async def stop(self) -> None:
        """Drop every connection, stop listening and release :meth:`serve_forever`."""
        for handle in self._delayed:
            handle.cancel()
        self._delayed.clear()
        await self.kill()
        self._stopped.set()

    async def kill(self) -> None:
        """Simulate a gateway crash: close every client socket and stop listening.

        Orders, executions, positions and cash are kept for :meth:`restart`. Clients see a
        peer close (ib_async fires ``disconnectedEvent``).
        """
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for session in list(self._sessions):
            session.writer.close()
        tasks = list(self._handler_tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=_HANDLER_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def restart(self) -> None:
        """Listen again on the same host and port with the state kept (kills first if up)."""
        if self._server is not None:
            await self.kill()
        self._stopped.clear()
        await self._listen()

    async def serve_forever(self) -> None:
        """Start if needed, then serve until :meth:`stop` is called."""
        if self._server is None:
            await self.start()
        await self._stopped.wait()

    async def __aenter__(self) -> FakeIBGateway:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        _logger.debug("fake gateway listening on %s:%d", self.host, self.port)

    # ------------------------------------------------------------------ test controls

    @property
    def max_messages_per_second(self) -> int | None:
        """The pacing limit per connection (``None``: off); assignable at run time.

        Raises:
            ValueError: On assignment of a number below 1.
        """
        return self._max_rate

    @max_messages_per_second.setter
    def max_messages_per_second(self, limit: int | None) -> None:
        if limit is not None and limit < 1:
            msg = f"max_messages_per_second must be >= 1 or None, not {limit}"
            raise ValueError(msg)
        self._max_rate = limit

    def order_status(self, order_id: int) -> str | None:
        """Return the gateway-side status of the most recent order with this id.

        One of ``"PreSubmitted"`` (held: not transmitted, or a bracket child waiting for
        its parent), ``"Submitted"``, ``"Filled"``, ``"Cancelled"`` or ``"Inactive"``
        (rejected, including unknown contracts and prices off the tick); ``None`` when no
        such order was ever placed.
        """
        order = self.order(order_id)
        return None if order is None else order.status

    def order(self, order_id: int) -> OrderRecord | None:
        """The gateway's live record of the most recent order with this id (read it only).

        It shows what the gateway holds: the amended quantity and prices, a trailing
        stop's current ``trail_stop_price``, ``good_till_date``, ``outside_rth``,
        ``order_ref``, ``triggered``, the OCA group and parent.
        """
        for order in reversed(self._orders.values()):
            if order.order_id == order_id:
                return order
        return None

    def positions(self) -> dict[str, tuple[float, float]]:
        """Return non-zero positions as ``local symbol -> (quantity, avg_cost)``.

        ``avg_cost`` follows IB's convention: average fill price times the multiplier,
        without commissions. A stock's local symbol is its symbol.
        """
        result: dict[str, tuple[float, float]] = {}
        for key in self._book.open_symbols():
            qty, avg = self._book.position(key)
            result[key] = (qty, avg * self._by_key[key].multiplier)
        return result

    @property
    def cash(self) -> float:
        """Cash in the base currency: every currency's balance at its exchange rate."""
        return self._figures()["cash"]

    def net_liquidation(self) -> float:
        """Net liquidation in the base currency, as the account reports it."""
        return self._figures()["net_liq"]

    def market_data_subscriptions(self) -> dict[str, int]:
        """Return the number of live market data subscriptions per subscribed local symbol."""
        counts: dict[str, int] = {}
        for session in self._sessions:
            if session.live:
                for inst in session.market_data.values():
                    counts[inst.key] = counts.get(inst.key, 0) + 1
        return counts

    def connected_client_ids(self) -> set[int]:
        """Client ids of the connections that completed the API handshake and are open."""
        return {s.client_id for s in self._sessions if s.live and s.client_id is not None}

    def send_raw(self, client_id: int, fields: Sequence[str]) -> None:
        """Fault: send raw fields to a client as one message (e.g. to provoke a decode error).

        Raises:
            LookupError: no live connection with that client id.
        """
        session = self._live_session(client_id)
        session.send(list(fields))


async def serve(host: str, port: int, **options: object) -> None:
    """Run a fake gateway with the default instruments and prices until cancelled.

    Args:
        host: Interface to listen on.
        port: Port to listen on (0 picks a free one).
        **options: Further :class:`FakeIBGateway` keyword arguments (e.g.
            ``max_messages_per_second``, ``position_delay``).
    """
    gateway = FakeIBGateway(host, port, prices=_STANDALONE_PRICES, **options)  # type: ignore[arg-type]
    async with gateway:
        await gateway.serve_forever()
