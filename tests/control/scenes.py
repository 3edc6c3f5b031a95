"""Small scenes the console and metrics tests set up on a running sim trader."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from hydra.application import OrderDecision, OrderHandle
from hydra.application.orders import BracketHandle
from hydra.domain import (
    BreakerInputs,
    Instrument,
    OrderRequest,
    SecurityType,
    Side,
    TimeInForce,
)
from tests.control.conftest import Running

FUT = SecurityType.FUTURE

TRIPPING = BreakerInputs(-0.05, 100_000.0, 95_000.0, 0.0, 0.0)
"""Caller inputs (daily P&L -5 %) that trip ``daily_loss``; stricter than the derived ones."""


async def trip_daily_loss(running: Running) -> OrderDecision:
    """Trip the daily-loss breaker with one blocked AAPL buy."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    order = OrderRequest.market(Side.BUY, 1)
    decision = running.gate.submit_with_decision(aapl, order, inputs=TRIPPING)
    assert "daily_loss" in decision.triggered, decision.reasons
    return decision


async def buy(
    running: Running, symbol: str, quantity: float, currency: str = "USD"
) -> OrderDecision:
    """A market buy through the gate, allowed."""
    instrument = await running.gate.broker.qualify_contract(Instrument(symbol, currency=currency))
    decision = running.gate.submit_with_decision(
        instrument, OrderRequest.market(Side.BUY, quantity)
    )
    assert decision.allowed, decision.reasons
    return decision


GOOD_TILL = datetime(2030, 6, 28, 20, 0, tzinfo=UTC)
"""The stop-limit's GTD end in ``protected_futures``."""


class ProtectedFutures(NamedTuple):
    """What ``protected_futures`` placed, and the terms each order shows."""

    stop_limit: OrderHandle
    bracket: BracketHandle
    terms: dict[int, str]


async def protected_futures(running: Running) -> ProtectedFutures:
    """Long one ESZ6 and one ESH7 (at 100); a stop-limit on ESZ6, a bracket on ESH7.

    The two expiries share the symbol ES, so only their labels tell them apart. The
    stop-limit carries every term (GTD, outside-RTH, a ref, reduce-only); the bracket's
    take-profit and stop-loss carry their OCA group and their parent, the entry.
    """
    running.broker.set_price("ES", 100.0)
    z6 = await running.gate.broker.qualify_contract(Instrument("ES", FUT, expiry="202612"))
    h7 = await running.gate.broker.qualify_contract(Instrument("ES", FUT, expiry="202703"))
    for future in (z6, h7):
        bought = running.gate.submit_with_decision(future, OrderRequest.market(Side.BUY, 1))
        assert bought.allowed, bought.reasons
    stop = running.gate.submit_with_decision(
        z6,
        OrderRequest.stop_limit(
            Side.SELL,
            1,
            95.0,
            94.5,
            tif=TimeInForce.GTD,
            good_till=GOOD_TILL,
            outside_rth=True,
            order_ref="exit-z6",
            reduce_only=True,
        ),
    )
    assert stop.handle is not None, stop.reasons
    bracket = await running.gate.submit_bracket(
        h7,
        OrderRequest.limit(Side.BUY, 1, 99.0),
        take_profit=OrderRequest.limit(Side.SELL, 1, 105.0),
        stop_loss=OrderRequest.stop(Side.SELL, 1, 95.5),
    )
    assert bracket is not None, running.gate.last_decision
    assert bracket.take_profit is not None
    assert bracket.stop_loss is not None
    entry, group = bracket.entry.order_id, bracket.stop_loss.oca_group
    assert group
    terms = {
        stop.handle.order_id: (
            "STP LMT 95 / 94.5 GTD 2030-06-28T20:00Z outside-RTH ref=exit-z6 reduce-only"
        ),
        entry: "LMT 99",
        bracket.take_profit.order_id: f"LMT 105 oca={group} parent={entry}",
        bracket.stop_loss.order_id: f"STP 95.5 oca={group} parent={entry}",
    }
    return ProtectedFutures(stop.handle, bracket, terms)
