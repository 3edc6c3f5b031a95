"""A fake IB Gateway: a loopback asyncio server speaking the TWS API at server version 178.

The real ``ib_async.IB`` client can connect to it, qualify contracts, stream market data,
place, modify and cancel orders, receive fills, rejections, positions and account values,
and reconnect after the gateway is killed and restarted. The gateway keeps its state
(orders, executions, positions, cash) across kill/restart, as a real gateway keeps the
account's state when the API socket drops. Standard library only, so it can run
standalone without ib_async.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hydra.testing import _wire as wire
from hydra.testing._model import (
    DEFAULT_INSTRUMENTS,
    ExecutionRecord,
    FakeInstrument,
    OrderRecord,
    PlacedOrder,
    PositionBook,
    one_tick_quote,
)

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

# Flat commission per fill, so tests can predict cash to the cent.
_COMMISSION = 1.0
# Initial margin as a fraction of gross position value; only feeds the margin-ish account tags.
_MARGIN_RATE = 0.25
# Real permIds are large; starting high keeps them visibly distinct from order ids in logs.
_FIRST_PERM_ID = 1_000_000_001
# How long kill() waits for connection handlers to notice their socket closed.
_HANDLER_GRACE_SECONDS = 2.0

_DUPLICATE_CLIENT_ID = (
    "Unable to connect as the client id is already in use. Retry with a unique client id."
)
_NO_SECURITY_DEFINITION = "No security definition has been found for the request"
# What a real gateway reports right after the API handshake; ib_async treats 2100-2199 as
# informational, and an adapter must tolerate them, so the fake sends them too.
_FARM_STATUS = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)
# Prices for the standalone server, so market orders fill out of the box.
_STANDALONE_PRICES = {"AAPL": 190.0, "MSFT": 420.0, "SPY": 560.0, "IBM": 210.0}
_SUPPORTED_ORDER_TYPES = frozenset({"MKT", "LMT"})
# Sizes quoted on every bid, ask and last tick; only need to be positive, because ib_async
# treats a bid or ask of size 0 as "no quote" (Ticker.hasBidAsk() is then False).
_QUOTE_SIZE = 100.0
# What tickReqParams(81) reports: a BBO exchange code as IB sends for a US stock, and a
# snapshot permissions bitmask (ib_async stores both on the Ticker and nothing else).
_BBO_EXCHANGE = "9c0001"
_SNAPSHOT_PERMISSIONS = 3


def _ib_time() -> str:
    """Timestamp in the "yyyymmdd hh:mm:ss zone" form ib_async parses with a timezone."""
    return datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")


def _money(value: float) -> str:
    return f"{value:.2f}"


def _int_field(text: str) -> int:
    return int(text) if text else 0


def _opt_float_field(text: str) -> float | None:
    return float(text) if text else None


class _Session:
    """One API connection; order messages are routed to it by its client id."""

    __slots__ = ("account_updates", "client_id", "market_data", "positions", "writer")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.client_id: int | None = None
        self.positions = False
        self.account_updates = False
        # Live reqMktData subscriptions of this connection: reqId -> instrument.
        self.market_data: dict[int, FakeInstrument] = {}

    @property
    def live(self) -> bool:
        return self.client_id is not None and not self.writer.is_closing()

    def send(self, fields: Sequence[str]) -> None:
        if not self.writer.is_closing():
            self.writer.write(wire.encode(fields))


class FakeIBGateway:
    """An in-process IB Gateway double for the real ib_async client.

    Orders fill in full, never partially: a market order at once at the reference price,
    a limit order at the reference price as soon as it is marketable (at placement or on a
    later :meth:`set_price`). Every fill costs a flat 1.0 commission in the instrument's
    currency. All money is treated as one currency (no FX).

    Market data: a reqMktData subscription to a priced symbol gets tickPrice messages for
    BID (reference price minus one ``min_tick``), ASK (plus one ``min_tick``) and LAST
    (the reference price), each with size 100, at once and again on every
    :meth:`set_price`; an unpriced symbol gets no ticks until it is priced. Subscriptions
    belong to their connection and end with it. Snapshots get the same ticks and then
    tickSnapshotEnd; unknown contracts get error 200.

    Messages about an order go only to the live connection of the client id that placed
    it; position and account pushes go to every connection subscribed to them.

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

    Raises:
        ValueError: Two instruments share a symbol or con_id, or ``position_delay`` is
            negative or not finite.
        KeyError: ``prices`` names a symbol that is not an instrument.

    Attributes:
        host: Interface the server listens on.
        port: Listening port; after :meth:`start` the real bound port (0 picks a free one).
        account: The single managed account code.
        placed: Every placeOrder message received, in arrival order (including
            modifications and orders that were then rejected).
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
    ) -> None:
        self.host = host
        self.port = port
        self.account = account
        self.placed: list[PlacedOrder] = []
        self.cancel_requests: list[int] = []

        self._by_symbol: dict[str, FakeInstrument] = {}
        self._by_con_id: dict[int, FakeInstrument] = {}
        for inst in instruments:
            if inst.symbol in self._by_symbol or inst.con_id in self._by_con_id:
                msg = f"duplicate instrument symbol or con_id: {inst}"
                raise ValueError(msg)
            self._by_symbol[inst.symbol] = inst
            self._by_con_id[inst.con_id] = inst
        self._prices: dict[str, float] = {}
        for symbol, px in (prices or {}).items():
            self._instrument(symbol)
            self._prices[symbol] = float(px)

        self._cash = float(cash)
        self._next_order_id = next_order_id
        self._perm_ids = itertools.count(_FIRST_PERM_ID)
        self._exec_seq = itertools.count(1)
        self._orders: dict[tuple[int, int], OrderRecord] = {}
        self._executions: list[ExecutionRecord] = []
        self._book = PositionBook.empty()
        self._reject_rule: Callable[[PlacedOrder], str | None] | None = None
        self._position_delay = 0.0
        self.position_delay = position_delay
        self._delayed: set[asyncio.TimerHandle] = set()
        # TWS's own orders reach API clients with negative order ids (never a client's id).
        self._tws_order_ids = itertools.count(-1, -1)

        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self._handler_tasks: set[asyncio.Task[object]] = set()
        self._stopped = asyncio.Event()
        self._dispatch: dict[int, Callable[[_Session, list[str]], None]] = {
            wire.IN_START_API: self._on_start_api,
            wire.IN_PLACE_ORDER: self._on_place_order,
            wire.IN_CANCEL_ORDER: self._on_cancel_order,
            wire.IN_REQ_OPEN_ORDERS: self._on_req_open_orders,
            wire.IN_REQ_ALL_OPEN_ORDERS: self._on_req_all_open_orders,
            wire.IN_REQ_COMPLETED_ORDERS: self._on_req_completed_orders,
            wire.IN_REQ_ACCOUNT_UPDATES: self._on_req_account_updates,
            wire.IN_REQ_ACCOUNT_UPDATES_MULTI: self._on_req_account_updates_multi,
            wire.IN_REQ_EXECUTIONS: self._on_req_executions,
            wire.IN_REQ_IDS: self._on_req_ids,
            wire.IN_REQ_CONTRACT_DETAILS: self._on_req_contract_details,
            wire.IN_REQ_POSITIONS: self._on_req_positions,
            wire.IN_CANCEL_POSITIONS: self._on_cancel_positions,
            wire.IN_REQ_ACCOUNT_SUMMARY: self._on_req_account_summary,
            wire.IN_REQ_CURRENT_TIME: self._on_req_current_time,
            wire.IN_REQ_GLOBAL_CANCEL: self._on_req_global_cancel,
            wire.IN_REQ_MKT_DATA: self._on_req_mkt_data,
            wire.IN_CANCEL_MKT_DATA: self._on_cancel_mkt_data,
            # Requests with nothing to answer; listed so they are not logged as unsupported.
            wire.IN_REQ_AUTO_OPEN_ORDERS: self._on_ignored,
            wire.IN_CANCEL_ACCOUNT_SUMMARY: self._on_ignored,
            wire.IN_CANCEL_ACCOUNT_UPDATES_MULTI: self._on_ignored,
            # Live data is always available here, and IB then streams live data whatever
            # type was asked for, so every subscription reports marketDataType 1.
            wire.IN_REQ_MARKET_DATA_TYPE: self._on_ignored,
        }

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

    def set_price(self, symbol: str, price: float) -> None:
        """Set the reference price of a symbol, stream it, and fill limit orders it crosses.

        Every live market data subscription to the symbol gets fresh BID/ASK/LAST ticks
        first. Fills happen at the reference price (a buy limit fills when
        ``price <= limit``, a sell limit when ``price >= limit``). Everything is pushed to
        clients before this returns (written to their sockets; the client sees it on its
        next loop iteration).

        Raises:
            KeyError: The symbol is not one of the gateway's instruments.
        """
        inst = self._instrument(symbol)
        self._prices[symbol] = float(price)
        for session in list(self._sessions):
            if session.live:
                for req_id, subscribed in session.market_data.items():
                    if subscribed is inst:
                        self._send_ticks(session, req_id, inst)
        filled_any = False
        for order in list(self._orders.values()):
            if order.instrument is inst and order.order_type == "LMT" and self._try_fill(order):
                filled_any = True
        # A fill already pushed fresh account values; otherwise a held position's mark moved.
        if not filled_any and self._book.position(symbol)[0] != 0.0:
            self._push_account_updates([inst])

    @property
    def position_delay(self) -> float:
        """Seconds between a fill and the position and account messages it causes.

        0 (the default) sends them right after the fill, in the same write. A positive
        delay lets a test watch a client between the two, as on a busy real gateway.
        Changeable at any time; applies to later fills.

        Raises:
            ValueError: On assignment of a negative or non-finite number.
        """
        return self._position_delay

    @position_delay.setter
    def position_delay(self, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            msg = f"position_delay must be a finite number of seconds >= 0, not {seconds!r}"
            raise ValueError(msg)
        self._position_delay = float(seconds)

    def inject_foreign_order(
        self,
        symbol: str,
        action: str,
        quantity: float,
        *,
        order_type: str = "LMT",
        limit_price: float | None = None,
        client_id: int = 0,
        order_id: int | None = None,
    ) -> int:
        """Make an order appear as if placed by TWS (client id 0) or another API client.

        Every connected client gets its openOrder and orderStatus at once, and every later
        update of it (fill, cancel). It then behaves like any order: it fills against the
        reference price, shows in reqAllOpenOrders (and in reqOpenOrders of ``client_id``),
        and reqGlobalCancel cancels it.

        Args:
            symbol: One of the gateway's instruments.
            action: ``"BUY"`` or ``"SELL"``.
            quantity: Positive quantity.
            order_type: ``"MKT"`` or ``"LMT"``.
            limit_price: Required for a limit order.
            client_id: 0 for a TWS order, or the id of another API client.
            order_id: The order id to report; by default a negative id for a TWS order
                (as TWS reports its own orders) and the next valid id otherwise.

        Returns:
            The order id reported to clients.

        Raises:
            KeyError: Unknown symbol.
            ValueError: The order is invalid (action, quantity, type or limit price), or a
                live order of ``client_id`` already has ``order_id``.
        """
        inst = self._instrument(symbol)
        if order_id is None:
            if client_id == 0:
                order_id = next(self._tws_order_ids)
            else:
                order_id = self._next_order_id
                self._next_order_id += 1
        placed = PlacedOrder(
            order_id, client_id, symbol, action, float(quantity), order_type, limit_price, "DAY"
        )
        problem = self._validation_error(placed)
        if problem is not None:
            raise ValueError(problem)
        if (client_id, order_id) in self._orders:
            msg = f"client {client_id} already has an order {order_id}"
            raise ValueError(msg)
        order = OrderRecord(
            client_id=client_id,
            order_id=order_id,
            perm_id=next(self._perm_ids),
            instrument=inst,
            action=action,
            quantity=float(quantity),
            order_type=order_type,
            limit_price=limit_price,
            tif="DAY",
            account=self.account,
            order_ref="",
            status="Submitted",
            foreign=True,
        )
        self._orders[(client_id, order_id)] = order
        self._send_order_update(order)
        self._try_fill(order)
        return order_id

    def price(self, symbol: str) -> float | None:
        """Return the reference price of a symbol, or ``None`` when it has none."""
        return self._prices.get(symbol)

    def reject_orders(self, rule: Callable[[PlacedOrder], str | None] | None) -> None:
        """Install (or with ``None`` remove) a rule that rejects new orders.

        The rule sees every new order (not modifications); when it returns a message the
        order is rejected with error 201 ``"Order rejected - reason:<message>"`` and never
        fills.
        """
        self._reject_rule = rule

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

    @property
    def realized_pnl(self) -> float:
        """P&L realized by closing fills, before commissions."""
        return sum(self._book.realized.values())

    @property
    def unrealized_pnl(self) -> float:
        """P&L of open positions marked at their reference prices."""
        total = 0.0
        for symbol, qty in self._open_quantities():
            avg = self._book.position(symbol)[1]
            total += (self._mark(symbol) - avg) * qty * self._by_symbol[symbol].multiplier
        return total

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

    def _inject(self, client_id: int, fields: Sequence[str]) -> None:
        """Send raw fields to a client (tests use it to provoke decode errors)."""
        session = self._session_for(client_id)
        if session is None:
            msg = f"no live connection with client id {client_id}"
            raise LookupError(msg)
        session.send(fields)

    # ------------------------------------------------------------------ connections

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handler_tasks.add(task)
        session = _Session(writer)
        self._sessions.add(session)
        try:
            await self._serve_session(session, reader)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            _logger.debug("connection of client %s ended: %r", session.client_id, exc)
        finally:
            self._sessions.discard(session)
            # Market data subscriptions die with their socket, as on a real gateway.
            session.market_data.clear()
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            if task is not None:
                self._handler_tasks.discard(task)

    async def _serve_session(self, session: _Session, reader: asyncio.StreamReader) -> None:
        if await reader.readexactly(len(wire.HANDSHAKE_PREFIX)) != wire.HANDSHAKE_PREFIX:
            _logger.debug("dropping a connection that is not an API client")
            return
        # The client offers a version range; the fake always answers 178, the top of the
        # range ib_async 2.1 supports, so the message layouts below are the only ones needed.
        await wire.read_frame(reader)
        session.send(wire.server_hello(_ib_time()))
        while not session.writer.is_closing():
            fields = wire.decode(await wire.read_frame(reader))
            self._handle_message(session, fields)

    def _handle_message(self, session: _Session, fields: list[str]) -> None:
        try:
            msg_id = int(fields[0])
        except (IndexError, ValueError):
            _logger.debug("ignoring a malformed message: %r", fields)
            return
        if session.client_id is None and msg_id != wire.IN_START_API:
            _logger.debug("ignoring message %d before startApi", msg_id)
            return
        handler = self._dispatch.get(msg_id)
        if handler is None:
            _logger.debug("ignoring unsupported message %d: %r", msg_id, fields)
            return
        try:
            handler(session, fields)
        except Exception:
            # A malformed request must not take the whole gateway down with it.
            _logger.exception("fake gateway failed to handle %r", fields)

    def _session_for(self, client_id: int) -> _Session | None:
        for session in self._sessions:
            if session.live and session.client_id == client_id:
                return session
        return None

    def _send_about(self, order: OrderRecord, *messages: list[str]) -> None:
        """Send order messages to the client that placed it; a foreign order's to everyone."""
        if order.foreign:
            targets = [s for s in self._sessions if s.live]
        else:
            session = self._session_for(order.client_id)
            targets = [] if session is None else [session]
        for session in targets:
            for fields in messages:
                session.send(fields)

    # ------------------------------------------------------------------ handshake & ids

    def _on_start_api(self, session: _Session, fields: list[str]) -> None:
        if session.client_id is not None:
            return
        client_id = int(fields[2])
        if client_id in self.connected_client_ids():
            session.send(wire.error(-1, 326, _DUPLICATE_CLIENT_ID))
            session.writer.close()
            return
        session.client_id = client_id
        session.send(wire.next_valid_id(self._next_order_id))
        session.send(wire.managed_accounts(self.account))
        for code, text in _FARM_STATUS:
            session.send(wire.error(-1, code, text))

    def _on_ignored(self, session: _Session, fields: list[str]) -> None:
        pass

    def _on_req_ids(self, session: _Session, fields: list[str]) -> None:
        session.send(wire.next_valid_id(self._next_order_id))

    def _on_req_current_time(self, session: _Session, fields: list[str]) -> None:
        session.send(wire.current_time(int(time.time())))

    # ------------------------------------------------------------------ contracts

    def _instrument(self, symbol: str) -> FakeInstrument:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            msg = f"unknown symbol {symbol!r}; known: {sorted(self._by_symbol)}"
            raise KeyError(msg) from None

    def _match(
        self, con_id: int, symbol: str, sec_type: str, currency: str
    ) -> list[FakeInstrument]:
        if con_id > 0:
            inst = self._by_con_id.get(con_id)
            return [inst] if inst is not None else []
        return [
            inst
            for inst in self._by_symbol.values()
            if inst.symbol == symbol
            and (not sec_type or inst.sec_type == sec_type)
            and (not currency or inst.currency == currency)
        ]

    def _on_req_contract_details(self, session: _Session, fields: list[str]) -> None:
        # [9, 8, reqId, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
        #  exchange, primaryExchange, currency, localSymbol, tradingClass, ...]
        req_id = int(fields[2])
        matches = self._match(_int_field(fields[3]), fields[4], fields[5], fields[12])
        if not matches:
            # Like the real gateway: an error and no contractDetailsEnd.
            session.send(wire.error(req_id, 200, _NO_SECURITY_DEFINITION))
            return
        for inst in matches:
            session.send(wire.contract_details(req_id, inst))
        session.send(wire.contract_details_end(req_id))

    # ------------------------------------------------------------------ market data

    def _on_req_mkt_data(self, session: _Session, fields: list[str]) -> None:
        # [1, 11, reqId, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
        #  exchange, primaryExchange, currency, localSymbol, tradingClass, (BAG legs),
        #  deltaNeutral flag (+3 fields when set), genericTickList, snapshot,
        #  regulatorySnapshot, mktDataOptions]: the legs and delta-neutral blocks vary in
        # length, so the four trailing fields are read from the end.
        req_id = int(fields[2])
        snapshot = "1" in (fields[-3], fields[-2])
        if req_id in session.market_data:
            session.send(wire.error(req_id, 322, "Duplicate ticker id"))
            return
        matches = self._match(_int_field(fields[3]), fields[4], fields[5], fields[12])
        if not matches:
            session.send(wire.error(req_id, 200, _NO_SECURITY_DEFINITION))
            return
        inst = matches[0]
        session.send(wire.market_data_type(req_id, wire.MARKET_DATA_LIVE))
        session.send(
            wire.tick_req_params(req_id, inst.min_tick, _BBO_EXCHANGE, _SNAPSHOT_PERMISSIONS)
        )
        self._send_ticks(session, req_id, inst)
        if snapshot:
            # A real gateway waits up to 11 s for an unpriced snapshot; here the end is at once.
            session.send(wire.tick_snapshot_end(req_id))
        else:
            session.market_data[req_id] = inst

    def _on_cancel_mkt_data(self, session: _Session, fields: list[str]) -> None:
        # [2, 2, reqId]
        req_id = int(fields[2])
        if session.market_data.pop(req_id, None) is None:
            session.send(wire.error(req_id, 300, f"Can't find EId with tickerId:{req_id}"))

    def _send_ticks(self, session: _Session, req_id: int, inst: FakeInstrument) -> None:
        price = self._prices.get(inst.symbol)
        if price is None:
            return
        bid, ask = one_tick_quote(price, inst.min_tick)
        session.send(wire.tick_price(req_id, wire.TICK_BID, bid, _QUOTE_SIZE))
        session.send(wire.tick_price(req_id, wire.TICK_ASK, ask, _QUOTE_SIZE))
        session.send(wire.tick_price(req_id, wire.TICK_LAST, price, _QUOTE_SIZE))

    # ------------------------------------------------------------------ orders

    def _on_place_order(self, session: _Session, fields: list[str]) -> None:
        # [3, orderId, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
        #  exchange, primaryExchange, currency, localSymbol, tradingClass, secIdType, secId,
        #  action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account,
        #  openClose, origin, orderRef, ...]; the long tail is irrelevant to MKT/LMT orders.
        client_id = session.client_id
        if client_id is None:
            return
        order_id = int(fields[1])
        placed = PlacedOrder(
            order_id=order_id,
            client_id=client_id,
            symbol=fields[3],
            action=fields[16],
            quantity=float(fields[17] or 0),
            order_type=fields[18],
            limit_price=_opt_float_field(fields[19]),
            tif=fields[21],
        )
        self.placed.append(placed)
        self._next_order_id = max(self._next_order_id, order_id + 1)

        existing = self._orders.get((client_id, order_id))
        if existing is not None:
            self._modify(session, existing, placed)
            return

        matches = self._match(_int_field(fields[2]), fields[3], fields[4], fields[11])
        order = OrderRecord(
            client_id=client_id,
            order_id=order_id,
            perm_id=next(self._perm_ids),
            instrument=matches[0] if matches else None,
            action=placed.action,
            quantity=placed.quantity,
            order_type=placed.order_type,
            limit_price=placed.limit_price,
            tif=placed.tif,
            account=fields[23] or self.account,
            order_ref=fields[26],
            status="PendingSubmit",
        )
        self._orders[(client_id, order_id)] = order
        if order.instrument is None:
            order.status = "Inactive"
            order.completed_time = _ib_time()
            order.completed_status = f"Rejected: {_NO_SECURITY_DEFINITION}"
            session.send(wire.error(order_id, 200, _NO_SECURITY_DEFINITION))
            return
        reason = self._rejection(placed)
        if reason is not None:
            self._reject(order, reason)
            return
        order.status = "Submitted"
        self._send_order_update(order)
        self._try_fill(order)

    def _rejection(self, placed: PlacedOrder) -> str | None:
        if self._reject_rule is not None:
            reason = self._reject_rule(placed)
            if reason is not None:
                return reason
        return self._validation_error(placed)

    def _validation_error(self, placed: PlacedOrder) -> str | None:
        if placed.action not in {"BUY", "SELL"}:
            return f"action must be BUY or SELL, not {placed.action!r}"
        if placed.quantity <= 0:
            return "order quantity must be positive"
        if placed.order_type not in _SUPPORTED_ORDER_TYPES:
            return f"the fake gateway supports only MKT and LMT orders, not {placed.order_type!r}"
        if placed.order_type == "LMT" and placed.limit_price is None:
            return "a limit order needs a limit price"
        if placed.order_type == "MKT" and placed.symbol not in self._prices:
            return f"no reference price for {placed.symbol}; call set_price() first"
        return None

    def _reject(self, order: OrderRecord, reason: str) -> None:
        order.status = "Inactive"
        order.completed_time = _ib_time()
        order.completed_status = f"Rejected: {reason}"
        # Only the error, no orderStatus: ib_async then marks the trade Cancelled and keeps
        # the error text in trade.log, which is what it does with a real 201.
        self._send_about(
            order, wire.error(order.order_id, 201, f"Order rejected - reason:{reason}")
        )

    def _modify(self, session: _Session, order: OrderRecord, placed: PlacedOrder) -> None:
        if not order.is_open:
            session.send(wire.error(order.order_id, 103, "Duplicate order id"))
            return
        problem = self._validation_error(placed)
        if problem is not None:
            # 321 is a warning to ib_async, so the client keeps the still-live order.
            session.send(
                wire.error(order.order_id, 321, f"Error validating request: modify - {problem}")
            )
            return
        order.quantity = placed.quantity
        order.order_type = placed.order_type
        order.limit_price = placed.limit_price
        order.tif = placed.tif or order.tif
        self._send_order_update(order)
        self._try_fill(order)

    def _send_order_update(self, order: OrderRecord) -> None:
        inst = order.instrument
        if inst is not None:
            self._send_about(order, wire.open_order(order, inst), wire.order_status(order))

    def _try_fill(self, order: OrderRecord) -> bool:
        inst = order.instrument
        if inst is None or not order.is_open:
            return False
        price = self._prices.get(inst.symbol)
        if price is None:
            return False
        if order.order_type == "LMT":
            limit = order.limit_price
            if limit is None:
                return False
            marketable = price <= limit if order.action == "BUY" else price >= limit
            if not marketable:
                return False
        self._fill(order, inst, price)
        return True

    def _fill(self, order: OrderRecord, inst: FakeInstrument, price: float) -> None:
        shares = order.remaining
        signed = shares if order.action == "BUY" else -shares
        held_before = self._book.position(inst.symbol)[0]
        closing = held_before != 0.0 and (held_before > 0) != (signed > 0)
        realized = self._book.apply_fill(inst.symbol, signed, price, inst.multiplier)
        self._cash -= signed * price * inst.multiplier + _COMMISSION

        order.avg_fill_price = (order.avg_fill_price * order.filled + price * shares) / (
            order.filled + shares
        )
        order.filled += shares
        order.last_fill_price = price
        order.status = "Filled"
        order.completed_time = _ib_time()
        order.completed_status = "Filled"

        execution = ExecutionRecord(
            exec_id=f"{order.perm_id:08x}.{next(self._exec_seq):08x}.01.01",
            client_id=order.client_id,
            order_id=order.order_id,
            perm_id=order.perm_id,
            instrument=inst,
            side="BOT" if signed > 0 else "SLD",
            shares=shares,
            price=price,
            time=_ib_time(),
            cum_qty=order.filled,
            avg_price=order.avg_fill_price,
            order_ref=order.order_ref,
            account=order.account,
            commission=_COMMISSION,
            realized_pnl=realized if closing else None,
        )
        self._executions.append(execution)
        # Commission before the Filled status: a client awaiting the trade's filledEvent
        # then already finds the commission on the fill.
        self._send_about(
            order,
            wire.exec_details(-1, execution),
            wire.commission_report(execution),
            wire.order_status(order),
            wire.open_order(order, inst),
        )
        if self._position_delay > 0:
            # A real gateway sends positions on their own schedule; tests of the gap between
            # a fill and its position message set position_delay.
            loop = asyncio.get_running_loop()
            self._delayed = {h for h in self._delayed if h.when() > loop.time()}
            self._delayed.add(loop.call_later(self._position_delay, self._push_after_fill, inst))
        else:
            self._push_after_fill(inst)

    def _push_after_fill(self, inst: FakeInstrument) -> None:
        self._push_position(inst)
        self._push_account_updates([inst])

    def _on_cancel_order(self, session: _Session, fields: list[str]) -> None:
        # [4, 1, orderId, manualCancelOrderTime]
        order_id = int(fields[2])
        self.cancel_requests.append(order_id)
        order = self._orders.get((session.client_id or 0, order_id))
        if order is None:
            session.send(
                wire.error(
                    order_id, 10147, f"OrderId {order_id} that needs to be cancelled is not found."
                )
            )
            return
        if not order.is_open:
            text = (
                f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                f"state: {order.status}."
            )
            session.send(wire.error(order_id, 10148, text))
            return
        self._cancel(order)

    def _on_req_global_cancel(self, session: _Session, fields: list[str]) -> None:
        for order in list(self._orders.values()):
            if order.is_open:
                self._cancel(order)

    def _cancel(self, order: OrderRecord) -> None:
        order.status = "Cancelled"
        order.completed_time = _ib_time()
        order.completed_status = "Cancelled by Trader"
        # Status first so the trade carries final filled/remaining figures when the 202
        # (which ib_async logs as an error) arrives for an already-done trade.
        self._send_about(
            order,
            wire.order_status(order),
            wire.error(order.order_id, 202, "Order Canceled - reason:"),
        )

    def _on_req_open_orders(self, session: _Session, fields: list[str]) -> None:
        # reqOpenOrders: only this client's orders (client 0 also sees TWS's, which are its own).
        self._send_open_orders(session, lambda order: order.client_id == session.client_id)

    def _on_req_all_open_orders(self, session: _Session, fields: list[str]) -> None:
        self._send_open_orders(session, lambda order: True)

    def _send_open_orders(self, session: _Session, wanted: Callable[[OrderRecord], bool]) -> None:
        for order in self._orders.values():
            if order.is_open and order.instrument is not None and wanted(order):
                session.send(wire.open_order(order, order.instrument))
                session.send(wire.order_status(order))
        session.send(wire.open_order_end())

    def _on_req_completed_orders(self, session: _Session, fields: list[str]) -> None:
        for order in self._orders.values():
            if not order.is_open and order.instrument is not None:
                session.send(wire.completed_order(order, order.instrument))
        session.send(wire.completed_orders_end())

    def _on_req_executions(self, session: _Session, fields: list[str]) -> None:
        # [7, 3, reqId, clientId, acctCode, time, symbol, secType, exchange, side]
        req_id = int(fields[2])
        client_filter = _int_field(fields[3])
        account, symbol, sec_type, side = fields[4], fields[6], fields[7], fields[9]
        wanted_side = {"BUY": "BOT", "SELL": "SLD"}.get(side, side)
        for ex in self._executions:
            if (
                (not client_filter or ex.client_id == client_filter)
                and (not account or ex.account == account)
                and (not symbol or ex.instrument.symbol == symbol)
                and (not sec_type or ex.instrument.sec_type == sec_type)
                and (not wanted_side or ex.side == wanted_side)
            ):
                session.send(wire.exec_details(req_id, ex))
                session.send(wire.commission_report(ex))
        session.send(wire.exec_details_end(req_id))

    # ------------------------------------------------------------------ portfolio & account

    def _open_quantities(self) -> list[tuple[str, float]]:
        return [(s, self._book.position(s)[0]) for s in self._book.open_symbols()]

    def _mark(self, symbol: str) -> float:
        px = self._prices.get(symbol)
        return px if px is not None else self._book.position(symbol)[1]

    def _on_req_positions(self, session: _Session, fields: list[str]) -> None:
        session.positions = True
        for symbol, qty in self._open_quantities():
            avg = self._book.position(symbol)[1]
            session.send(wire.position(self.account, self._by_symbol[symbol], qty, avg))
        session.send(wire.position_end())

    def _on_cancel_positions(self, session: _Session, fields: list[str]) -> None:
        session.positions = False

    def _push_position(self, inst: FakeInstrument) -> None:
        qty, avg = self._book.position(inst.symbol)
        for session in list(self._sessions):
            if session.live and session.positions:
                session.send(wire.position(self.account, inst, qty, avg))

    def _on_req_account_updates(self, session: _Session, fields: list[str]) -> None:
        # [6, 2, subscribe, acctCode]
        session.account_updates = fields[2] in {"1", "True", "true"}
        if session.account_updates:
            insts = [self._by_symbol[s] for s in self._book.open_symbols()]
            self._send_account_updates(session, insts)
            session.send(wire.account_download_end(self.account))

    def _on_req_account_updates_multi(self, session: _Session, fields: list[str]) -> None:
        # [76, 1, reqId, account, modelCode, ledgerAndNLV]: the reqAccountUpdates rows
        # already carry every value, so only the end marker the client waits for is sent.
        session.send(wire.account_update_multi_end(int(fields[2])))

    def _push_account_updates(self, insts: Sequence[FakeInstrument]) -> None:
        for session in list(self._sessions):
            if session.live and session.account_updates:
                self._send_account_updates(session, insts)

    def _send_account_updates(self, session: _Session, insts: Sequence[FakeInstrument]) -> None:
        for tag, value, currency in self._account_rows():
            session.send(wire.account_value(tag, value, currency, self.account))
        for inst in insts:
            qty, avg = self._book.position(inst.symbol)
            session.send(
                wire.portfolio_value(
                    self.account,
                    inst,
                    qty,
                    self._mark(inst.symbol),
                    avg,
                    self._book.realized.get(inst.symbol, 0.0),
                )
            )
        session.send(wire.account_time(datetime.now(UTC).strftime("%H:%M")))

    def _figures(self) -> dict[str, float]:
        gross = sum(
            abs(qty * self._mark(s) * self._by_symbol[s].multiplier)
            for s, qty in self._open_quantities()
        )
        stock = sum(
            qty * self._mark(s) * self._by_symbol[s].multiplier
            for s, qty in self._open_quantities()
        )
        net_liq = self._cash + stock
        init_margin = gross * _MARGIN_RATE
        available = net_liq - init_margin
        return {
            "net_liq": net_liq,
            "cash": self._cash,
            "gross": gross,
            "stock": stock,
            "margin": init_margin,
            "available": available,
            "buying_power": 4 * available,
            "realized": self.realized_pnl,
            "unrealized": self.unrealized_pnl,
            "cushion": available / net_liq if net_liq else 0.0,
            "leverage": gross / net_liq if net_liq else 0.0,
        }

    def _account_rows(self) -> list[tuple[str, str, str]]:
        """Rows for accountValue(6) messages: (tag, value, currency)."""
        f = self._figures()
        rows = [
            ("AccountCode", self.account, ""),
            ("AccountType", "INDIVIDUAL", ""),
            ("Currency", "USD", "USD"),
            ("Currency", "BASE", "BASE"),
        ]
        usd_and_base = (
            ("CashBalance", f["cash"]),
            ("TotalCashBalance", f["cash"]),
            ("NetLiquidationByCurrency", f["net_liq"]),
            ("StockMarketValue", f["stock"]),
            ("RealizedPnL", f["realized"]),
            ("UnrealizedPnL", f["unrealized"]),
        )
        for tag, value in usd_and_base:
            rows.append((tag, _money(value), "USD"))
            rows.append((tag, _money(value), "BASE"))
        usd_only = (
            ("NetLiquidation", f["net_liq"]),
            ("TotalCashValue", f["cash"]),
            ("SettledCash", f["cash"]),
            ("EquityWithLoanValue", f["net_liq"]),
            ("GrossPositionValue", f["gross"]),
            ("InitMarginReq", f["margin"]),
            ("MaintMarginReq", f["margin"]),
            ("AvailableFunds", f["available"]),
            ("ExcessLiquidity", f["available"]),
            ("BuyingPower", f["buying_power"]),
        )
        rows.extend((tag, _money(value), "USD") for tag, value in usd_only)
        return rows

    def _summary_values(self) -> dict[str, tuple[str, str]]:
        """Values for accountSummary(63) by tag: (value, currency)."""
        f = self._figures()
        usd = {
            "NetLiquidation": f["net_liq"],
            "TotalCashValue": f["cash"],
            "SettledCash": f["cash"],
            "AccruedCash": 0.0,
            "BuyingPower": f["buying_power"],
            "EquityWithLoanValue": f["net_liq"],
            "PreviousDayEquityWithLoanValue": f["net_liq"],
            "GrossPositionValue": f["gross"],
            "RegTEquity": f["net_liq"],
            "RegTMargin": f["margin"],
            "SMA": f["net_liq"],
            "InitMarginReq": f["margin"],
            "MaintMarginReq": f["margin"],
            "AvailableFunds": f["available"],
            "ExcessLiquidity": f["available"],
            "FullInitMarginReq": f["margin"],
            "FullMaintMarginReq": f["margin"],
            "FullAvailableFunds": f["available"],
            "FullExcessLiquidity": f["available"],
            "LookAheadInitMarginReq": f["margin"],
            "LookAheadMaintMarginReq": f["margin"],
            "LookAheadAvailableFunds": f["available"],
            "LookAheadExcessLiquidity": f["available"],
        }
        values = {tag: (_money(v), "USD") for tag, v in usd.items()}
        values["AccountType"] = ("INDIVIDUAL", "")
        values["Cushion"] = (f"{f['cushion']:.6f}", "")
        values["Leverage"] = (f"{f['leverage']:.2f}", "")
        values["DayTradesRemaining"] = ("-1", "")
        return values

    def _on_req_account_summary(self, session: _Session, fields: list[str]) -> None:
        # [62, 1, reqId, group, tags]
        req_id = int(fields[2])
        values = self._summary_values()
        f = self._figures()
        for tag in (t.strip() for t in fields[4].split(",")):
            if tag in values:
                value, currency = values[tag]
                session.send(wire.account_summary(req_id, self.account, tag, value, currency))
            elif tag.startswith("$LEDGER"):
                for currency in ("BASE", "USD"):
                    for ledger_tag, amount in (
                        ("CashBalance", f["cash"]),
                        ("TotalCashBalance", f["cash"]),
                        ("NetLiquidationByCurrency", f["net_liq"]),
                        ("RealizedPnL", f["realized"]),
                        ("UnrealizedPnL", f["unrealized"]),
                    ):
                        session.send(
                            wire.account_summary(
                                req_id, self.account, ledger_tag, _money(amount), currency
                            )
                        )
        session.send(wire.account_summary_end(req_id))


async def serve(host: str, port: int) -> None:
    """Run a fake gateway with the default instruments and prices until cancelled.

    Args:
        host: Interface to listen on.
        port: Port to listen on (0 picks a free one).
    """
    async with FakeIBGateway(host, port, prices=_STANDALONE_PRICES) as gateway:
        await gateway.serve_forever()
