"""Trading state and the REDUCING rule: which orders strictly shrink a position."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydra.domain import TradingState
from hydra.domain.trading_state import shrinks_position


def test_trading_state_round_trips_through_its_journal_string() -> None:
    """Each state is written as its name and parsed back to the same member."""
    for state in TradingState:
        assert str(state) == state.name
        assert TradingState(str(state)) is state
    with pytest.raises(ValueError, match="PAUSED"):
        TradingState("PAUSED")


@pytest.mark.parametrize(
    ("position", "committed", "order_delta", "shrinks"),
    [
        (100.0, 0.0, -40.0, True),  # long, partial sell
        (100.0, 0.0, -100.0, True),  # long, sell it all
        (100.0, 0.0, -150.0, False),  # long, oversell flips short
        (100.0, 0.0, 10.0, False),  # long, buying more grows it
        (0.0, 0.0, 10.0, False),  # flat, buy opens a position
        (0.0, 0.0, -10.0, False),  # flat, sell opens a position
        (-100.0, 0.0, 40.0, True),  # short, partial buy-to-cover
        (-100.0, 0.0, 100.0, True),  # short, cover it all
        (-100.0, 0.0, 150.0, False),  # short, overbuy flips long
        (-100.0, 0.0, -10.0, False),  # short, selling more grows it
        (100.0, -60.0, -50.0, False),  # in flight -60 then -50 flips to -10
        (100.0, -60.0, -40.0, True),  # in flight -60 then -40 closes exactly
        (100.0, -60.0, -30.0, True),  # in flight -60 then -30 leaves +10
        (100.0, -100.0, -10.0, False),  # in-flight orders already close the position
        (100.0, -150.0, 10.0, False),  # in-flight orders alone already flip it
        (-100.0, 70.0, 40.0, False),  # short: +70 in flight, +40 would flip to +10
        (-100.0, 70.0, 30.0, True),  # short: +70 in flight, +30 closes exactly
        (0.0, -50.0, 20.0, False),  # flat at the broker: nothing to shrink
        (0.5, 0.0, -0.25, True),  # fractional quantities count
    ],
)
def test_shrinks_position_truth_table(
    position: float, committed: float, order_delta: float, shrinks: bool
) -> None:
    """True only when position + in-flight + order is strictly smaller and never flipped."""
    assert shrinks_position(position, committed, order_delta) is shrinks


quantities = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
lots = st.integers(min_value=-10_000, max_value=10_000).map(float)
numbers = quantities | lots


@given(numbers, numbers, numbers)
@settings(max_examples=200, deadline=None)
def test_shrinking_never_grows_or_flips(position: float, committed: float, delta: float) -> None:
    """Whenever shrinks_position is True: p != 0, |p+c+d| < |p+c|, and no sign is flipped."""
    if not shrinks_position(position, committed, delta):
        return
    start = position + committed
    after = start + delta
    assert position != 0.0
    assert abs(after) < abs(start)
    assert (start > 0) == (position > 0)
    assert after == 0.0 or (after > 0) == (start > 0)


@given(numbers, numbers, numbers)
@settings(max_examples=150, deadline=None)
def test_orders_in_the_positions_direction_never_shrink(
    position: float, committed: float, delta: float
) -> None:
    """An order on the same side as the position (or a zero order) is never a reduction."""
    if position > 0:
        delta = abs(delta)
    elif position < 0:
        delta = -abs(delta)
    assert shrinks_position(position, committed, delta) is False
