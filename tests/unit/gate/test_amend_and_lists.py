"""Amendments, brackets and OCA groups: judged like any order, as one decision each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.application.records import DecisionRecord
from hydra.domain import (
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    SecurityType,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
AAPL = Instrument("AAPL")
HEALTHY = BreakerInputs(0.0, 1e6, 1e6, 0.0, 0.0)


async def _desk(**limits: object) -> tuple[SimulatedBroker, RiskGate, MemoryJournal]:
    clock = ManualClock(NOW)
    broker = SimulatedBroker(clock=clock, cash=1e6)
    await broker.connect()
    journal = MemoryJournal()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=OrderLimits(**limits),  # type: ignore[arg-type]
        journal=journal,
        clock=clock,
    )
    return broker, gate, journal


# ---------------------------------------------------------------- amend
async def test_an_amendment_keeps_the_order_id_and_is_written_ahead() -> None:
    """A new limit price goes to the same broker order; the record says which it amends."""
    broker, gate, journal = await _desk()
    handle = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 10, 195.0))
    assert handle is not None
    assert await gate.modify(handle, limit_price=196.0) is handle
    assert await gate.modify(handle, limit_price=197.0) is handle
    assert handle.request.limit_price == 197.0
    amendments = [d for d in journal.of_type(DecisionRecord) if d.amends is not None]
    assert [(d.amends, d.order_id, d.limit_price) for d in amendments] == [
        (handle.order_id, handle.order_id, 196.0),
        (handle.order_id, handle.order_id, 197.0),
    ]
    broker.set_price("AAPL", 197.0)
    assert handle.status is OrderStatus.FILLED


async def test_an_amendment_is_judged_like_an_order() -> None:
    """HALTED blocks it; the collar applies to the new price; the growth meets the notional."""
    _, gate, _ = await _desk(max_notional=50_000.0)
    handle = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 100, 195.0))
    assert handle is not None
    far = gate.modify_with_decision(handle, limit_price=150.0)
    assert far.triggered == ("price_collar",)
    grown = gate.modify_with_decision(handle, quantity=300)  # +200 x 195 = 39k: fine
    assert grown.allowed, grown.reasons
    too_big = gate.modify_with_decision(handle, quantity=600)  # +300 x 195 = 58.5k
    assert too_big.triggered == ("max_notional",)
    gate.set_trading_state(TradingState.HALTED, who="ops", why="test")
    assert gate.modify_with_decision(handle, limit_price=196.0).triggered == ("halted",)
    assert handle.request.quantity == 300  # only the allowed amendment reached the broker


async def test_amendments_have_their_own_rate() -> None:
    """max_modifies per window: the next amendment is blocked as modify_rate."""
    _, gate, _ = await _desk(max_modifies=2)
    handle = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 1, 195.0))
    assert handle is not None
    outcomes = [
        gate.modify_with_decision(handle, limit_price=195.0 + i / 10).allowed for i in (1, 2, 3)
    ]
    assert outcomes == [True, True, False]
    assert gate.last_decision is not None
    assert gate.last_decision.triggered == ("modify_rate",)


async def test_a_done_or_foreign_order_cannot_be_amended() -> None:
    """A filled order, or an order the gate did not send, is an error naming the handle."""
    broker, gate, _ = await _desk()
    filled = await gate.submit(AAPL, OrderRequest.market(Side.BUY, 1))
    assert filled is not None
    with pytest.raises(InvalidInputError, match="only a working order"):
        await gate.modify(filled, quantity=2)
    foreign = broker.inject_foreign_order(AAPL, OrderRequest.limit(Side.BUY, 1, 150.0))
    with pytest.raises(InvalidInputError, match="not sent by this gate"):
        await gate.modify(foreign, limit_price=151.0)
    working = await gate.submit(AAPL, OrderRequest.limit(Side.BUY, 1, 195.0))
    assert working is not None
    with pytest.raises(InvalidInputError, match="nothing to change"):
        await gate.modify(working)
    with pytest.raises(InvalidInputError, match=r"order\.stop_price"):
        await gate.modify(working, stop_price=190.0)  # a LMT takes no stop price


# ---------------------------------------------------------------- brackets
async def test_a_bracket_protects_its_entry_and_one_child_cancels_the_other() -> None:
    """Entry, take-profit and stop-loss go as one decision; the stop fills, the TP is cancelled."""
    broker, gate, journal = await _desk()
    bracket = await gate.submit_bracket(
        AAPL,
        OrderRequest.limit(Side.BUY, 10, 200.0),
        take_profit=OrderRequest.limit(Side.SELL, 10, 210.0),
        stop_loss=OrderRequest.stop(Side.SELL, 10, 195.0),
    )
    assert bracket is not None
    assert bracket.entry.status is OrderStatus.FILLED
    [record] = [d for d in journal.of_type(DecisionRecord) if d.legs]
    assert [leg.role for leg in record.legs] == ["take_profit", "stop_loss"]
    assert [leg.order_id for leg in record.legs] == [
        bracket.take_profit.order_id,  # type: ignore[union-attr]
        bracket.stop_loss.order_id,  # type: ignore[union-attr]
    ]
    broker.set_price("AAPL", 194.0)
    assert bracket.stop_loss is not None
    assert bracket.take_profit is not None
    assert bracket.stop_loss.status is OrderStatus.FILLED
    assert bracket.take_profit.status is OrderStatus.CANCELLED


async def test_a_bracket_is_blocked_whole_when_one_leg_is() -> None:
    """A take-profit off the tick blocks the whole bracket, naming the leg; nothing is sent."""
    broker, gate, _ = await _desk()
    blocked = await gate.submit_bracket(
        AAPL,
        OrderRequest.limit(Side.BUY, 10, 200.0),
        take_profit=OrderRequest.limit(Side.SELL, 10, 209.995),
    )
    assert blocked is None
    decision = gate.last_decision
    assert decision is not None
    assert decision.triggered == ("tick",)
    assert decision.reasons[0].message.startswith("take_profit: ")
    assert broker.received == []


async def test_a_brackets_children_do_not_add_to_its_exposure() -> None:
    """A bracket at the position limit passes: its children reduce what the entry adds."""
    _, gate, _ = await _desk()
    # 1,000 AAPL at 200 = 200k of 1M: exactly the 20 % position limit.
    bracket = await gate.submit_bracket(
        AAPL,
        OrderRequest.limit(Side.BUY, 1_000, 200.0),
        take_profit=OrderRequest.limit(Side.SELL, 1_000, 209.0),
        stop_loss=OrderRequest.stop(Side.SELL, 1_000, 190.0),
        inputs=HEALTHY,
    )
    assert bracket is not None, gate.last_decision


@pytest.mark.parametrize(
    ("take_profit", "stop_loss", "named"),
    [
        (None, None, "take_profit"),
        (OrderRequest.limit(Side.BUY, 10, 210.0), None, "take_profit.side"),
        (OrderRequest.limit(Side.SELL, 5, 210.0), None, "take_profit.quantity"),
        (OrderRequest.stop(Side.SELL, 10, 210.0), None, "take_profit.order_type"),
        (None, OrderRequest.limit(Side.SELL, 10, 190.0), "stop_loss.order_type"),
    ],
)
async def test_a_bracket_of_the_wrong_shape_is_refused_by_name(
    take_profit: OrderRequest | None, stop_loss: OrderRequest | None, named: str
) -> None:
    """Children on the entry's side, of another size or kind, or none, are named errors."""
    _, gate, _ = await _desk()
    with pytest.raises(InvalidInputError, match=named):
        await gate.submit_bracket(
            AAPL,
            OrderRequest.limit(Side.BUY, 10, 200.0),
            take_profit=take_profit,
            stop_loss=stop_loss,
        )


async def test_the_kill_switch_cancels_every_leg() -> None:
    """A bracket resting unfilled: the kill switch cancels the entry and its children."""
    broker, gate, _ = await _desk()
    bracket = await gate.submit_bracket(
        AAPL,
        OrderRequest.limit(Side.BUY, 10, 195.0),
        take_profit=OrderRequest.limit(Side.SELL, 10, 205.0),
        stop_loss=OrderRequest.stop(Side.SELL, 10, 190.0),
    )
    assert bracket is not None
    report = await gate.kill_switch(who="ops", why="test")
    assert sorted(report.cancelled) == sorted(h.order_id for h in bracket if h is not None)
    assert broker.open_orders() == []


# ---------------------------------------------------------------- OCA
async def test_an_oca_group_is_one_decision_and_fills_once() -> None:
    """Two legs in one OCA group: judged as one decision, and only one can fill."""
    broker, gate, journal = await _desk()
    handles = await gate.submit_oca(
        [
            (AAPL, OrderRequest.limit(Side.BUY, 5, 195.0)),
            (AAPL, OrderRequest.stop(Side.BUY, 5, 205.0)),
        ],
        group="breakout",
    )
    assert handles is not None
    assert {h.oca_group for h in handles} == {"breakout"}
    assert len([d for d in journal.of_type(DecisionRecord) if d.legs]) == 1
    broker.set_price("AAPL", 206.0)
    broker.set_price("AAPL", 194.0)
    assert [h.status for h in handles] == [OrderStatus.CANCELLED, OrderStatus.FILLED]


async def test_an_oca_group_counts_its_largest_leg_not_the_sum() -> None:
    """Two legs of 15 % each pass the 20 % limit (only one can fill); one of 25 % does not."""
    _, gate, _ = await _desk()
    legs = [
        (AAPL, OrderRequest.limit(Side.BUY, 750, 199.0)),
        (AAPL, OrderRequest.stop(Side.BUY, 750, 201.0)),
    ]
    assert await gate.submit_oca(legs, group="a", inputs=HEALTHY) is not None
    over = [
        (AAPL, OrderRequest.limit(Side.BUY, 1_300, 198.0)),
        (AAPL, OrderRequest.stop(Side.BUY, 10, 202.0)),
    ]
    assert await gate.submit_oca(over, group="b", inputs=HEALTHY) is None


async def test_an_oca_group_needs_two_legs_and_a_name() -> None:
    """One leg, or an empty group name, is refused by name."""
    _, gate, _ = await _desk()
    one = [(AAPL, OrderRequest.limit(Side.BUY, 1, 195.0))]
    with pytest.raises(InvalidInputError, match="legs"):
        await gate.submit_oca(one, group="x")
    with pytest.raises(InvalidInputError, match="group"):
        await gate.submit_oca([*one, *one], group=" ")


# ---------------------------------------------------------------- reduce-only and identity
async def test_reduce_only_orders_flatten_and_never_grow() -> None:
    """A reduce-only sell closes a long; a second one (working counted) is blocked."""
    broker, gate, _ = await _desk()
    await gate.submit(AAPL, OrderRequest.market(Side.BUY, 10))
    close = await gate.submit(AAPL, OrderRequest.limit(Side.SELL, 10, 210.0, reduce_only=True))
    assert close is not None
    again = gate.submit_with_decision(AAPL, OrderRequest.market(Side.SELL, 1, reduce_only=True))
    assert again.triggered == ("reduce_only",)
    assert broker.open_orders() == [close]


async def test_es_by_expiry_is_traded_and_bare_es_is_not() -> None:
    """ES named by expiry qualifies and trades; bare ES blocks as unqualified (ambiguous)."""
    clock = ManualClock(NOW)
    broker = SimulatedBroker(clock=clock, cash=1e7)
    await broker.connect()
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        clock=clock,
        limits=OrderLimits(max_notional=1e7),
        config=GateConfig(derive_inputs=False),
    )
    es = await gate.broker.qualify_contract(Instrument("ES", SecurityType.FUTURE, expiry="202612"))
    inputs = BreakerInputs(0.0, 1e7, 1e7, 0.0, 0.0)
    assert gate.submit_with_decision(
        es, OrderRequest.limit(Side.BUY, 1, 5000.0), inputs=inputs
    ).allowed
    bare = Instrument("ES", SecurityType.FUTURE, multiplier=50.0)
    blocked = gate.submit_with_decision(
        bare, OrderRequest.limit(Side.BUY, 1, 5000.0), inputs=inputs
    )
    assert blocked.triggered == ("unqualified",)


async def test_the_ledger_counts_a_working_oca_group_by_its_largest_leg() -> None:
    """After an OCA group of 300 and 500 rests, the ledger's working buys are 500, not 800."""
    _, gate, _ = await _desk()
    handles = await gate.submit_oca(
        [
            (AAPL, OrderRequest.limit(Side.BUY, 300, 190.0)),
            (AAPL, OrderRequest.stop(Side.BUY, 500, 210.0)),
        ],
        group="range",
    )
    assert handles is not None
    assert gate.exposure(AAPL).buying == 500
    await gate.cancel(handles[1])
    assert gate.exposure(AAPL).buying == 300
