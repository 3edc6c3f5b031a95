"""SimulatedBroker: fills, positions, account values and injectable faults, in memory.

Deterministic: order ids count up from 1, market orders fill at the reference price, limit
orders rest until the reference price reaches them (then fill at that price), and the only
randomness (``walk_prices``) comes from the seeded generator. Like IB, it reports a fill
and the position change separately: ``hold_position_reports`` keeps the position messages
back (``positions()`` then lags the fills) until ``release_position_reports``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import structlog

from hydra.application import OrderHandle
from hydra.application.subscribers import attach
from hydra.domain import (
    AccountSnapshot,
    BrokerError,
    BrokerNotConnectedError,
    CapabilityAlreadyClaimedError,
    Clock,
    ConnectionState,
    ContractSpec,
    Fill,
    Instrument,
    InvalidInputError,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    SecurityType,
    Side,
    TimeInForce,
    UnknownInstrumentError,
    UnknownOrderError,
)
from hydra.domain._unique import Unique
from hydra.domain._validate import finite, non_negative, positive
from hydra.domain.clock import system_clock

if TYPE_CHECKING:
    from hydra.application import BrokerObserver, BrokerPort, OrderListener, Unsubscribe

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_INSTRUMENTS",
    "DEFAULT_PRICES",
    "ReceivedOrder",
    "SimulatedBroker",
]

_log = structlog.get_logger("hydra.sim")

DEFAULT_ACCOUNT = "SIM0001"
"""The account id a SimulatedBroker reports unless told otherwise."""

DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("AAPL", SecurityType.STOCK, "SMART", "USD", "NASDAQ", 265598),
    Instrument("MSFT", SecurityType.STOCK, "SMART", "USD", "NASDAQ", 272093),
    Instrument("SPY", SecurityType.STOCK, "SMART", "USD", "ARCA", 756733),
    Instrument("IBM", SecurityType.STOCK, "SMART", "USD", "NYSE", 8314),
    Instrument("ES", SecurityType.FUTURE, "CME", "USD", "", 495512563, 50.0),
)
"""The instruments a SimulatedBroker knows unless told otherwise (ES: multiplier 50)."""

DEFAULT_PRICES: Mapping[str, float] = {
    "AAPL": 200.0,
    "MSFT": 400.0,
    "SPY": 500.0,
    "IBM": 250.0,
    "ES": 5000.0,
}
"""Starting reference prices for ``DEFAULT_INSTRUMENTS``."""


class ReceivedOrder(NamedTuple):
    """An order as the simulated broker received it: proof of what reached the broker."""

    order_id: int
    symbol: str
    side: Side
    quantity: float
    order_type: OrderType
    limit_price: float | None


@dataclass(slots=True)
class _Holding:
    quantity: float = 0.0
    avg_cost: float = 0.0


class _SimSubmitCapability(Unique):
    """The simulator's submit capability; only its one claimant holds it."""

    __slots__ = ("_broker",)

    def __init__(self, broker: SimulatedBroker) -> None:
        self._broker = broker

    def reserve_order_id(self) -> int:
        """The order id the next submit will use (the simulator's ids simply count up)."""
        return self._broker._reserve()

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send the order to the simulated broker now."""
        # The capability is the broker's own door to its private order entry.
        return self._broker._place(contract, order)


class SimulatedBroker(Unique):
    """An in-memory broker behind the BrokerPort, with a submit capability claimable once.

    Args:
        instruments: the instruments it knows (``qualify_contract`` refuses others).
        prices: starting reference price per symbol (market orders fill at it).
        cash: starting cash in the account currency.
        account: the account id reported in snapshots.
        seed: seeds the generator behind ``walk_prices`` (everything else is deterministic).
        commission: charged per fill, in the account currency.
        clock: time source for fills and price times.
        history: how many received orders ``received`` remembers (memory stays bounded).
        size_increments: per symbol, the quantity step orders must respect (default 1).
    """

    def __init__(
        self,
        instruments: Iterable[Instrument] = DEFAULT_INSTRUMENTS,
        prices: Mapping[str, float] | None = None,
        *,
        cash: float = 100_000.0,
        account: str = DEFAULT_ACCOUNT,
        seed: int = 0,
        commission: float = 0.0,
        clock: Clock | None = None,
        history: int = 100_000,
        size_increments: Mapping[str, float] | None = None,
    ) -> None:
        self._instruments: dict[str, Instrument] = {}
        for instrument in instruments:
            if not isinstance(instrument, Instrument):
                raise InvalidInputError("instruments", "must hold Instrument values", instrument)
            known = (
                instrument
                if instrument.is_qualified
                else instrument.qualified(_synthetic_con_id(instrument.symbol))
            )
            self._instruments[known.symbol] = known
        self._by_con_id = {i.con_id: i for i in self._instruments.values()}
        steps = dict(size_increments or {})
        self._specs = {
            i.con_id: ContractSpec.of(
                i, positive(f"size_increments[{i.symbol}]", steps.pop(i.symbol, 1.0))
            )
            for i in self._instruments.values()
        }
        if steps:
            raise InvalidInputError(
                "size_increments", "names symbols the simulator does not know", sorted(steps)
            )
        start_prices = dict(DEFAULT_PRICES if prices is None else prices)
        self._clock: Clock = clock if clock is not None else system_clock
        self._prices: dict[str, float] = {}
        # The Quote per symbol, built when the price is set: reading it costs nothing.
        self._quotes: dict[str, Quote] = {}
        for symbol, price in start_prices.items():
            if symbol in self._instruments:
                self._prices[symbol] = positive(f"prices[{symbol}]", price)
                self._quotes[symbol] = Quote(self._prices[symbol], self._clock())
        self._cash = non_negative("cash", cash)
        self._account = account
        self._commission = non_negative("commission", commission)
        self._rng = random.Random(seed)  # noqa: S311  (a simulation, not cryptography)
        self._state = ConnectionState.DISCONNECTED
        self._dropped = False
        self._reconnects = 0
        self._holdings: dict[str, _Holding] = {}
        self._realized = 0.0
        # The last account snapshot, until a fill or a price moves it (the gate asks for
        # it on every decision).
        self._snapshot: AccountSnapshot | None = None
        # Only working orders are kept: memory stays flat however many orders pass.
        self._open: dict[int, OrderHandle] = {}
        self._resting: dict[int, OrderHandle] = {}
        self._listeners: list[OrderListener] = []
        self._observers: list[BrokerObserver] = []
        # Positions as reported to clients: they follow the fills unless reports are held.
        self._reported: dict[str, float] = {}
        self._held_reports: deque[str] | None = None
        self._next_id = 1
        self._reserved: int | None = None  # the id the gate's next submit uses
        self._exec_ids = itertools.count(1)
        self._reject_next = 0
        self._fail_handoffs = 0
        self._reject_reason = ""
        self._latency = 0.0
        self._claimed = False
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise InvalidInputError("history", "must be a positive integer", history)
        # Plain tuples on the order path; ``received`` names their fields when read.
        self._received: deque[tuple[int, str, Side, float, OrderType, float | None]] = deque(
            maxlen=history
        )

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        """Connect (instantly; after ``set_latency`` it takes that long).

        After ``drop_connection`` this is the reconnect, counted in ``reconnects``.
        """
        if self._dropped:
            self._dropped = False
            self._reconnects += 1
        if self._latency:
            self._state = ConnectionState.CONNECTING
            await asyncio.sleep(self._latency)
        self._state = ConnectionState.CONNECTED
        _log.info("sim.connected", account=self._account)

    async def disconnect(self) -> None:
        """Disconnect deliberately; resting orders stay at the broker."""
        self._state = ConnectionState.DISCONNECTED
        _log.info("sim.disconnected", account=self._account)

    def is_connected(self) -> bool:
        """True while connected."""
        return self._state is ConnectionState.CONNECTED

    @property
    def connection_state(self) -> ConnectionState:
        """The simulated connection's state."""
        return self._state

    @property
    def reconnects(self) -> int:
        """Reconnects after ``drop_connection``: each ``connect()`` that follows a drop.

        The simulator has no reconnect loop of its own; its host (or a test) reconnects.
        """
        return self._reconnects

    # ------------------------------------------------------------------ reads
    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Return the known instrument matching ``contract`` (by con_id, else symbol)."""
        if not isinstance(contract, Instrument):
            raise InvalidInputError("contract", "must be an Instrument", contract)
        known = self._lookup(contract)
        if known is None:
            raise UnknownInstrumentError(
                f"unknown instrument {contract.symbol!r} ({contract.sec_type.value}, "
                f"{contract.currency}); the simulator knows {sorted(self._instruments)}"
            )
        return known

    def contract_spec(self, instrument: Instrument) -> ContractSpec | None:
        """The simulator's own economics for ``instrument`` (None when it does not know it)."""
        known = self._lookup(instrument)
        return None if known is None else self._specs[known.con_id]

    async def get_positions(self) -> list[Position]:
        """Non-zero positions, as reported (the seed's async read)."""
        return self.positions()

    async def get_account_summary(self) -> AccountSnapshot:
        """Account values (the seed's async read)."""
        return self.account()

    def positions(self) -> list[Position]:
        """Non-zero positions as last reported (lagging the fills while reports are held)."""
        return [
            Position(self._instruments[symbol], quantity, self._avg_cost(symbol))
            for symbol, quantity in self._reported.items()
            if quantity
        ]

    def _avg_cost(self, symbol: str) -> float:
        holding = self._holdings.get(symbol)
        return holding.avg_cost if holding is not None else 0.0

    def account(self) -> AccountSnapshot:
        """Equity (cash + marked positions), cash and realized/unrealized P&L."""
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._snapshot = self._mark()
        return snapshot

    def _mark(self) -> AccountSnapshot:
        unrealized = 0.0
        market_value = 0.0
        for symbol, holding in self._holdings.items():
            if not holding.quantity:
                continue
            multiplier = self._instruments[symbol].multiplier
            price = self._prices.get(symbol, holding.avg_cost)
            market_value += holding.quantity * price * multiplier
            unrealized += (price - holding.avg_cost) * holding.quantity * multiplier
        return AccountSnapshot(
            self._account,
            self._cash + market_value,
            self._cash,
            self._realized,
            unrealized,
        )

    def open_orders(self) -> list[OrderHandle]:
        """Orders not done yet."""
        return list(self._open.values())

    @property
    def received(self) -> list[ReceivedOrder]:
        """The most recent orders that reached this broker (up to ``history``), oldest first."""
        return [ReceivedOrder._make(order) for order in self._received]

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event; returns the unsubscribe function."""
        return attach(self._listeners, listener)

    def observe(self, observer: BrokerObserver) -> Unsubscribe:
        """Follow every order handle change and position report; returns the unsubscribe."""
        return attach(self._observers, observer)

    # ------------------------------------------------------------------ orders
    def claim_submit_capability(self) -> _SimSubmitCapability:
        """Hand out the submit capability, once; a second claim raises."""
        if self._claimed:
            raise CapabilityAlreadyClaimedError(
                "the submit capability of this SimulatedBroker is already claimed "
                "(one RiskGate per broker; orders go through that gate)"
            )
        self._claimed = True
        return _SimSubmitCapability(self)

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Cancel a working order; unknown or done orders raise ``UnknownOrderError``."""
        self._require_connected("cancel")
        if self._latency:
            await asyncio.sleep(self._latency)
        known = self._open.get(handle.order_id)
        if known is None:
            raise UnknownOrderError(
                f"order {handle.order_id} is unknown or already done; nothing to cancel"
            )
        self._resting.pop(handle.order_id, None)
        self._emit(known, OrderStatus.CANCELLED, "cancelled by request")

    async def cancel_all(self) -> None:
        """Global cancel: every working order of the account, foreign ones too."""
        self._require_connected("cancel")
        if self._latency:
            await asyncio.sleep(self._latency)
        for handle in list(self._open.values()):
            self._resting.pop(handle.order_id, None)
            self._emit(handle, OrderStatus.CANCELLED, "cancelled by global cancel")

    def _reserve(self) -> int:
        """Hold the next order id for the capability's next submit (foreign orders skip it)."""
        if self._reserved is None:
            self._reserved = self._next_id
            self._next_id += 1
        return self._reserved

    def _place(
        self, contract: Instrument, order: OrderRequest, *, foreign: bool = False
    ) -> OrderHandle:
        if self._state is not ConnectionState.CONNECTED:
            self._require_connected("submit")
        if self._reserved is not None and not foreign:
            order_id, self._reserved = self._reserved, None
        else:
            order_id = self._next_id
            self._next_id = order_id + 1
        if self._fail_handoffs and not foreign:
            self._fail_handoffs -= 1  # the id is spent, as a send that fails at IB spends it
            raise BrokerError("simulated hand-off failure; the order was not sent")
        handle = (
            OrderHandle(order_id, contract, order, foreign=True)
            if foreign
            else OrderHandle(order_id, contract, order)
        )
        self._open[order_id] = handle
        self._received.append(
            (
                order_id,
                contract.symbol,
                order.side,
                order.quantity,
                order.order_type,
                order.limit_price,
            )
        )
        if self._latency:
            asyncio.get_running_loop().call_later(self._latency, self._accept_later, handle)
        else:
            self._accept(handle)
        return handle

    def _accept_later(self, handle: OrderHandle) -> None:
        if not handle.status.is_done:  # cancelled while the simulated latency ran
            self._accept(handle)

    def _accept(self, handle: OrderHandle) -> None:
        symbol = handle.instrument.symbol
        if self._reject_next:
            self._reject_next -= 1
            self._emit(handle, OrderStatus.REJECTED, self._reject_reason)
            return
        if (
            handle.instrument.con_id not in self._by_con_id
            and self._lookup(handle.instrument) is None
        ):
            self._emit(handle, OrderStatus.REJECTED, f"unknown instrument {symbol!r}")
            return
        price = self._prices.get(symbol)
        request = handle.request
        if request.order_type is OrderType.MARKET and price is None:
            self._emit(handle, OrderStatus.REJECTED, f"no reference price for {symbol}")
            return
        filled = handle.filled  # _emit's event, built in place: every order passes here
        self._publish(
            handle,
            OrderEvent(
                handle.order_id,
                symbol,
                OrderStatus.SUBMITTED,
                filled,
                request.quantity - filled,
                handle.avg_fill_price,
            ),
        )
        if price is not None and _crosses(request, price):
            self._fill(handle, price)
        elif request.tif is TimeInForce.IOC:
            self._emit(handle, OrderStatus.CANCELLED, "IOC order not marketable")
        else:
            self._resting[handle.order_id] = handle

    def _fill(self, handle: OrderHandle, price: float) -> None:
        request = handle.request
        order_id = handle.order_id
        symbol = handle.instrument.symbol
        quantity = request.quantity
        signed = quantity if request.side is Side.BUY else -quantity
        multiplier = self._instruments[symbol].multiplier
        held = self._book(symbol, signed, price, multiplier)
        self._cash -= signed * price * multiplier + self._commission
        fill = Fill(
            order_id,
            symbol,
            request.side,
            quantity,
            price,
            self._clock(),
            "SIM.%08d" % next(self._exec_ids),  # noqa: UP031  (the fastest on this path)
            self._commission,
        )
        if self._resting:
            self._resting.pop(order_id, None)
        event = OrderEvent(order_id, symbol, OrderStatus.FILLED, quantity, 0.0, price, "", fill)
        self._publish(handle, event)
        self._report_position(symbol, held)

    def _report_position(self, symbol: str, quantity: float) -> None:
        """IB's separate position message: now, or queued while reports are held."""
        if self._held_reports is not None:
            self._held_reports.append(symbol)
            return
        self._deliver_position(symbol, quantity)

    def _deliver_position(self, symbol: str, quantity: float) -> None:
        self._reported[symbol] = quantity
        if not self._observers:
            return
        position = Position(self._instruments[symbol], quantity, self._avg_cost(symbol))
        for observer in tuple(self._observers):
            try:
                observer.on_position(position)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the broker)
                _log.exception("sim.observer_failed", symbol=symbol)

    def _book(self, symbol: str, signed_qty: float, price: float, multiplier: float) -> float:
        """Book a fill into the holding; returns the new quantity."""
        self._snapshot = None  # cash, holdings and P&L are about to move
        holding = self._holdings.get(symbol)
        if holding is None:
            holding = self._holdings[symbol] = _Holding()
        old = holding.quantity
        new = old + signed_qty
        if old == 0.0 or (old > 0) == (signed_qty > 0):
            holding.avg_cost = (abs(old) * holding.avg_cost + abs(signed_qty) * price) / abs(new)
        else:
            closed = min(abs(signed_qty), abs(old))
            self._realized += (
                closed * (price - holding.avg_cost) * (1 if old > 0 else -1) * (multiplier)
            )
            if new == 0.0:
                holding.avg_cost = 0.0
            elif (new > 0) != (old > 0):
                holding.avg_cost = price  # flipped: the remainder opened at this price
        holding.quantity = new
        return new

    # ------------------------------------------------------------------ scripting
    def set_price(self, symbol: str, price: float) -> None:
        """Set the reference price; resting limit orders it reaches fill at it."""
        if symbol not in self._instruments:
            raise InvalidInputError("symbol", "is not an instrument this simulator knows", symbol)
        self._prices[symbol] = positive("price", price)
        self._quotes[symbol] = Quote(self._prices[symbol], self._clock())
        self._snapshot = None
        for handle in list(self._resting.values()):
            if handle.instrument.symbol == symbol and _crosses(handle.request, price):
                self._fill(handle, price)

    def price(self, symbol: str) -> float | None:
        """The reference price of ``symbol`` (None when it has none)."""
        return self._prices.get(symbol)

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The reference price of ``instrument`` and when it was set (None if it has none)."""
        known = self._lookup(instrument)
        return None if known is None else self._quotes.get(known.symbol)

    def walk_prices(self, drift: float = 0.0, volatility: float = 0.005) -> dict[str, float]:
        """Move every price one seeded random step (relative ``drift`` plus noise)."""
        for symbol in sorted(self._prices):
            step = drift + self._rng.gauss(0.0, volatility)
            self.set_price(symbol, round(max(0.01, self._prices[symbol] * (1.0 + step)), 2))
        return dict(self._prices)

    def hold_position_reports(self) -> None:
        """Fault: keep position messages back after fills (``positions()`` lags them)."""
        if self._held_reports is None:
            self._held_reports = deque()

    def release_position_reports(self, count: int | None = None) -> int:
        """Deliver the oldest ``count`` held position messages (all by default).

        Each message reports the position as it is at delivery. Returns how many were
        delivered; once none is left held and ``count`` is None, reports flow again.
        """
        queue = self._held_reports
        if queue is None:
            return 0
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 0
        ):
            raise InvalidInputError("count", "must be a non-negative integer or None", count)
        delivered = 0
        while queue and (count is None or delivered < count):
            symbol = queue.popleft()
            self._deliver_position(symbol, self._holdings[symbol].quantity)
            delivered += 1
        if count is None:
            self._held_reports = None
        return delivered

    def book_external_trade(self, symbol: str, quantity: float, price: float) -> None:
        """Fault: a trade no order event reports; only the position message tells of it.

        Like a manual trade or a correction booked at the broker.
        """
        if symbol not in self._instruments:
            raise InvalidInputError("symbol", "is not an instrument this simulator knows", symbol)
        signed = finite("quantity", quantity)
        multiplier = self._instruments[symbol].multiplier
        held = self._book(symbol, signed, positive("price", price), multiplier)
        self._cash -= signed * price * multiplier
        self._report_position(symbol, held)

    def inject_foreign_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Fault: an order placed at the broker by someone else (another client, TWS).

        It is not sent through any gate; it rests or fills like any other order, and
        clients see it as ``foreign``.
        """
        if not isinstance(contract, Instrument) or not isinstance(order, OrderRequest):
            raise InvalidInputError("order", "needs an Instrument and an OrderRequest", order)
        known = self._lookup(contract)
        if known is None:
            raise UnknownInstrumentError(f"unknown instrument {contract.symbol!r}")
        return self._place(known, order, foreign=True)

    def drop_connection(self) -> None:
        """Fault: the connection drops now (resting orders stay); ``connect()`` restores it."""
        self._state = ConnectionState.DISCONNECTED
        self._dropped = True
        _log.warning("sim.connection_dropped", account=self._account)

    def reject_next(self, count: int = 1, reason: str = "simulated rejection") -> None:
        """Fault: reject the next ``count`` orders with ``reason``."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInputError("count", "must be a non-negative integer", count)
        self._reject_next = count
        self._reject_reason = reason

    def fail_next_submits(self, count: int = 1) -> None:
        """Fault: the next ``count`` submits raise ``BrokerError`` at hand-off (nothing sent)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInputError("count", "must be a non-negative integer", count)
        self._fail_handoffs = count

    def set_latency(self, seconds: float) -> None:
        """Fault: delay acknowledgements, fills, cancels and connects by ``seconds``."""
        self._latency = non_negative("seconds", seconds)

    # ------------------------------------------------------------------ internals
    def _lookup(self, contract: Instrument) -> Instrument | None:
        if contract.con_id:
            return self._by_con_id.get(contract.con_id)
        known = self._instruments.get(contract.symbol)
        if known is None or known.sec_type != contract.sec_type:
            return None
        if known.currency != contract.currency:
            return None
        return known

    def _require_connected(self, action: str) -> None:
        if self._state is not ConnectionState.CONNECTED:
            raise BrokerNotConnectedError(
                f"cannot {action}: simulated broker is {self._state.value}; nothing was sent"
            )

    def _emit(self, handle: OrderHandle, status: OrderStatus, message: str = "") -> None:
        remaining = handle.request.quantity - handle.filled
        if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            remaining = 0.0
        event = OrderEvent(
            handle.order_id,
            handle.instrument.symbol,
            status,
            handle.filled,
            remaining,
            handle.avg_fill_price,
            message,
        )
        self._publish(handle, event)

    def _publish(self, handle: OrderHandle, event: OrderEvent) -> None:
        handle.apply(event)
        if event.status.is_done:
            self._open.pop(handle.order_id, None)
        if self._observers:
            self._notify(handle)
        if self._listeners:
            self._tell(event)

    def _notify(self, handle: OrderHandle) -> None:
        for observer in tuple(self._observers):
            try:
                observer.on_order(handle)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the broker)
                _log.exception("sim.observer_failed", order_id=handle.order_id)

    def _tell(self, event: OrderEvent) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the broker)
                _log.exception("sim.listener_failed", order_id=event.order_id)


def _crosses(request: OrderRequest, price: float) -> bool:
    """True when an order would trade at ``price`` (market always; limit if reached)."""
    if request.order_type is OrderType.MARKET:
        return True
    assert request.limit_price is not None  # noqa: S101  (OrderRequest guarantees it)
    if request.side is Side.BUY:
        return price <= request.limit_price
    return price >= request.limit_price


def _synthetic_con_id(symbol: str) -> int:
    """A stable made-up contract id for instruments given without one."""
    return 900_000_000 + sum((i + 1) * ord(c) for i, c in enumerate(symbol))


if TYPE_CHECKING:
    _conforms: BrokerPort = SimulatedBroker()
