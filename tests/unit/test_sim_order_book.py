"""The simulator's order book: every IB order type, brackets, OCA groups, amendments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.domain import (
    AmbiguousContractError,
    BrokerError,
    Instrument,
    ManualClock,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Right,
    SecurityType,
    Side,
    TimeInForce,
    UnknownOrderError,
)

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
AAPL = Instrument("AAPL")


async def _sim() -> tuple[SimulatedBroker, object, ManualClock]:
    clock = ManualClock(NOW)
    broker = SimulatedBroker(clock=clock, cash=1e7)
    await broker.connect()
    return broker, broker.claim_submit_capability(), clock


def _position(broker: SimulatedBroker, symbol: str = "AAPL") -> float:
    return sum(p.quantity for p in broker.positions() if p.instrument.label == symbol)


@pytest.mark.parametrize(
    ("order", "moves", "fills_at"),
    [
        (OrderRequest.stop(Side.SELL, 1, 195.0), [198.0, 194.0], 194.0),
        (OrderRequest.stop(Side.BUY, 1, 205.0), [203.0, 206.0], 206.0),
        (OrderRequest.stop_limit(Side.SELL, 1, 195.0, 194.5), [194.0, 194.6], 194.6),
        (OrderRequest(Side.BUY, 1, OrderType.MARKET_IF_TOUCHED, stop_price=195.0), [194.0], 194.0),
        (
            OrderRequest(Side.SELL, 1, OrderType.LIMIT_IF_TOUCHED, 206.0, stop_price=205.0),
            [205.5, 206.0],
            206.0,
        ),
        (OrderRequest.trailing_stop(Side.SELL, 1, amount=5.0), [210.0, 206.0, 204.0], 204.0),
        (OrderRequest.trailing_stop(Side.BUY, 1, percent=2.0), [190.0, 193.0, 193.8], 193.8),
        (
            OrderRequest(
                Side.SELL,
                1,
                OrderType.TRAILING_STOP_LIMIT,
                trailing_amount=5.0,
                limit_offset=0.5,
            ),
            [210.0, 204.0, 204.6],  # gaps through the stop, under the limit; then fills
            204.6,
        ),
    ],
)
async def test_each_trigger_type_fills_where_ib_would(
    order: OrderRequest, moves: list[float], fills_at: float
) -> None:
    """Stops trade through, touches touch, trails follow the best price; then they fill."""
    broker, capability, _ = await _sim()
    handle = capability.submit_order(AAPL, order)  # type: ignore[attr-defined]
    for price in moves[:-1]:
        broker.set_price("AAPL", price)
        assert handle.status is OrderStatus.SUBMITTED, (price, handle)
    broker.set_price("AAPL", moves[-1])
    assert handle.status is OrderStatus.FILLED
    assert handle.avg_fill_price == fills_at


async def test_moc_and_loc_wait_for_the_closing_auction() -> None:
    """MOC fills at the close; a LOC whose limit the close misses is cancelled."""
    broker, capability, _ = await _sim()
    moc = capability.submit_order(AAPL, OrderRequest(Side.BUY, 1, OrderType.MARKET_ON_CLOSE))  # type: ignore[attr-defined]
    loc = capability.submit_order(  # type: ignore[attr-defined]
        AAPL, OrderRequest(Side.BUY, 1, OrderType.LIMIT_ON_CLOSE, 190.0)
    )
    broker.set_price("AAPL", 180.0)
    assert moc.status is OrderStatus.SUBMITTED  # not before the close
    broker.set_price("AAPL", 201.0)
    broker.close_auction()
    assert (moc.status, moc.avg_fill_price) == (OrderStatus.FILLED, 201.0)
    assert loc.status is OrderStatus.CANCELLED


async def test_ioc_that_cannot_fill_is_cancelled_and_gtd_expires() -> None:
    """An IOC limit away from the market is cancelled; a GTD order expires at its date."""
    broker, capability, clock = await _sim()
    ioc = capability.submit_order(  # type: ignore[attr-defined]
        AAPL, OrderRequest.limit(Side.BUY, 1, 150.0, tif=TimeInForce.IOC)
    )
    assert ioc.status is OrderStatus.CANCELLED
    gtd = capability.submit_order(  # type: ignore[attr-defined]
        AAPL,
        OrderRequest.limit(
            Side.BUY, 1, 150.0, tif=TimeInForce.GTD, good_till=NOW + timedelta(hours=1)
        ),
    )
    clock.advance(timedelta(minutes=59))
    broker.set_price("AAPL", 199.0)
    assert gtd.status is OrderStatus.SUBMITTED
    clock.advance(timedelta(minutes=2))
    broker.set_price("AAPL", 199.0)
    assert gtd.status is OrderStatus.CANCELLED
    assert "expired" in gtd.message


async def test_a_brackets_children_wait_for_the_entry_then_one_cancels_the_other() -> None:
    """Children are inert until the entry fills; the stop's fill cancels the take-profit."""
    broker, capability, _ = await _sim()
    entry, take_profit, stop_loss = capability.submit_list(  # type: ignore[attr-defined]
        [
            OrderLeg(AAPL, OrderRequest.limit(Side.BUY, 10, 198.0)),
            OrderLeg(AAPL, OrderRequest.limit(Side.SELL, 10, 210.0), parent=0),
            OrderLeg(AAPL, OrderRequest.stop(Side.SELL, 10, 190.0), parent=0),
        ]
    )
    assert (take_profit.parent_id, stop_loss.parent_id) == (entry.order_id, entry.order_id)
    broker.set_price("AAPL", 185.0)  # below the stop, but the entry has not filled yet...
    assert entry.status is OrderStatus.FILLED  # ...it just did, at 185 (below its limit)
    assert stop_loss.status is OrderStatus.FILLED  # then the live stop triggered at once
    assert take_profit.status is OrderStatus.CANCELLED
    assert _position(broker) == 0


async def test_cancelling_an_entry_cancels_its_children() -> None:
    """A bracket whose entry is cancelled leaves nothing working."""
    broker, capability, _ = await _sim()
    entry, *_ = capability.submit_list(  # type: ignore[attr-defined]
        [
            OrderLeg(AAPL, OrderRequest.limit(Side.BUY, 10, 150.0)),
            OrderLeg(AAPL, OrderRequest.limit(Side.SELL, 10, 210.0), parent=0),
        ]
    )
    await broker.cancel_order(entry)
    assert broker.open_orders() == []


async def test_an_oca_group_fills_once() -> None:
    """Two OCA legs: the first to fill cancels the other."""
    broker, capability, _ = await _sim()
    low, high = capability.submit_list(  # type: ignore[attr-defined]
        [
            OrderLeg(AAPL, OrderRequest.limit(Side.BUY, 5, 195.0), oca_group="entry"),
            OrderLeg(AAPL, OrderRequest.stop(Side.BUY, 5, 205.0), oca_group="entry"),
        ]
    )
    broker.set_price("AAPL", 206.0)
    broker.set_price("AAPL", 194.0)
    assert (high.status, low.status) == (OrderStatus.FILLED, OrderStatus.CANCELLED)
    assert _position(broker) == 5


async def test_an_amendment_changes_a_working_order_in_place() -> None:
    """A new limit price and quantity apply to the same order id; the new price then fills."""
    broker, capability, _ = await _sim()
    handle = capability.submit_order(AAPL, OrderRequest.limit(Side.BUY, 10, 190.0))  # type: ignore[attr-defined]
    capability.modify_order(handle, OrderRequest.limit(Side.BUY, 12, 195.0))  # type: ignore[attr-defined]
    assert (handle.request.limit_price, handle.remaining) == (195.0, 12)
    broker.set_price("AAPL", 194.0)
    assert (handle.status, handle.filled) == (OrderStatus.FILLED, 12)
    with pytest.raises(UnknownOrderError, match="not working"):
        capability.modify_order(handle, OrderRequest.limit(Side.BUY, 12, 196.0))  # type: ignore[attr-defined]


async def test_an_amendment_keeps_side_and_type() -> None:
    """Changing the side or the type is refused, as IB refuses it."""
    _, capability, _ = await _sim()
    handle = capability.submit_order(AAPL, OrderRequest.limit(Side.BUY, 10, 190.0))  # type: ignore[attr-defined]
    with pytest.raises(BrokerError, match="side and type"):
        capability.modify_order(handle, OrderRequest.limit(Side.SELL, 10, 190.0))  # type: ignore[attr-defined]


async def test_a_price_off_the_tick_is_rejected_like_ibs_error_110() -> None:
    """An ES limit at 5990.10 (tick 0.25) is rejected; at 5990.25 it rests."""
    broker, capability, _ = await _sim()
    esz6 = await broker.qualify_contract(Instrument("ES", SecurityType.FUTURE, expiry="202612"))
    off = capability.submit_order(esz6, OrderRequest.limit(Side.BUY, 1, 4990.10))  # type: ignore[attr-defined]
    assert off.status is OrderStatus.REJECTED
    assert "tick 0.25" in off.message
    on = capability.submit_order(esz6, OrderRequest.limit(Side.BUY, 1, 4990.25))  # type: ignore[attr-defined]
    assert on.status is OrderStatus.SUBMITTED


async def test_a_future_is_named_by_its_expiry_never_picked_silently() -> None:
    """Bare ES is ambiguous (both expiries listed); ES by expiry or local symbol is one."""
    broker, _, _ = await _sim()
    with pytest.raises(AmbiguousContractError) as caught:
        await broker.qualify_contract(Instrument("ES", SecurityType.FUTURE))
    assert {c.local_symbol for c in caught.value.candidates} == {"ESZ6", "ESH7"}  # type: ignore[attr-defined]
    march = await broker.qualify_contract(Instrument("ES", SecurityType.FUTURE, expiry="202703"))
    assert (march.local_symbol, march.multiplier) == ("ESH7", 50.0)
    dec = await broker.qualify_contract(Instrument("ES", SecurityType.FUTURE, local_symbol="ESZ6"))
    assert dec.expiry == "20261218"


async def test_the_chain_lists_expiries_and_strikes() -> None:
    """A future's chain lists its expiries; an option's its expiries, strikes and contracts."""
    broker, _, _ = await _sim()
    futures = await broker.contract_chain(Instrument("ES", SecurityType.FUTURE))
    assert futures.expiries == ("20261218", "20270319")
    options = await broker.contract_chain(Instrument("AAPL", SecurityType.OPTION))
    assert options.expiries == ("20261218", "20270115")
    assert options.strikes == (190.0, 200.0, 210.0)
    call = await broker.qualify_contract(
        Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=200.0, right=Right.CALL)
    )
    assert call in options.contracts
    assert broker.reference_price(call) is not None  # intrinsic 0 + 5.00
