"""A fake IB Gateway: a loopback asyncio server speaking the TWS API, server versions 157..178.

Real clients (ib_async 2.x, ib_insync 0.9.86, IB's own ibapi 10.x) connect to it, qualify
contracts, stream market data and history, place, modify and cancel orders (MKT, LMT, STP,
STP LMT, brackets, OCA groups, whatIf), receive fills, rejections, positions, account
values and P&L, and reconnect after the gateway is killed and restarted. The gateway keeps
its state (orders, executions, positions, cash) across kill/restart, as a real gateway keeps
the account's state when the API socket drops. Standard library only, so it runs
standalone without any IB client installed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from typing import TYPE_CHECKING

from hydra.testing._faults import FaultControls
from hydra.testing._model import DEFAULT_INSTRUMENTS, FakeInstrument, PlacedOrder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from types import TracebackType

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "FakeIBGateway",
    "FakeInstrument",
    "PlacedOrder",
    "serve",
]

_logger = logging.getLogger(__name__)

# How long kill() waits for connection handlers to notice their socket closed.
_HANDLER_GRACE_SECONDS = 2.0
# Prices for the standalone server, so market orders fill out of the box.
_STANDALONE_PRICES = {"AAPL": 190.0, "MSFT": 420.0, "SPY": 560.0, "IBM": 210.0}
_MARKET_FILLS = frozenset({"touch", "last"})


class FakeIBGateway(FaultControls):
    """An in-process IB Gateway double for real IB API clients.

    Version negotiation: the gateway answers the highest server version in both the
    client's range and 157..178, and lays out every message the way that version does; a
    client whose range lies wholly outside 157..178 has its socket closed, as IB does.

    Orders fill in full, never partially. Market orders (and stop orders once the
    reference price reaches the stop) fill at the touch: buys at the ask, sells at the bid
    (one ``min_tick`` either side of the reference price; ``market_fill="last"`` fills them
    at the reference price instead). Limit orders (and triggered stop-limits) fill at the
    reference price as soon as it is marketable, at placement or on a later
    :meth:`set_price`. ``transmit=False`` holds an order back until a later order of its
    group transmits; bracket children wait for their parent's fill, and a fill cancels
    the rest of its bracket or OCA group. whatIf orders are answered with margin and
    commission figures and never execute. Invalid orders (unknown action or type, NaN,
    infinite, zero or negative quantity or price) are rejected with error 201 for that
    order id. Every fill costs a flat 1.0 commission; all money is one currency (no FX).

    Market data: a reqMktData subscription to a priced symbol gets BID and ASK (one
    ``min_tick`` either side of the reference price), LAST, HIGH, LOW, CLOSE and VOLUME at
    once and again on every :meth:`set_price`. Historical bars, head timestamp, matching
    symbols, market rules and PnL / PnL single are answered simply and deterministically.
    Every request the gateway does not implement is answered with IB's error 503 for its
    request id, never with silence.

    Messages about an order go only to the live connection of the client id that placed
    it (a foreign order's to every connection); position and account pushes go to every
    connection subscribed to them. More than ``max_messages_per_second`` messages within a
    second from one connection are answered with error 100 and not processed.

    Args:
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one at :meth:`start`.
        account: The account code reported by managedAccounts and on every order.
        instruments: Contracts the gateway knows (unique symbols and con_ids).
        prices: Initial reference price per symbol; symbols without one cannot take
            market orders until :meth:`set_price` gives them one.
        cash: Starting cash balance.
        next_order_id: The first nextValidId sent to clients.
        position_delay: Seconds between a fill and its position/account messages
            (0 sends them in the same write as the fill); see :attr:`position_delay`.
        max_messages_per_second: IB's pacing limit per connection (50), or ``None`` for
            no limit.
        market_fill: ``"touch"`` (default) or ``"last"``: where market orders fill.

    Raises:
        ValueError: Two instruments share a symbol or con_id; a price is not a positive
            finite number; ``position_delay``, ``max_messages_per_second`` or
            ``market_fill`` is invalid.
        KeyError: ``prices`` names a symbol that is not an instrument.

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

    def set_price(self, symbol: str, price: float) -> None:
        """Set the reference price of a symbol, stream it, and fill orders it makes marketable.

        Every live market data subscription to the symbol gets fresh ticks first. Limit
        orders fill at the reference price (a buy limit when ``price <= limit``, a sell
        limit when ``price >= limit``); stop orders trigger when the price reaches their
        stop. Everything is pushed to clients before this returns (written to their
        sockets; a client sees it on its next loop iteration).

        Raises:
            KeyError: The symbol is not one of the gateway's instruments.
            ValueError: The price is not a positive finite number.
        """
        inst = self._instrument(symbol)
        value = float(price)
        if not math.isfinite(value) or value <= 0:
            msg = f"price of {symbol} must be a positive finite number, not {price!r}"
            raise ValueError(msg)
        self._prices[symbol] = value
        self._bump_stats(symbol, value)
        self._stream(inst)
        filled_any = False
        for order in list(self._orders.values()):
            if order.instrument is inst and order.order_type != "MKT" and self._try_fill(order):
                filled_any = True
        # A fill already pushed fresh account values; otherwise a held position's mark moved.
        if not filled_any and self._book.position(symbol)[0] != 0.0:
            self._push_account_updates([inst])
            self._push_pnl()

    def price(self, symbol: str) -> float | None:
        """Return the reference price of a symbol, or ``None`` when it has none."""
        return self._prices.get(symbol)

    def order_status(self, order_id: int) -> str | None:
        """Return the gateway-side status of the most recent order with this id.

        One of ``"Submitted"``, ``"Filled"``, ``"Cancelled"`` or ``"Inactive"`` (rejected,
        including unknown contracts); ``None`` when no such order was ever placed.
        """
        for order in reversed(self._orders.values()):
            if order.order_id == order_id:
                return order.status
        return None

    def positions(self) -> dict[str, tuple[float, float]]:
        """Return non-zero positions as ``symbol -> (quantity, avg_cost)``.

        ``avg_cost`` follows IB's convention: average fill price times the multiplier,
        without commissions.
        """
        result: dict[str, tuple[float, float]] = {}
        for symbol in self._book.open_symbols():
            qty, avg = self._book.position(symbol)
            result[symbol] = (qty, avg * self._by_symbol[symbol].multiplier)
        return result

    @property
    def cash(self) -> float:
        """Cash balance: starting cash minus net purchases and commissions."""
        return self._cash

    def net_liquidation(self) -> float:
        """Cash plus the marked value of every position (average cost when unpriced)."""
        return self._cash + sum(
            qty * self._mark(symbol) * self._by_symbol[symbol].multiplier
            for symbol, qty in self._open_quantities()
        )

    def market_data_subscriptions(self) -> dict[str, int]:
        """Return the number of live market data subscriptions per subscribed symbol."""
        counts: dict[str, int] = {}
        for session in self._sessions:
            if session.live:
                for inst in session.market_data.values():
                    counts[inst.symbol] = counts.get(inst.symbol, 0) + 1
        return counts

    def connected_client_ids(self) -> set[int]:
        """Client ids of the connections that completed the API handshake and are open."""
        return {s.client_id for s in self._sessions if s.live and s.client_id is not None}

    def send_raw(self, client_id: int, fields: Sequence[str]) -> None:
        """Fault: send raw fields to a client as one message (e.g. to provoke a decode error).

        Raises:
            LookupError: no live connection with that client id.
        """
        session = self._session_for(client_id)
        if session is None:
            msg = f"no live connection with client id {client_id}"
            raise LookupError(msg)
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
