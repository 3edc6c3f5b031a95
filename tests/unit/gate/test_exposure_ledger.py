"""The exposure ledger: a fill counts at once, position messages only reconcile."""

from __future__ import annotations

from hydra.adapters.sim import SimulatedBroker
from hydra.application import ExposureLedger, OrderHandle, RiskGate
from hydra.application.records import LedgerMismatch
from hydra.domain import (
    BreakerConfig,
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    Position,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

AAPL = Instrument("AAPL", con_id=265598)


async def _held_sim(clock: ManualClock, cash: float = 1_000_000.0) -> SimulatedBroker:
    broker = SimulatedBroker(clock=clock, cash=cash)
    await broker.connect()
    broker.hold_position_reports()  # IB's position message lags the fill
    return broker


async def test_sequential_filled_buys_cannot_pass_the_position_limit_while_positions_lag(
    clock: ManualClock,
) -> None:
    """Four filled buys of 9 % of equity each: the third is blocked though no position arrived."""
    broker = await _held_sim(clock)
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, limits=None)
    nine_percent = OrderRequest(Side.BUY, 450, intentional_duplicate=True)  # 90k of 1M
    decisions = [gate.submit_with_decision(AAPL, nine_percent) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, False, False]
    assert all("position_size" in d.triggered for d in decisions[2:])
    assert broker.positions() == []  # the broker still reports nothing
    assert gate.exposure(AAPL).position == 900


async def test_reducing_cannot_flip_a_position_while_its_position_message_lags(
    clock: ManualClock,
) -> None:
    """In REDUCING, two sells of the full position: the second would flip it, so it is blocked."""
    broker = await _held_sim(clock)
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, limits=None)
    assert gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 100)).allowed
    broker.release_position_reports()
    broker.hold_position_reports()
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    first = gate.submit_with_decision(AAPL, OrderRequest(Side.SELL, 100))
    second = gate.submit_with_decision(
        AAPL, OrderRequest(Side.SELL, 100, intentional_duplicate=True)
    )
    assert first.allowed
    assert second.triggered == ("reducing",)
    broker.release_position_reports()
    assert gate.exposure(AAPL).position == 0
    assert not gate.exposure(AAPL).mismatch


async def test_concurrent_working_orders_are_reserved_by_the_default_gate(
    clock: ManualClock,
) -> None:
    """RiskGate(broker, breakers) reserves working orders: 10 resting buys of 6 % stop at 20 %."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    allowed = [
        gate.submit_with_decision(AAPL, OrderRequest.limit(Side.BUY, 30 + i, 199.0)).allowed
        for i in range(10)
    ]
    # 30 x 200 = 6k of 100k: 6 %, 12.2 %, 18.6 % pass; the fourth would reach ~25 %.
    assert allowed == [True, True, True] + [False] * 7
    assert gate.exposure(AAPL).buying == 30 + 31 + 32


def test_a_fill_seen_twice_is_counted_once() -> None:
    """The execution and the Filled status of the same quantity move the position once."""
    ledger = ExposureLedger()
    ledger.seed([], [])
    handle = OrderHandle(1, AAPL, OrderRequest.market(Side.BUY, 10))
    ledger.on_order(handle)
    assert ledger.entry(AAPL.key).buying == 10
    handle.apply(OrderEvent(1, "AAPL", OrderStatus.SUBMITTED, 10.0, 0.0, 200.0))
    ledger.on_order(handle)
    handle.apply(OrderEvent(1, "AAPL", OrderStatus.FILLED, 10.0, 0.0, 200.0))
    ledger.on_order(handle)
    ledger.on_order(handle)
    entry = ledger.entry(AAPL.key)
    assert (entry.position, entry.buying, entry.orders) == (10.0, 0.0, 0)


def test_a_lagging_position_message_keeps_both_views_until_it_agrees() -> None:
    """A stale broker position is a mismatch (reported once); a matching one reconciles."""
    seen: list[tuple[float, float]] = []
    reconciled: list[float] = []
    ledger = ExposureLedger(
        on_mismatch=lambda p, mine: seen.append((p.quantity, mine)),
        on_reconciled=lambda p: reconciled.append(p.quantity),
    )
    ledger.seed([Position(AAPL, 5.0)], [])
    handle = OrderHandle(1, AAPL, OrderRequest.market(Side.BUY, 10))
    handle.apply(OrderEvent(1, "AAPL", OrderStatus.FILLED, 10.0, 0.0, 200.0))
    ledger.on_order(handle)
    ledger.on_position(Position(AAPL, 5.0))
    ledger.on_position(Position(AAPL, 5.0))
    assert ledger.entry(AAPL.key).views() == (15.0, 5.0)
    assert seen == [(5.0, 15.0)]
    ledger.on_position(Position(AAPL, 15.0))
    assert ledger.entry(AAPL.key).views() == (15.0,)
    assert reconciled == [15.0]


async def test_a_disagreeing_broker_position_is_audited_and_the_stricter_view_counts(
    clock: ManualClock,
) -> None:
    """A trade only the position message reports: audited mismatch, and it blocks growth."""
    broker = SimulatedBroker(clock=clock)
    await broker.connect()
    journal = MemoryJournal()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, journal=journal)
    assert gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 10)).allowed
    broker.book_external_trade("AAPL", 90, 200.0)  # the broker now says 100; the ledger 10
    (mismatch,) = journal.of_type(LedgerMismatch)
    assert (mismatch.event, mismatch.broker, mismatch.ledger) == (
        "ledger.mismatch",
        100.0,
        10.0,
    )
    assert gate.exposure(AAPL).views() == (10.0, 100.0)
    # 100 + 20 shares = 24k of ~100k: the broker's view trips the 20 % size limit.
    blocked = gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 20))
    assert "position_size" in blocked.triggered
    assert BreakerConfig().max_position_fraction == 0.20


def test_the_self_cross_book_finds_the_best_price_and_forgets_ended_orders() -> None:
    """Thousands of resting buys: the best is found at once; ended ones stop counting."""
    from hydra.application.resting import RestingBook  # noqa: PLC0415  (the ledger's own part)

    book = RestingBook()
    for order_id in range(1, 5_001):
        book.rest(order_id, Side.BUY, 100.0 + order_id / 100)
    assert book.best(Side.BUY) == 150.0
    assert book.best(Side.SELL) is None
    book.remove(5_000)
    assert book.best(Side.BUY) == 149.99
    book.rest(1, Side.BUY, 200.0)  # amended to a new price
    assert book.best(Side.BUY) == 200.0
    for order_id in range(1, 5_000):
        book.remove(order_id)
    assert book.best(Side.BUY) is None
    assert len(book._buys) < 100  # rebuilt: no stale entries kept


def test_the_self_cross_book_can_leave_out_an_order_and_keeps_it() -> None:
    """best(side, skip) reads past the skipped orders and leaves them in the book."""
    from hydra.application.resting import RestingBook  # noqa: PLC0415  (the ledger's own part)

    book = RestingBook()
    book.rest(1, Side.BUY, 101.0)
    book.rest(2, Side.BUY, 100.0)
    book.rest(3, Side.BUY, 99.0)
    assert book.best(Side.BUY, (1,)) == 100.0
    assert book.best(Side.BUY, (1, 2)) == 99.0
    assert book.best(Side.BUY, (1, 2, 3)) is None
    assert book.best(Side.BUY) == 101.0  # nothing skipped is lost
    book.remove(1)
    assert book.best(Side.BUY, (2,)) == 99.0


def test_an_order_that_ends_before_anyone_looks_never_enters_the_self_cross_heaps() -> None:
    """Rest-then-end between two looks costs no heap entry; memory stays flat unread."""
    from hydra.application.resting import RestingBook  # noqa: PLC0415  (the ledger's own part)

    book = RestingBook()
    book.rest(1, Side.SELL, 250.0)
    assert book.best(Side.SELL) == 250.0
    for order_id in range(2, 10_002):  # each fills on arrival: rests, then ends
        book.rest(order_id, Side.BUY, 200.0)
        book.remove(order_id)
    assert book.best(Side.BUY) is None
    assert book.best(Side.SELL) == 250.0
    assert len(book._buys) == 0
    for order_id in range(20_000, 30_000):  # nobody ever reads the best price
        book.rest(order_id, Side.BUY, 100.0)
        book.rest(order_id, Side.BUY, 101.0)  # amended before anyone looked
        book.remove(order_id)
    assert len(book._pending) < 200
    book.rest(7, Side.BUY, 99.0)
    book.rest(7, Side.BUY, 98.0)
    assert book.best(Side.BUY) == 98.0  # the amended price only
