"""A broker adapter whose submit only records: the gate's checks, measured alone.

``RecordingBroker`` satisfies ``BrokerPort`` (lifecycle, reads, cancel, events) and hands
out a submit capability that appends the order to a bounded list and returns a handle,
nothing more: no fill, no event, no I/O. It is the analogue of the sink execution client
behind NautilusTrader's RiskEngine in the anchor rows. ``settle`` (called outside the
timing) reports the order cancelled to the observers, as a broker would later, so the
gate's exposure stays flat over a long run.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import TYPE_CHECKING

from hydra.application import BrokerObserver, OrderHandle, OrderListener, Unsubscribe
from hydra.application.subscribers import attach
from hydra.domain import (
    AccountSnapshot,
    CapabilityAlreadyClaimedError,
    Clock,
    ConnectionState,
    ContractSpec,
    Instrument,
    MarginImpact,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    Position,
    Quote,
    SecurityType,
    TradingHours,
    UnknownInstrumentError,
)
from hydra.domain.clock import system_clock

if TYPE_CHECKING:
    from hydra.application.capability import SubmittingBroker

__all__ = ["RecordingBroker"]

AAPL = Instrument("AAPL", SecurityType.STOCK, "SMART", "USD", "NASDAQ", 265598)


class _RecordingCapability:
    """Submit: note when the hand-off came, record the order, return its handle."""

    __slots__ = ("_next_id", "_recorded", "handed_ns")

    def __init__(self, recorded: deque[OrderHandle]) -> None:
        self._recorded = recorded
        self._next_id = 1
        self.handed_ns = 0  # perf_counter_ns() when the last order reached the adapter

    def reserve_order_id(self) -> int:
        """The id the next submit will use."""
        return self._next_id

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Record the order and hand back its (working) handle."""
        self.handed_ns = time.perf_counter_ns()
        order_id = self._next_id
        self._next_id = order_id + 1
        handle = OrderHandle(order_id, contract, order)
        self._recorded.append(handle)
        return handle


class RecordingBroker:
    """A connected broker that knows AAPL at a fixed price and only records orders."""

    def __init__(self, clock: Clock, *, price: float = 200.0, cash: float = 1e9) -> None:
        self._clock = clock
        self._spec = dataclasses.replace(
            ContractSpec.of(AAPL, 1.0), hours=TradingHours.around_the_clock()
        )
        self._price = price
        self._quote = Quote(price, clock())
        self._account = AccountSnapshot(
            "SIM0001", cash, cash, initial_margin=0.0, equity_with_loan=cash
        )
        self._state = ConnectionState.DISCONNECTED
        self._observers: list[BrokerObserver] = []
        self._listeners: list[OrderListener] = []
        self._claimed = False
        self.recorded: deque[OrderHandle] = deque(maxlen=1000)

    # lifecycle
    async def connect(self) -> None:
        """Connect (instantly)."""
        self._state = ConnectionState.CONNECTED

    async def disconnect(self) -> None:
        """Disconnect."""
        self._state = ConnectionState.DISCONNECTED

    def is_connected(self) -> bool:
        """True while connected."""
        return self._state is ConnectionState.CONNECTED

    @property
    def connection_state(self) -> ConnectionState:
        """The connection's state."""
        return self._state

    @property
    def reconnects(self) -> int:
        """Never reconnects: it has no connection to lose."""
        return 0

    # reads
    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """AAPL, qualified; anything else is unknown."""
        if contract.symbol != AAPL.symbol:
            raise UnknownInstrumentError(f"unknown instrument {contract.symbol!r}")
        return AAPL

    def contract_spec(self, instrument: Instrument) -> ContractSpec | None:
        """AAPL's economics (multiplier 1, whole shares)."""
        return self._spec if instrument.con_id in (0, AAPL.con_id) else None

    async def get_positions(self) -> list[Position]:
        """No positions: nothing ever fills."""
        return []

    async def get_account_summary(self) -> AccountSnapshot:
        """The fixed account values."""
        return self._account

    def positions(self) -> list[Position]:
        """No positions: nothing ever fills."""
        return []

    def account(self) -> AccountSnapshot:
        """The fixed account values."""
        return self._account

    def open_orders(self) -> list[OrderHandle]:
        """Recorded orders not settled yet."""
        return [h for h in self.recorded if not h.is_done]

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The fixed price, as of the last ``refresh``."""
        return self._quote if instrument.con_id in (0, AAPL.con_id) else None

    def exchange_rate(self, currency: str) -> Quote | None:
        """Only the base currency (US dollars) is known."""
        return Quote(1.0, self._clock()) if currency == "USD" else None

    def shortable_shares(self, instrument: Instrument) -> float | None:
        """Plenty to lend."""
        return 1e9

    def margin_impact(self, instrument: Instrument, order: OrderRequest) -> MarginImpact:
        """Reg T-like: half the order's value, at once (nothing is ever held)."""
        return MarginImpact(0.0, order.quantity * self._price * 0.5, self._account.net_liquidation)

    def refresh(self) -> None:
        """Re-date the reference price to the clock's now (a market-data tick)."""
        self._quote = Quote(self._price, self._clock())

    # orders
    def claim_submit_capability(self) -> _RecordingCapability:
        """Hand out the capability, once."""
        if self._claimed:
            raise CapabilityAlreadyClaimedError("the recording broker's capability is claimed")
        self._claimed = True
        self.capability = _RecordingCapability(self.recorded)
        return self.capability

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Cancel: settle the order."""
        self.settle(handle)

    async def cancel_all(self) -> None:
        """Cancel every recorded working order."""
        for handle in list(self.recorded):
            self.settle(handle)

    def settle(self, handle: object) -> None:
        """Report ``handle`` cancelled to every listener (outside the timing)."""
        if not isinstance(handle, OrderHandle) or handle.is_done:
            return
        event = OrderEvent(
            handle.order_id,
            handle.instrument.symbol,
            OrderStatus.CANCELLED,
            handle.filled,
            handle.remaining,
            0.0,
        )
        handle.apply(event)
        for listener in self._listeners:
            listener(event)
        for observer in self._observers:
            observer.on_order(handle)

    # events
    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event."""
        return attach(self._listeners, listener)

    def observe(self, observer: BrokerObserver) -> Unsubscribe:
        """Follow every order change."""
        return attach(self._observers, observer)


if TYPE_CHECKING:  # static proof that it is a full adapter (mypy)
    _conforms: SubmittingBroker = RecordingBroker(system_clock)
