"""Small scenes the console and metrics tests set up on a running sim trader."""

from __future__ import annotations

from hydra.application import OrderDecision
from hydra.domain import BreakerInputs, Instrument, OrderRequest, Side
from tests.control.conftest import Running

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
