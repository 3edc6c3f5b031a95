"""Hypothesis: no sequence of orders takes gross exposure past its cap.

Gross exposure is measured here from the simulator's own books (positions, working
orders and prices), independently of the gate's ledger: after every allowed order it is
within the cap x equity, or no higher than before the order (a price move may have
taken the book over the cap; only an order that lowers exposure may then pass).
"""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import (
    AccountLimits,
    BreakerConfig,
    CircuitBreakerManager,
    Instrument,
    LimitTable,
    ManualClock,
    OrderRequest,
    Side,
)

STOCKS = [Instrument(f"S{i}", con_id=2000 + i) for i in range(4)]
CAP = 0.6

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=len(STOCKS) - 1),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=300),
        st.one_of(st.none(), st.sampled_from([-0.03, -0.01, 0.01, 0.03])),  # limit offset
        st.sampled_from([-0.05, 0.0, 0.0, 0.05]),  # price move after the order
    ),
    min_size=1,
    max_size=15,
)


def _gross(broker: SimulatedBroker) -> float:
    """Every stock at the extreme where all its working orders on one side fill."""
    held = {p.instrument.con_id: p.quantity for p in broker.positions()}
    total = 0.0
    for stock in STOCKS:
        working = [h for h in broker.open_orders() if h.instrument.con_id == stock.con_id]
        buys = sum(h.remaining for h in working if h.request.side is Side.BUY)
        sells = sum(h.remaining for h in working if h.request.side is Side.SELL)
        position = held.get(stock.con_id, 0.0)
        price = broker.price(stock.symbol) or 0.0
        total += max(abs(position + buys), abs(position - sells)) * price
    return total


@given(steps=steps)
@settings(max_examples=60, deadline=None)
def test_no_sequence_of_orders_passes_the_gross_cap(
    steps: list[tuple[int, Side, int, float | None, float]],
) -> None:
    """After each allowed order, gross exposure <= cap x equity, or it did not grow."""
    asyncio.run(_session(steps))


async def _session(steps: list[tuple[int, Side, int, float | None, float]]) -> None:
    clock = ManualClock()
    broker = SimulatedBroker(STOCKS, {s.symbol: 100.0 for s in STOCKS}, clock=clock)
    await broker.connect()
    gate = RiskGate(
        broker,
        # Position size and the per-order limits out of the way: the cap alone judges.
        CircuitBreakerManager(BreakerConfig(max_position_fraction=10.0), clock),
        limits=LimitTable(by_type={"STK": {"max_notional": 1e9, "price_collar": 0.5}}),
        account_limits=AccountLimits(max_gross_exposure=CAP, max_net_exposure=None),
        clock=clock,
    )
    for index, side, quantity, offset, move in steps:
        stock = STOCKS[index]
        price = broker.price(stock.symbol) or 100.0
        order = (
            OrderRequest.market(side, quantity, intentional_duplicate=True)
            if offset is None
            else OrderRequest.limit(
                side, quantity, round(price * (1 + offset), 2), intentional_duplicate=True
            )
        )
        before = _gross(broker)
        decision = await gate.place(stock, order)
        after = _gross(broker)
        if decision.allowed:
            equity = broker.account().net_liquidation
            assert after <= max(CAP * equity, before) + 1e-6, (decision, before, after, equity)
        if move:
            broker.set_price(stock.symbol, round(price * (1 + move), 2))
