"""The fake gateway's shared state: instruments, prices, sessions and message routing."""

from __future__ import annotations

import asyncio
import collections
import itertools
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hydra.adapters.sim.money import DEFAULT_RATES, DEFAULT_SHORTABLE
from hydra.testing import _wire as wire
from hydra.testing._margin import MarginModel
from hydra.testing._model import (
    ExecutionRecord,
    FakeInstrument,
    OrderRecord,
    PlacedOrder,
    PositionBook,
    one_tick_quote,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import date

    from hydra.testing._instruments import ContractQuery


# Real permIds are large; starting high keeps them visibly distinct from order ids in logs.
_FIRST_PERM_ID = 1_000_000_001
BASE_CURRENCY = "USD"
# Units of the base currency one unit of each currency buys (IB's ExchangeRate values):
# the simulator's table, so a paper account reads the same on both.
DEFAULT_EXCHANGE_RATES: dict[str, float] = dict(DEFAULT_RATES)
# Shares a stock has to lend (generic tick 236) until a test says otherwise.
DEFAULT_SHORTABLE_SHARES = DEFAULT_SHORTABLE


def ib_time() -> str:
    """Timestamp in the "yyyymmdd hh:mm:ss zone" form clients parse with a timezone."""
    return datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")


def int_field(text: str) -> int:
    """An integer field; empty reads as 0."""
    return int(text) if text else 0


class Session:
    """One API connection; order messages are routed to it by its client id."""

    __slots__ = (
        "account_updates",
        "client_id",
        "market_data",
        "pnl",
        "positions",
        "recent",
        "shortable",
        "version",
        "writer",
    )

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.client_id: int | None = None
        self.version = wire.MAX_SERVER_VERSION
        self.positions = False
        self.account_updates = False
        # Live reqMktData subscriptions of this connection: reqId -> instrument.
        self.market_data: dict[int, FakeInstrument] = {}
        # The subscriptions among them that asked for generic tick 236 (shortable shares).
        self.shortable: set[int] = set()
        # Live reqPnL (None) and reqPnLSingle (instrument) subscriptions: reqId -> target.
        self.pnl: dict[int, FakeInstrument | None] = {}
        # Arrival times of the last messages, for pacing.
        self.recent: collections.deque[float] = collections.deque()

    @property
    def live(self) -> bool:
        """Whether the connection finished startApi and is still open."""
        return self.client_id is not None and not self.writer.is_closing()

    def send(self, fields: list[str]) -> None:
        """Write one message (dropped once the socket is closing)."""
        if not self.writer.is_closing():
            self.writer.write(wire.encode(fields))

    def error(self, req_id: int, code: int, message: str) -> None:
        """Send IB's error message in this connection's layout."""
        self.send(wire.error(req_id, code, message, self.version))

    def over_pace(self, now: float, limit: int) -> bool:
        """Record a message at ``now``; True when more than ``limit`` arrived within 1 s."""
        recent = self.recent
        recent.append(now)
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        return len(recent) > limit


class GatewayCore:
    """State every part of the fake gateway shares, and the ways to reach clients."""

    def __init__(
        self,
        *,
        account: str,
        instruments: Iterable[FakeInstrument],
        prices: Mapping[str, float] | None,
        cash: float,
        next_order_id: int,
    ) -> None:
        self.account = account
        self.placed: list[PlacedOrder] = []
        self.cancel_requests: list[int] = []
        self._by_key: dict[str, FakeInstrument] = {}
        self._by_con_id: dict[int, FakeInstrument] = {}
        for inst in instruments:
            if inst.key in self._by_key or inst.con_id in self._by_con_id:
                msg = f"duplicate instrument local symbol or con_id: {inst}"
                raise ValueError(msg)
            self._by_key[inst.key] = inst
            self._by_con_id[inst.con_id] = inst
        self._prices: dict[str, float] = {}
        # Session statistics per instrument key for market data: [high, low, volume].
        self._session_stats: dict[str, list[float]] = {}
        self._close: dict[str, float] = {}
        for name, px in (prices or {}).items():
            key = self._instrument(name).key
            price = float(px)
            if not math.isfinite(price) or price <= 0:
                msg = f"price of {name} must be a positive finite number, not {px!r}"
                raise ValueError(msg)
            self._prices[key] = price
            self._close[key] = price
        # Cash per currency; the account reports it converted at the exchange rates.
        self._cash: dict[str, float] = {BASE_CURRENCY: float(cash)}
        self._rates: dict[str, float] = dict(DEFAULT_EXCHANGE_RATES)
        # Currencies whose ExchangeRate the account stops reporting (set_exchange_rate None).
        self._unpublished_rates: set[str] = set()
        missing = sorted({i.currency for i in self._by_key.values()} - set(self._rates))
        if missing:
            msg = f"no exchange rate for {missing}; add them with set_exchange_rate()"
            raise ValueError(msg)
        self._margin_model = MarginModel()
        self._shortable: dict[str, float | None] = {
            inst.key: DEFAULT_SHORTABLE_SHARES if inst.sec_type == "STK" else None
            for inst in self._by_key.values()
        }
        # Trading hours: explicit texts per key, holidays, and the first day listed.
        self._hours: dict[str, tuple[str, str]] = {}
        self._holidays: set[date] = set()
        self._first_day: date | None = None
        self._next_order_id = next_order_id
        self._perm_ids = itertools.count(_FIRST_PERM_ID)
        self._exec_seq = itertools.count(1)
        self._orders: dict[tuple[int, int], OrderRecord] = {}
        self._executions: list[ExecutionRecord] = []
        self._book = PositionBook.empty()
        self._sessions: set[Session] = set()

    # ------------------------------------------------------------------ lookups

    def _instrument(self, name: str) -> FakeInstrument:
        """The instrument with local symbol ``name``, or the only one with that symbol."""
        inst = self._by_key.get(name)
        if inst is not None:
            return inst
        same = [i for i in self._by_key.values() if i.symbol == name]
        if len(same) == 1:
            return same[0]
        if same:
            keys = sorted(i.key for i in same)
            msg = f"{name!r} is ambiguous: name one of {keys}"
        else:
            msg = f"unknown instrument {name!r}; known: {sorted(self._by_key)}"
        raise KeyError(msg)

    def _match(self, query: ContractQuery) -> list[FakeInstrument]:
        return [inst for inst in self._by_key.values() if query.matches(inst)]

    def _quote(self, inst: FakeInstrument) -> tuple[float, float] | None:
        """``(bid, ask)`` one tick around the reference price, or None when unpriced."""
        price = self._prices.get(inst.key)
        return None if price is None else one_tick_quote(price, inst.min_tick)

    def _mark(self, key: str) -> float:
        px = self._prices.get(key)
        return px if px is not None else self._book.position(key)[1]

    def _open_quantities(self) -> list[tuple[str, float]]:
        return [(k, self._book.position(k)[0]) for k in self._book.open_symbols()]

    def _rate(self, currency: str) -> float:
        """Base currency per unit of ``currency`` (kept even while it is unpublished)."""
        return self._rates[currency]

    # ------------------------------------------------------------------ routing

    def _live_sessions(self) -> list[Session]:
        return [s for s in self._sessions if s.live]

    def _session_for(self, client_id: int) -> Session | None:
        for session in self._sessions:
            if session.live and session.client_id == client_id:
                return session
        return None

    def _live_session(self, client_id: int) -> Session:
        """The live connection of ``client_id``, for a fault aimed at one client.

        Raises:
            LookupError: No live connection has that client id.
        """
        session = self._session_for(client_id)
        if session is None:
            msg = f"no live connection with client id {client_id}"
            raise LookupError(msg)
        return session

    def _send_about(self, order: OrderRecord, *messages: Callable[[int], list[str]]) -> None:
        """Send order messages to the client that placed it; a foreign order's to everyone."""
        if order.foreign:
            targets = self._live_sessions()
        else:
            session = self._session_for(order.client_id)
            targets = [] if session is None else [session]
        for session in targets:
            for render in messages:
                session.send(render(session.version))

    def _broadcast(self, render: Callable[[int], list[str]]) -> None:
        for session in self._live_sessions():
            session.send(render(session.version))


def reschedule(
    delayed: set[asyncio.TimerHandle], delay: float, callback: Callable[[], None]
) -> None:
    """Run ``callback`` after ``delay`` seconds, remembering the handle so stop() can cancel it."""
    loop = asyncio.get_running_loop()
    delayed.difference_update({h for h in delayed if h.when() <= loop.time()})
    delayed.add(loop.call_later(delay, callback))
