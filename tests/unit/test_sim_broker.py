"""SimulatedBroker specifics: accounting, resting orders, faults, events, determinism."""

from __future__ import annotations

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, OrderHandle, RiskGate
from hydra.domain import (
    BrokerNotConnectedError,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    Side,
    TimeInForce,
    UnknownInstrumentError,
)

OK: tuple[float, ...] = ()  # no caller inputs: the gate derives them


async def _gate(**kwargs: object) -> tuple[SimulatedBroker, RiskGate]:
    broker = SimulatedBroker(**kwargs)  # type: ignore[arg-type]
    await broker.connect()
    # Per-order limits are the gate's business (tests/unit/test_limits.py); off here.
    return broker, RiskGate(broker, CircuitBreakerManager(), limits=None)


async def test_round_trip_books_realized_and_unrealized_pnl() -> None:
    """Buy 10 @ 200, price 210, sell 4: realized +40, unrealized +60, equity = cash + value."""
    broker, gate = await _gate(cash=10_000.0)
    aapl = Instrument("AAPL")
    await gate.submit(aapl, OrderRequest.market(Side.BUY, 10), *OK)
    broker.set_price("AAPL", 210.0)
    await gate.submit(aapl, OrderRequest.market(Side.SELL, 4), *OK)
    account = broker.account()
    assert account.realized_pnl == pytest.approx(40.0)
    assert account.unrealized_pnl == pytest.approx(60.0)
    assert account.cash == pytest.approx(10_000.0 - 2_000.0 + 840.0)
    assert account.net_liquidation == pytest.approx(account.cash + 6 * 210.0)
    [position] = broker.positions()
    assert (position.quantity, position.avg_cost) == (6, 200.0)


async def test_flip_opens_the_remainder_at_the_fill_price() -> None:
    """Selling more than the long closes it and opens a short at the fill price."""
    broker, gate = await _gate()
    aapl = Instrument("AAPL")
    await gate.submit(aapl, OrderRequest.market(Side.BUY, 5), *OK)
    broker.set_price("AAPL", 190.0)
    await gate.submit(aapl, OrderRequest.market(Side.SELL, 8), *OK)
    [position] = broker.positions()
    assert (position.quantity, position.avg_cost) == (-3, 190.0)
    assert broker.account().realized_pnl == pytest.approx(-50.0)


async def test_limit_rests_until_price_reaches_it_then_fills_at_that_price() -> None:
    """A buy limit below the market rests, and fills when the price falls to or below it."""
    broker, gate = await _gate()
    handle = await gate.submit(Instrument("AAPL"), OrderRequest.limit(Side.BUY, 3, 195.0), *OK)
    assert handle is not None
    assert handle.status is OrderStatus.SUBMITTED
    broker.set_price("AAPL", 196.0)
    assert handle.status is OrderStatus.SUBMITTED
    broker.set_price("AAPL", 194.5)
    assert await handle.wait(timeout=1) is OrderStatus.FILLED
    assert handle.avg_fill_price == 194.5
    assert handle.fills[0].quantity == 3


async def test_ioc_limit_that_cannot_trade_is_cancelled() -> None:
    """An IOC limit order away from the market is cancelled, not left resting."""
    _, gate = await _gate()
    order = OrderRequest(Side.BUY, 1, "LMT", 100.0, TimeInForce.IOC)  # type: ignore[arg-type]
    handle = await gate.submit(Instrument("AAPL"), order, *OK)
    assert handle is not None
    assert handle.status is OrderStatus.CANCELLED


async def test_reject_next_rejects_exactly_n_orders_with_reason() -> None:
    """reject_next(2) rejects the next two orders with the message; the third fills."""
    broker, gate = await _gate()
    broker.reject_next(2, "margin check failed")
    statuses = []
    for _ in range(3):
        handle = await gate.submit(Instrument("AAPL"), OrderRequest.market(Side.BUY, 1), *OK)
        assert handle is not None
        statuses.append((handle.status, handle.message))
    assert statuses == [
        (OrderStatus.REJECTED, "margin check failed"),
        (OrderStatus.REJECTED, "margin check failed"),
        (OrderStatus.FILLED, ""),
    ]


async def test_latency_delays_acknowledgement_and_fill() -> None:
    """With latency the handle starts pending and is filled once the delay passes."""
    broker, gate = await _gate()
    broker.set_latency(0.02)
    handle = await gate.submit(Instrument("AAPL"), OrderRequest.market(Side.BUY, 1), *OK)
    assert handle is not None
    assert handle.status is OrderStatus.PENDING_SUBMIT
    assert await handle == OrderStatus.FILLED


async def test_dropped_connection_refuses_orders_until_reconnected() -> None:
    """After drop_connection the capability raises BrokerNotConnectedError; connect restores."""
    broker = SimulatedBroker()
    await broker.connect()
    capability = broker.claim_submit_capability()
    broker.drop_connection()
    with pytest.raises(BrokerNotConnectedError, match="nothing was sent"):
        capability.submit_order(Instrument("AAPL"), OrderRequest.market(Side.BUY, 1))
    assert broker.received == []
    await broker.connect()
    assert capability.submit_order(Instrument("AAPL"), OrderRequest.market(Side.BUY, 1))


async def test_a_reserved_order_id_is_held_for_the_next_submit() -> None:
    """A reserved id is held: asked twice or with a foreign order between, the submit gets it."""
    broker = SimulatedBroker(prices={"AAPL": 200.0})
    await broker.connect()
    capability = broker.claim_submit_capability()
    reserved = capability.reserve_order_id()
    assert capability.reserve_order_id() == reserved
    foreign = broker.inject_foreign_order(Instrument("AAPL"), OrderRequest.limit(Side.BUY, 1, 150))
    handle = capability.submit_order(Instrument("AAPL"), OrderRequest.market(Side.BUY, 1))
    assert handle.order_id == reserved
    assert foreign.order_id != reserved
    assert capability.reserve_order_id() not in (reserved, foreign.order_id)


async def test_the_account_follows_every_fill_and_price_move() -> None:
    """Equity and unrealized P&L move with a fill and with each later price, read at once."""
    broker = SimulatedBroker(prices={"AAPL": 200.0}, cash=100_000.0)
    await broker.connect()
    assert broker.account().net_liquidation == 100_000.0
    broker.claim_submit_capability().submit_order(
        Instrument("AAPL"), OrderRequest.market(Side.BUY, 10)
    )
    assert broker.account().cash == 98_000.0
    broker.set_price("AAPL", 210.0)
    after = broker.account()
    assert (after.unrealized_pnl, after.net_liquidation) == (100.0, 100_100.0)


async def test_unknown_instrument_and_missing_price() -> None:
    """Qualify refuses unknown symbols; a market order with no price is rejected clearly."""
    broker = SimulatedBroker(prices={"AAPL": 200.0})
    await broker.connect()
    # Trusting the caller's inputs: a derived position value (and a margin preview) needs
    # a price and would block.
    gate = RiskGate(
        broker,
        CircuitBreakerManager(),
        limits=None,
        account_limits=None,
        config=GateConfig(derive_inputs=False),
    )
    with pytest.raises(UnknownInstrumentError, match="ZZZZ"):
        await broker.qualify_contract(Instrument("ZZZZ"))
    handle = await gate.submit(
        Instrument("MSFT"), OrderRequest.market(Side.BUY, 1), 0.0, 1e6, 1e6, 0.0, 0.0
    )
    assert handle is not None
    assert handle.status is OrderStatus.REJECTED
    assert "no reference price" in handle.message


async def test_events_reach_subscribers_and_a_failing_subscriber_is_contained() -> None:
    """Every status change is published; a subscriber that raises does not break others."""
    broker, gate = await _gate()
    seen: list[OrderEvent] = []

    def broken(event: OrderEvent) -> None:
        raise RuntimeError("subscriber bug")

    broker.subscribe(broken)
    unsubscribe = broker.subscribe(seen.append)
    handle = await gate.submit(Instrument("AAPL"), OrderRequest.market(Side.BUY, 2), *OK)
    assert isinstance(handle, OrderHandle)
    assert [e.status for e in seen] == [OrderStatus.SUBMITTED, OrderStatus.FILLED]
    assert seen[-1].fill is not None
    unsubscribe()
    await gate.submit(Instrument("AAPL"), OrderRequest.market(Side.BUY, 2), *OK)
    assert len(seen) == 2


def test_same_seed_walks_the_same_prices() -> None:
    """Two simulators with one seed produce identical price paths; another seed differs."""
    paths = []
    for seed in (1, 1, 2):
        broker = SimulatedBroker(seed=seed)
        paths.append([broker.walk_prices(drift=-0.01) for _ in range(5)])
    assert paths[0] == paths[1]
    assert paths[0] != paths[2]


def test_scripting_refuses_bad_arguments() -> None:
    """Faults and prices validate their arguments by name."""
    broker = SimulatedBroker()
    with pytest.raises(InvalidInputError, match="symbol"):
        broker.set_price("ZZZZ", 1.0)
    with pytest.raises(InvalidInputError, match="price"):
        broker.set_price("AAPL", -1.0)
    with pytest.raises(InvalidInputError, match="count"):
        broker.reject_next(-1)
    with pytest.raises(InvalidInputError, match="seconds"):
        broker.set_latency(float("nan"))
