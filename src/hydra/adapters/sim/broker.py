"""SimulatedBroker: fills, positions, account values and injectable faults, in memory.

Deterministic: order ids count up from 1, orders fill at the reference price by the
order book's rules (``book``: every IB order type, brackets, OCA groups, amendments), and
the only randomness (``walk_prices``) comes from the seeded generator. Contracts, their
identity and economics are the catalog's (``catalog``); cash, holdings and P&L the
account's (``account``). Like IB, it reports a fill and the position change separately:
``hold_position_reports`` keeps the position messages back (``positions()`` then lags the
fills) until ``release_position_reports``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, cast

import structlog

from hydra.adapters.sim.account import SimAccount
from hydra.adapters.sim.book import OrderBook
from hydra.adapters.sim.calendar import SimCalendar
from hydra.adapters.sim.catalog import DEFAULT_INSTRUMENTS, DEFAULT_PRICES, Catalog, default_price
from hydra.adapters.sim.config import SimConfig
from hydra.adapters.sim.money import Rates, Shortable, margin_of
from hydra.application import OrderHandle
from hydra.application.subscribers import attach
from hydra.domain import (
    AccountSnapshot,
    BrokerError,
    BrokerNotConnectedError,
    CapabilityAlreadyClaimedError,
    Clock,
    ConnectionState,
    ContractChain,
    ContractSpec,
    Fill,
    Instrument,
    InvalidInputError,
    MarginImpact,
    MarginModel,
    OrderEvent,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    TradingHours,
    UnknownInstrumentError,
    UnknownOrderError,
)
from hydra.domain._members import BUY, CANCELLED, CONNECTED, FILLED, MARKET, REJECTED, SUBMITTED
from hydra.domain._unique import Unique
from hydra.domain._validate import finite, non_negative, positive, text
from hydra.domain.clock import system_clock
from hydra.domain.orders import FINAL_STATUSES

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

_DEFAULT = SimConfig()
"""``[sim]``'s defaults: the constructor's are these, written once."""


_EventFields = tuple[int, str, OrderStatus, float, float, float, str, Fill | None]
_event = cast("Callable[[type[OrderEvent], _EventFields], OrderEvent]", tuple.__new__)
"""``OrderEvent(*fields)`` of all eight fields, without NamedTuple's Python-level ``__new__``.

perf: sim_submit_fill (two events per order that fills on arrival).
"""


class ReceivedOrder(NamedTuple):
    """An order as the simulated broker received it: proof of what reached the broker."""

    order_id: int
    symbol: str
    side: Side
    quantity: float
    order_type: OrderType
    limit_price: float | None


class _SimSubmitCapability(Unique):
    """The simulator's submit capability; only its one claimant holds it."""

    __slots__ = ("_broker",)

    def __init__(self, broker: SimulatedBroker) -> None:
        self._broker = broker

    def reserve_order_id(self) -> int:
        """The order id the next submit will use (the simulator's ids simply count up)."""
        return self._broker._reserve_one()

    def reserve_order_ids(self, count: int) -> tuple[int, ...]:
        """The ids the next ``submit_list`` of ``count`` legs will use, in order."""
        return self._broker._reserve(count)

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send the order to the simulated broker now."""
        # The capability is the broker's own door to its private order entry.
        return self._broker._place_one(contract, order)

    def submit_list(self, legs: Sequence[OrderLeg]) -> tuple[OrderHandle, ...]:
        """Send a bracket or an OCA group, every leg at once (children wait for parents)."""
        return self._broker._place_list(tuple(legs))

    def modify_order(self, handle: OrderHandle, order: OrderRequest) -> OrderHandle:
        """Amend a working order in place (same side and type; quantity and prices)."""
        return self._broker._amend(handle, order)


class SimulatedBroker(Unique):
    """An in-memory broker behind the BrokerPort, with a submit capability claimable once.

    Args:
        instruments: the contracts it knows (``qualify_contract`` refuses others).
        prices: starting price by symbol (or local symbol, or label); market orders fill
            at it. Options default to their intrinsic value plus 5.00.
        cash: starting cash in the account currency.
        account: the account id reported in snapshots.
        seed: seeds the generator behind ``walk_prices`` (everything else is deterministic).
        commission: charged per fill, in the account currency.
        clock: time source for fills and price times.
        history: how many received orders ``received`` remembers (memory stays bounded).
        size_increments: per symbol, the quantity step orders must respect (default 1).
        ticks: per symbol, the minimum price increment (default ES 0.25, 7203 1, others
            0.01).
        base_currency: the account's currency; cash, P&L and margin are kept in it.
        rates: one unit of each currency in the base currency (default ``DEFAULT_RATES``,
            the fake IB Gateway's table); ``set_rate`` moves or withdraws one.
        margin_model: how ``margin_impact`` and the account's initial margin are
            computed (default ``MarginModel()``: Reg T-like stocks, ES 20,000 a
            contract, short options on the underlying).
        calendar: when each contract trades (None: around the clock, so a demo runs at
            any hour); ``set_hours`` overrides one contract's hours.
    """

    @classmethod
    def from_config(cls, config: SimConfig, *, clock: Clock | None = None) -> SimulatedBroker:
        """A simulator as ``[sim]`` configures it (the exchange calendar when asked)."""
        return cls(
            cash=config.cash,
            seed=config.seed,
            commission=config.commission,
            base_currency=config.base_currency,
            calendar=SimCalendar() if config.exchange_hours else None,
            clock=clock,
        )

    def __init__(
        self,
        instruments: Iterable[Instrument] = DEFAULT_INSTRUMENTS,
        prices: Mapping[str, float] | None = None,
        *,
        cash: float = _DEFAULT.cash,
        account: str = DEFAULT_ACCOUNT,
        seed: int = _DEFAULT.seed,
        commission: float = _DEFAULT.commission,
        clock: Clock | None = None,
        history: int = 100_000,
        size_increments: Mapping[str, float] | None = None,
        ticks: Mapping[str, float] | None = None,
        base_currency: str = _DEFAULT.base_currency,
        rates: Mapping[str, float] | None = None,
        margin_model: MarginModel | None = None,
        calendar: SimCalendar | None = None,
    ) -> None:
        self._catalog = Catalog(instruments, size_increments, ticks)
        self._clock: Clock = clock if clock is not None else system_clock
        base = text("base_currency", base_currency).upper()
        self._rates = Rates(base, rates, self._clock)
        model = margin_model if margin_model is not None else MarginModel()
        if not isinstance(model, MarginModel):
            raise InvalidInputError("margin_model", "must be a MarginModel", model)
        self._margin_model = model
        if calendar is not None and not isinstance(calendar, SimCalendar):
            raise InvalidInputError("calendar", "must be a SimCalendar or None", calendar)
        self._calendar = calendar
        self._hours: dict[int, TradingHours] = {}
        # A spec with hours listed from the calendar, and when to list them afresh.
        self._listed: dict[int, tuple[datetime, ContractSpec]] = {}
        self._shortable = Shortable(self._catalog.by_con_id)
        self._margin_failure = ""
        start = dict(DEFAULT_PRICES if prices is None else prices)
        self._prices: dict[int, float] = {}
        # The Quote per contract, built when the price is set: reading it costs nothing.
        self._quotes: dict[int, Quote] = {}
        now = self._clock()
        for instrument in self._catalog:
            price = default_price(instrument, start)
            if price is not None:
                self._prices[instrument.con_id] = positive(f"prices[{instrument.label}]", price)
                self._quotes[instrument.con_id] = Quote(price, now)
        self._account = SimAccount(
            account,
            non_negative("cash", cash),
            self._prices.get,
            self._rates.book_rate,
            base,
            self._margin_of,
        )
        self._commission = non_negative("commission", commission)
        self._rng = random.Random(seed)  # noqa: S311  (a simulation, not cryptography)
        self._state = ConnectionState.DISCONNECTED
        self._book = OrderBook(self._fill, self._cancelled)
        self._dropped = False
        self._reconnects = 0
        # Only working orders are kept: memory stays flat however many orders pass.
        self._open: dict[int, OrderHandle] = {}
        self._listeners: list[OrderListener] = []
        self._observers: list[BrokerObserver] = []
        # Positions as reported to clients: they follow the fills unless reports are held.
        self._reported: dict[int, float] = {}
        self._held_reports: deque[int] | None = None
        self._next_id = 1
        self._reserved: deque[int] = deque()  # the ids the gate's next submit uses
        self._exec_ids = itertools.count(1)
        self._reject_next = 0
        self._fail_handoffs = 0
        self._reject_reason = ""
        self._latency = 0.0
        self._claimed = False
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise InvalidInputError("history", "must be a positive integer", history)
        # Plain tuples on the order path; ``received`` names their fields when read.
        self._received: deque[tuple[int, Instrument, OrderRequest]] = deque(maxlen=history)

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
        _log.info("sim.connected", account=self._account.account)

    async def disconnect(self) -> None:
        """Disconnect deliberately; resting orders stay at the broker."""
        self._state = ConnectionState.DISCONNECTED
        _log.info("sim.disconnected", account=self._account.account)

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
        """The known contract the description names.

        Raises:
            UnknownInstrumentError: no known contract fits.
            AmbiguousContractError: several fit (they are listed).
        """
        if not isinstance(contract, Instrument):
            raise InvalidInputError("contract", "must be an Instrument", contract)
        return self._catalog.qualify(contract)

    def contract_spec(self, instrument: Instrument) -> ContractSpec | None:
        """The simulator's own economics and hours for ``instrument`` (None: unknown)."""
        spec = self._catalog.spec(instrument)
        if spec is None or (self._calendar is None and not self._hours):
            return spec  # around the clock: the catalog's spec says so already
        listed = self._listed.get(spec.con_id)
        now = self._clock()
        if listed is not None and now < listed[0]:
            return listed[1]
        hours = self._hours.get(spec.con_id)
        if hours is None:
            known = self._catalog.by_con_id[spec.con_id]
            hours = self._calendar.hours(known, now) if self._calendar is not None else None
        spec = dataclasses.replace(spec, hours=hours)
        # Listed afresh a day before the calendar runs out (or every minute when unknown).
        until = hours.known_until - timedelta(days=1) if hours is not None else now
        self._listed[spec.con_id] = (max(until, now + timedelta(minutes=1)), spec)
        return spec

    async def contract_chain(self, contract: Instrument) -> ContractChain:
        """The expiries (and strikes) listed for the description's symbol and type."""
        if not isinstance(contract, Instrument):
            raise InvalidInputError("contract", "must be an Instrument", contract)
        return self._catalog.chain(contract)

    async def get_positions(self) -> list[Position]:
        """Non-zero positions, as reported (the seed's async read)."""
        return self.positions()

    async def get_account_summary(self) -> AccountSnapshot:
        """Account values (the seed's async read)."""
        return self.account()

    def positions(self) -> list[Position]:
        """Non-zero positions as last reported (lagging the fills while reports are held)."""
        known = self._catalog.by_con_id
        return [
            Position(known[con_id], quantity, self._account.avg_cost(con_id))
            for con_id, quantity in self._reported.items()
            if quantity
        ]

    def account(self) -> AccountSnapshot:
        """Equity (cash + marked positions), cash and realized/unrealized P&L."""
        return self._account.snapshot()

    def open_orders(self) -> list[OrderHandle]:
        """Orders not done yet (a bracket's waiting children too)."""
        return list(self._open.values())

    @property
    def received(self) -> list[ReceivedOrder]:
        """The most recent orders that reached this broker (up to ``history``), oldest first."""
        return [
            ReceivedOrder(
                order_id,
                instrument.symbol,
                order.side,
                order.quantity,
                order.order_type,
                order.limit_price,
            )
            for order_id, instrument, order in self._received
        ]

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event; returns the unsubscribe function."""
        return attach(self._listeners, listener)

    def observe(self, observer: BrokerObserver) -> Unsubscribe:
        """Follow every order handle change and position report; returns the unsubscribe."""
        return attach(self._observers, observer)

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The reference price of ``instrument`` and when it was set (None if it has none)."""
        known = self._catalog.lookup(instrument)
        return None if known is None else self._quotes.get(known.con_id)

    def exchange_rate(self, currency: str) -> Quote | None:
        """One unit of ``currency`` in the base currency, now (None: not reported)."""
        return self._rates.quote(currency)

    def shortable_shares(self, instrument: Instrument) -> float | None:
        """Shares the simulator can lend for a short sale (None: not reported)."""
        known = self._catalog.lookup(instrument)
        return None if known is None else self._shortable.get(known.con_id)

    def margin_impact(self, instrument: Instrument, order: OrderRequest) -> MarginImpact:
        """The account's initial margin before and after ``order`` fills (the model's).

        Valued at the order's price, else the reference price, in the base currency;
        equity with loan is the net liquidation value. Synchronous: nothing to wait for.

        Raises:
            BrokerError: not connected, an unknown contract or one without a price,
                a position the model cannot value, or a failure ``fail_margin_previews``
                asked for.
        """
        self._require_connected("preview margin")
        if self._margin_failure:
            raise BrokerError(self._margin_failure)
        known = self._catalog.lookup(instrument)
        if known is None:
            raise BrokerError(f"{instrument.label} is not a contract the simulator knows")
        if order.valued_at(self._prices.get(known.con_id)) is None:
            raise BrokerError(f"no price to value {known.label}")
        account = self._account
        snapshot = account.snapshot()
        return MarginImpact(
            account.margin(),
            account.margin(known, order.signed_quantity),
            snapshot.net_liquidation,
            self._rates.base,
        )

    def _margin_of(self, instrument: Instrument, quantity: float, price: float) -> float:
        """The model's margin of a position (the instrument's currency)."""
        return margin_of(self._margin_model, instrument, quantity, price, self._underlying_price)

    def _underlying_price(self, option: Instrument) -> float | None:
        under = self._catalog.underlying.get(option.con_id)
        return None if under is None else self._prices.get(under.con_id)

    def price(self, name: str) -> float | None:
        """The price of the contract a scripting name means (the first, for a symbol)."""
        named = self._catalog.named(name)
        return self._prices.get(named[0].con_id) if named else None

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
        if handle.order_id not in self._open:
            raise UnknownOrderError(
                f"order {handle.order_id} is unknown or already done; nothing to cancel"
            )
        self._book.cancel(handle.order_id, "cancelled by request")

    async def cancel_all(self) -> None:
        """Global cancel: every working order of the account, foreign ones too."""
        self._require_connected("cancel")
        if self._latency:
            await asyncio.sleep(self._latency)
        for order_id in list(self._open):
            self._book.cancel(order_id, "cancelled by global cancel")

    def _reserve(self, count: int) -> tuple[int, ...]:
        """Hold the next ``count`` order ids for the next submit (foreign orders skip them)."""
        reserved = self._reserved
        while len(reserved) < count:
            reserved.append(self._next_id)
            self._next_id += 1
        return tuple(itertools.islice(reserved, count))

    def _reserve_one(self) -> int:
        """``_reserve(1)[0]`` without the tuple. perf: gate_pass (one per allowed order)."""
        reserved = self._reserved
        if not reserved:
            reserved.append(self._next_id)
            self._next_id += 1
        return reserved[0]

    def _take_id(self, *, foreign: bool) -> int:
        if self._reserved and not foreign:
            return self._reserved.popleft()
        order_id = self._next_id
        self._next_id = order_id + 1
        return order_id

    def _place_list(
        self, legs: tuple[OrderLeg, ...], *, foreign: bool = False
    ) -> tuple[OrderHandle, ...]:
        ids = self._take_ids(len(legs), foreign=foreign)
        handles = tuple(
            self._opened(
                order_id,
                leg.instrument,
                leg.order,
                foreign=foreign,
                parent=ids[leg.parent] if leg.parent is not None else None,
                oca=leg.oca_group,
            )
            for order_id, leg in zip(ids, legs, strict=True)
        )
        for handle in handles:
            self._start(handle)
        return handles

    def _place_one(self, instrument: Instrument, order: OrderRequest) -> OrderHandle:
        """One order of our own: ``_place_list`` of one leg, in one step.

        The steps of ``_take_ids``, ``_opened`` and ``_start`` for one order of our own.
        perf: sim_submit_fill (the gate sends single orders far more often than lists).
        """
        if self._state is not CONNECTED:
            self._require_connected("submit")
        reserved = self._reserved
        if reserved:
            order_id = reserved.popleft()
            reserved.clear()
        else:
            order_id = self._next_id
            self._next_id = order_id + 1
        if self._fail_handoffs:
            self._fail_handoffs -= 1  # the id is spent, as a send that fails at IB spends it
            raise BrokerError("simulated hand-off failure; the order was not sent")
        handle = self._open[order_id] = OrderHandle(order_id, instrument, order)
        self._received.append((order_id, instrument, order))
        if self._latency:
            asyncio.get_running_loop().call_later(self._latency, self._accept_later, handle)
        else:
            self._accept(handle)
        return handle

    def _take_ids(self, count: int, *, foreign: bool) -> list[int]:
        """The ids a send of ``count`` orders uses (reserved ones first, for our own)."""
        if self._state is not CONNECTED:
            self._require_connected("submit")
        ids = [self._take_id(foreign=foreign) for _ in range(count)]
        if not foreign:
            self._reserved.clear()
        if self._fail_handoffs and not foreign:
            self._fail_handoffs -= 1  # the ids are spent, as a send that fails at IB spends it
            raise BrokerError("simulated hand-off failure; the order was not sent")
        return ids

    def _opened(
        self,
        order_id: int,
        instrument: Instrument,
        order: OrderRequest,
        *,
        foreign: bool = False,
        parent: int | None = None,
        oca: str = "",
    ) -> OrderHandle:
        """A new working order's handle, known to the broker and in the received list."""
        handle = OrderHandle(
            order_id, instrument, order, foreign=foreign, parent_id=parent, oca_group=oca
        )
        self._open[order_id] = handle
        self._received.append((order_id, instrument, order))
        return handle

    def _start(self, handle: OrderHandle) -> None:
        """Accept a sent order now, or after the simulated latency."""
        if self._latency:
            asyncio.get_running_loop().call_later(self._latency, self._accept_later, handle)
        else:
            self._accept(handle)

    def _accept_later(self, handle: OrderHandle) -> None:
        if not handle.status.is_done:  # cancelled while the simulated latency ran
            self._accept(handle)

    def _accept(self, handle: OrderHandle) -> None:
        instrument = handle.instrument
        if self._reject_next:
            self._reject_next -= 1
            self._emit(handle, OrderStatus.REJECTED, self._reject_reason)
            return
        known = self._catalog.lookup(instrument)
        if known is None:
            self._emit(handle, OrderStatus.REJECTED, f"unknown instrument {instrument.label!r}")
            return
        price = self._prices.get(known.con_id)
        request = handle.request
        if request.order_type is MARKET and price is None:
            self._emit(handle, OrderStatus.REJECTED, f"no reference price for {known.label}")
            return
        prices = request.prices
        if prices:  # perf: sim_submit_fill (an order without prices has no tick to be off)
            spec = self._catalog.spec(known)
            off_tick = spec.tick_reason(prices) if spec is not None else None
            if off_tick is not None:  # as IB's error 110
                self._emit(handle, OrderStatus.REJECTED, off_tick.message)
                return
        filled = handle.filled  # perf: sim_submit_fill (``_emit``'s event, built in place)
        self._publish(
            handle,
            _event(
                OrderEvent,
                (
                    handle.order_id,
                    instrument.symbol,
                    SUBMITTED,
                    filled,
                    request.quantity - filled,
                    handle.avg_fill_price,
                    "",
                    None,
                ),
            ),
        )
        parent = handle.parent_id
        self._book.arrive(
            handle,
            known.con_id,
            price,
            active=parent is None or parent not in self._book,
            parent=parent,
            oca=handle.oca_group,
        )

    def _amend(self, handle: OrderHandle, order: OrderRequest) -> OrderHandle:
        self._require_connected("amend")
        if handle.order_id not in self._book:
            raise UnknownOrderError(
                f"order {handle.order_id} is not working (it is {handle.status.value}); "
                "only a working order can be amended"
            )
        current = handle.request
        if order.side is not current.side or order.order_type is not current.order_type:
            raise BrokerError("an amendment keeps the order's side and type")
        known = self._catalog.lookup(handle.instrument)
        price = self._prices.get(known.con_id) if known is not None else None
        self._book.amend(handle.order_id, order, None)
        if handle.order_id in self._book:
            self._emit(handle, OrderStatus.SUBMITTED, "amended")
            if price is not None:
                self._book.amend(handle.order_id, order, price)
        return handle

    def _fill(self, handle: OrderHandle, price: float) -> None:
        request = handle.request
        instrument = self._catalog.lookup(handle.instrument) or handle.instrument
        quantity = request.quantity - handle.filled
        signed = quantity if request.side is BUY else -quantity
        held = self._account.book(instrument, signed, price, self._commission)
        fill = Fill(
            handle.order_id,
            instrument.symbol,
            request.side,
            quantity,
            price,
            self._clock(),
            "SIM.%08d" % next(self._exec_ids),  # noqa: UP031  (the plain format of an id)
            self._commission,
        )
        event = _event(
            OrderEvent,
            (
                handle.order_id,
                instrument.symbol,
                FILLED,
                request.quantity,
                0.0,
                price,
                "",
                fill,
            ),
        )
        self._publish(handle, event)
        self._report_position(instrument.con_id, held)

    def _cancelled(self, handle: OrderHandle, why: str) -> None:
        self._emit(handle, OrderStatus.CANCELLED, why)

    def _report_position(self, con_id: int, quantity: float) -> None:
        """IB's separate position message: now, or queued while reports are held."""
        if self._held_reports is not None:
            self._held_reports.append(con_id)
            return
        self._deliver_position(con_id, quantity)

    def _deliver_position(self, con_id: int, quantity: float) -> None:
        self._reported[con_id] = quantity
        if not self._observers:
            return
        position = Position(
            self._catalog.by_con_id[con_id], quantity, self._account.avg_cost(con_id)
        )
        for observer in tuple(self._observers):
            try:
                observer.on_position(position)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the broker)
                _log.exception("sim.observer_failed", con_id=con_id)

    # ------------------------------------------------------------------ scripting
    def set_price(self, target: str | Instrument, price: float) -> None:
        """Set a contract's price; the working orders it reaches fill (or trigger).

        ``target`` is an Instrument, a local symbol (``"ESZ6"``), a label, or a symbol
        (then every contract of that symbol but its options).
        """
        contracts = self._scripted(target)
        price = positive("price", price)
        now = self._clock()
        self._account.moved()
        self._book.expire(now)
        for instrument in contracts:
            self._prices[instrument.con_id] = price
            self._quotes[instrument.con_id] = Quote(price, now)
            self._book.on_price(instrument.con_id, price)

    def set_rate(self, currency: str, rate: float | None, *, at: datetime | None = None) -> None:
        """Move a currency's rate to the base, or withdraw it (None: no longer reported).

        ``at`` dates the rate as the broker last sent it (it then ages, and the gate
        refuses it once older than ``max_rate_age``); without it the rate stays current.
        """
        self._rates.set(currency, rate, at)
        self._account.moved()

    def set_shortable(self, target: str | Instrument, shares: float | None) -> None:
        """Shares to lend for a short sale (0: none; None: not reported)."""
        for instrument in self._scripted(target):
            self._shortable.set(instrument.con_id, shares)

    def set_hours(self, target: str | Instrument, hours: TradingHours | None) -> None:
        """Override a contract's trading hours (None: the calendar's again)."""
        if hours is not None and not isinstance(hours, TradingHours):
            raise InvalidInputError("hours", "must be TradingHours or None", hours)
        for instrument in self._scripted(target):
            if hours is None:
                self._hours.pop(instrument.con_id, None)
            else:
                self._hours[instrument.con_id] = hours
            self._listed.pop(instrument.con_id, None)

    def fail_margin_previews(self, reason: str | None = "margin preview unavailable") -> None:
        """Fault: ``margin_impact`` raises ``BrokerError(reason)`` until called with None."""
        self._margin_failure = "" if reason is None else text("reason", reason)

    def close_auction(self) -> None:
        """The closing auction: MOC orders fill at the current prices, LOC where reached."""
        self._book.close(dict(self._prices))

    def walk_prices(self, drift: float = 0.0, volatility: float = 0.005) -> dict[str, float]:
        """Move every non-option price one seeded random step (relative ``drift`` + noise)."""
        moved: dict[str, float] = {}
        for instrument in sorted(self._catalog, key=lambda i: i.con_id):
            if instrument.strike is not None or instrument.con_id not in self._prices:
                continue
            step = drift + self._rng.gauss(0.0, volatility)
            price = round(max(0.01, self._prices[instrument.con_id] * (1.0 + step)), 2)
            self.set_price(instrument, price)
            moved[instrument.label] = price
        return moved

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
            con_id = queue.popleft()
            self._deliver_position(con_id, self._account.quantity(con_id))
            delivered += 1
        if count is None:
            self._held_reports = None
        return delivered

    def book_external_trade(self, target: str | Instrument, quantity: float, price: float) -> None:
        """Fault: a trade no order event reports; only the position message tells of it.

        Like a manual trade or a correction booked at the broker.
        """
        [instrument] = self._scripted(target)[:1]
        signed = finite("quantity", quantity)
        held = self._account.book(instrument, signed, positive("price", price))
        self._report_position(instrument.con_id, held)

    def inject_foreign_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Fault: an order placed at the broker by someone else (another client, TWS).

        It is not sent through any gate; it rests or fills like any other order, and
        clients see it as ``foreign``.
        """
        if not isinstance(contract, Instrument) or not isinstance(order, OrderRequest):
            raise InvalidInputError("order", "needs an Instrument and an OrderRequest", order)
        known = self._catalog.lookup(contract)
        if known is None:
            raise UnknownInstrumentError(f"unknown instrument {contract.label!r}")
        return self._place_list((OrderLeg(known, order),), foreign=True)[0]

    def drop_connection(self) -> None:
        """Fault: the connection drops now (resting orders stay); ``connect()`` restores it."""
        self._state = ConnectionState.DISCONNECTED
        self._dropped = True
        _log.warning("sim.connection_dropped", account=self._account.account)

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
    def _scripted(self, target: str | Instrument) -> list[Instrument]:
        if isinstance(target, Instrument):
            known = self._catalog.lookup(target)
            contracts = [known] if known is not None else []
        else:
            contracts = self._catalog.named(target)
        if not contracts:
            raise InvalidInputError("symbol", "is not an instrument this simulator knows", target)
        return contracts

    def _require_connected(self, action: str) -> None:
        if self._state is not ConnectionState.CONNECTED:
            raise BrokerNotConnectedError(
                f"cannot {action}: simulated broker is {self._state.value}; nothing was sent"
            )

    def _emit(self, handle: OrderHandle, status: OrderStatus, message: str = "") -> None:
        remaining = (
            0.0
            if status is CANCELLED or status is REJECTED
            else handle.request.quantity - handle.filled
        )
        event = _event(
            OrderEvent,
            (
                handle.order_id,
                handle.instrument.symbol,
                status,
                handle.filled,
                remaining,
                handle.avg_fill_price,
                message,
                None,
            ),
        )
        self._publish(handle, event)

    def _publish(self, handle: OrderHandle, event: OrderEvent) -> None:
        handle.apply(event)
        if event.status in FINAL_STATUSES:
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


if TYPE_CHECKING:
    _conforms: BrokerPort = SimulatedBroker()
