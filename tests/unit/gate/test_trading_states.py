"""Trading states: HALTED admits nothing, REDUCING only shrinks, changes need who and why."""

from __future__ import annotations

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.application.records import StateChanged
from hydra.domain import (
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    OrderRequest,
    SecurityType,
    Side,
    TradingState,
)
from hydra.domain.trading_state import shrinks_position

from .desk import AAPL, OK, STOCK, funded_sim, trading_desk

OPTION = Instrument("AAPL", SecurityType.OPTION, con_id=500_000_001, multiplier=100.0)


async def test_halted_admits_nothing_and_is_checked_first() -> None:
    """HALTED blocks every order, and is the only reason given even when others apply."""
    broker, gate, _, journal = await trading_desk()
    gate.set_trading_state(TradingState.HALTED, who="ops", why="market turmoil")
    broker.drop_connection()
    decision = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert decision.triggered == ("halted",)
    assert broker.received == []
    [state] = journal.of_type(StateChanged)
    assert (state.previous, state.state, state.who, state.why) == (
        "ACTIVE",
        "HALTED",
        "ops",
        "market turmoil",
    )


def test_trading_state_changes_need_a_known_state_and_a_reason() -> None:
    """An unknown state or a missing who/why is refused by name."""
    gate = RiskGate(SimulatedBroker(), CircuitBreakerManager())
    with pytest.raises(InvalidInputError, match="state"):
        gate.set_trading_state("PAUSED", who="ops", why="x")
    with pytest.raises(InvalidInputError, match="why"):
        gate.set_trading_state(TradingState.HALTED, who="ops", why=" ")
    assert gate.trading_state is TradingState.ACTIVE


async def test_reducing_admits_only_orders_that_shrink_the_position() -> None:
    """REDUCING: from flat nothing passes; a partial sell of a long passes; a flip is blocked."""
    broker, gate, _, _ = await trading_desk()
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    assert gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 5), inputs=BreakerInputs(*OK)
    ).triggered == ("reducing",)
    gate.set_trading_state(TradingState.ACTIVE, who="ops", why="build a position")
    assert gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 10), inputs=BreakerInputs(*OK)
    ).allowed
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    flip = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.SELL, 15), inputs=BreakerInputs(*OK)
    )
    assert flip.triggered == ("reducing",)
    grow = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert grow.triggered == ("reducing",)
    shrink = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.SELL, 4), inputs=BreakerInputs(*OK)
    )
    assert shrink.allowed
    assert broker.positions()[0].quantity == 6


async def test_reducing_counts_orders_in_flight() -> None:
    """REDUCING judges against position plus working orders: two sells cannot jointly flip."""
    broker, gate, _, _ = await trading_desk()
    assert gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 10), inputs=BreakerInputs(*OK)
    ).allowed
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    resting = OrderRequest.limit(Side.SELL, 6, 205.0)
    assert gate.submit_with_decision(AAPL, resting, inputs=BreakerInputs(*OK)).allowed
    second = gate.submit_with_decision(
        AAPL, OrderRequest.limit(Side.SELL, 6, 206.0), inputs=BreakerInputs(*OK)
    )
    assert second.triggered == ("reducing",)
    third = gate.submit_with_decision(
        AAPL, OrderRequest.limit(Side.SELL, 4, 206.0), inputs=BreakerInputs(*OK)
    )
    assert third.allowed
    assert len(broker.received) == 3


async def test_reducing_tells_a_stock_from_an_option_on_it() -> None:
    """Long the stock: the option on it (same symbol, other contract id) is still flat.

    The ledger keys exposure by contract id, so selling the option would open a new
    short, which REDUCING refuses; an option the broker never qualified is refused too.
    """
    broker, clock = await funded_sim()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, limits=None)
    assert gate.submit_with_decision(STOCK, OrderRequest.market(Side.BUY, 50)).allowed
    assert gate.exposure(STOCK).position == 50
    assert gate.exposure(OPTION).position == 0
    assert not shrinks_position(gate.exposure(OPTION).position, 0.0, -5.0)
    gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
    option_sale = gate.submit_with_decision(OPTION, OrderRequest.market(Side.SELL, 5))
    assert option_sale.triggered == ("unqualified",)
    assert gate.submit_with_decision(STOCK, OrderRequest.market(Side.SELL, 5)).allowed
