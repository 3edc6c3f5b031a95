"""Trading state: ACTIVE, REDUCING (only orders that shrink a position) or HALTED."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TradingState", "shrinks_position"]


class TradingState(StrEnum):
    """The gate's trading state; HALTED admits nothing and is checked first."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


def shrinks_position(position: float, committed: float, order_delta: float) -> bool:
    """True when an order strictly shrinks the absolute position and never flips it.

    ``position`` is the broker's signed position; ``committed`` the signed quantity of
    orders in flight in the same direction as the order (they may all fill first);
    ``order_delta`` the order's signed quantity. From flat nothing shrinks.
    """
    start = position + committed
    if position == 0.0 or start == 0.0:
        return False
    if (start > 0) != (position > 0):
        return False  # in-flight orders alone already flip the position
    after = start + order_delta
    return abs(after) < abs(start) and (after == 0.0 or (after > 0) == (start > 0))
