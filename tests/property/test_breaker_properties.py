"""Property-based tests of the breakers and the gate (Hypothesis)."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import (
    BreakerConfig,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    OrderRequest,
    Side,
)

equity = st.floats(min_value=1.0, max_value=1e9, allow_nan=False, allow_infinity=False)
pnl = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
size = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)
loss = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)
inputs = st.tuples(pnl, equity, equity, size, loss)


def _breached(values: tuple[float, float, float, float, float], cfg: BreakerConfig) -> set[str]:
    """Plain restatement of the documented thresholds (the model the rules must match)."""
    daily, peak, current, position, trade = values
    names = set()
    if daily <= cfg.daily_loss_limit:
        names.add("daily_loss")
    if max(0.0, (peak - current) / peak) >= cfg.max_drawdown:
        names.add("drawdown")
    if position / current > cfg.max_position_fraction:
        names.add("position_size")
    if trade >= cfg.max_trade_loss:
        names.add("trade_loss")
    return names


@given(inputs)
def test_allowed_exactly_when_no_threshold_is_breached(
    values: tuple[float, float, float, float, float],
) -> None:
    """For all finite valid inputs, allowed <=> no threshold breached, and triggered names them."""
    allowed, triggered = CircuitBreakerManager().check_trade(*values)
    expected = _breached(values, BreakerConfig())
    assert allowed == (not expected)
    assert set(triggered) == expected


@given(inputs, st.integers(min_value=0, max_value=4), st.floats(min_value=0.0, max_value=10.0))
def test_worsening_any_input_never_turns_a_block_into_an_allow(
    values: tuple[float, float, float, float, float], index: int, amount: float
) -> None:
    """Making one input worse (more loss, less equity, bigger position) never unblocks."""
    if CircuitBreakerManager().check_trade(*values).allowed:
        return
    worse = list(values)
    if index == 0:
        worse[0] -= amount  # deeper daily loss
    elif index == 1:
        worse[1] += amount * worse[1]  # higher peak: deeper drawdown
    elif index == 2:
        worse[2] = worse[2] / (1.0 + amount)  # less equity
    elif index == 3:
        worse[3] += amount * (worse[3] + 1.0)  # bigger position
    else:
        worse[4] += amount  # bigger trade loss
    assert not CircuitBreakerManager().check_trade(*worse).allowed


bad_number = st.sampled_from([math.nan, math.inf, -math.inf])


@given(inputs, st.integers(min_value=0, max_value=4), bad_number)
def test_invalid_inputs_never_allow(
    values: tuple[float, float, float, float, float], index: int, bad: float
) -> None:
    """NaN or infinity in any argument raises; the gate turns that into a block."""
    broken = list(values)
    broken[index] = bad
    with pytest.raises(InvalidInputError) as caught:
        CircuitBreakerManager().check_trade(*broken)
    assert (
        caught.value.field
        == (
            "daily_pnl",
            "peak_equity",
            "current_equity",
            "position_value",
            "trade_loss",
        )[index]
    )


@given(
    st.lists(st.tuples(inputs, st.booleans()), min_size=1, max_size=15),
)
@settings(max_examples=60, deadline=None)
def test_a_blocked_order_never_reaches_the_broker(
    orders: list[tuple[tuple[float, float, float, float, float], bool]],
) -> None:
    """Across any sequence, the broker receives exactly the orders the gate allowed."""
    broker = SimulatedBroker()
    asyncio.run(broker.connect())
    gate = RiskGate(broker, CircuitBreakerManager())
    aapl = Instrument("AAPL")
    allowed_ids = []
    for values, corrupt in orders:
        args = list(values)
        if corrupt:
            args[2] = -abs(args[2])  # negative equity: cannot be judged
        asyncio.run(gate.submit(aapl, OrderRequest.market(Side.BUY, 1), *args))
        decision = gate.last_decision
        assert decision is not None
        if decision.allowed:
            assert not corrupt
            allowed_ids.append(decision.order_id)
    assert [o.order_id for o in broker.received] == allowed_ids
