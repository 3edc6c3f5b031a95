"""IB's order vocabulary: every type validates its own fields, naming the one it refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hydra.domain import InvalidInputError, OrderRequest, OrderType, Side, TimeInForce

LATER = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)


def test_the_constructors_build_each_type_with_its_prices() -> None:
    """stop, stop_limit and trailing_stop build STP, STP LMT and TRAIL with their fields."""
    stop = OrderRequest.stop(Side.SELL, 1, 5950.0)
    assert (stop.order_type, stop.stop_price, stop.limit_price) == (OrderType.STOP, 5950.0, None)
    stop_limit = OrderRequest.stop_limit(Side.SELL, 1, 5950.0, 5945.0)
    assert stop_limit.prices == (5950.0, 5945.0)
    trail = OrderRequest.trailing_stop(Side.SELL, 2, percent=1.5)
    assert (trail.order_type, trail.trailing_percent, trail.trailing_amount) == (
        OrderType.TRAILING_STOP,
        1.5,
        None,
    )
    assert OrderRequest.trailing_stop(Side.BUY, 1, amount=2.5).trailing_amount == 2.5


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"order_type": "STP"}, "order.stop_price"),
        ({"order_type": "STP", "stop_price": 10.0, "limit_price": 9.0}, "order.limit_price"),
        ({"order_type": "STP LMT", "stop_price": 10.0}, "order.limit_price"),
        ({"order_type": "MIT"}, "order.stop_price"),
        ({"order_type": "LIT", "stop_price": 10.0}, "order.limit_price"),
        ({"order_type": "LOC"}, "order.limit_price"),
        ({"order_type": "MOC", "limit_price": 10.0}, "order.limit_price"),
        ({"order_type": "MKT", "stop_price": 10.0}, "order.stop_price"),
        ({"order_type": "TRAIL"}, "order.trailing_amount"),
        ({"order_type": "TRAIL", "trailing_amount": 1.0, "trailing_percent": 1.0}, "amount"),
        ({"order_type": "TRAIL", "trailing_percent": 150.0}, "order.trailing_percent"),
        ({"order_type": "TRAIL", "trailing_amount": -1.0}, "order.trailing_amount"),
        ({"order_type": "TRAIL LIMIT", "trailing_amount": 1.0}, "order.limit_offset"),
        ({"order_type": "LMT", "limit_price": 1.0, "trailing_amount": 1.0}, "trailing_amount"),
        ({"tif": "GTD"}, "order.good_till"),
        ({"tif": "GTD", "good_till": datetime(2026, 12, 24)}, "order.good_till"),  # naive
        ({"tif": "DAY", "good_till": LATER}, "order.good_till"),
        ({"order_ref": "x" * 65}, "order.order_ref"),
        ({"order_ref": "strategy\x1b[2J"}, "order.order_ref"),
        ({"reduce_only": "yes"}, "order.reduce_only"),
        ({"outside_rth": 1}, "order.outside_rth"),
    ],
)
def test_each_type_refuses_the_fields_it_does_not_take(
    fields: dict[str, object], named: str
) -> None:
    """A missing, extra or malformed field is an InvalidInputError naming it."""
    with pytest.raises(InvalidInputError, match=named):
        OrderRequest(Side.BUY, 1, **fields)  # type: ignore[arg-type]


def test_gtd_outside_rth_order_ref_and_reduce_only_are_kept() -> None:
    """A GTD limit keeps its date, outside-RTH flag, tag and reduce-only flag."""
    order = OrderRequest.limit(
        Side.SELL,
        5,
        101.0,
        tif=TimeInForce.GTD,
        good_till=LATER,
        outside_rth=True,
        order_ref="mean-revert-7",
        reduce_only=True,
    )
    assert (order.tif, order.good_till, order.outside_rth) == (TimeInForce.GTD, LATER, True)
    assert (order.order_ref, order.reduce_only) == ("mean-revert-7", True)


def test_an_order_is_valued_at_its_limit_then_its_trigger_then_the_reference() -> None:
    """valued_at: the limit price if any, else the stop/touch price, else the reference."""
    assert OrderRequest.limit(Side.BUY, 1, 99.0).valued_at(100.0) == 99.0
    assert OrderRequest.stop(Side.BUY, 1, 105.0).valued_at(100.0) == 105.0
    assert OrderRequest.market(Side.BUY, 1).valued_at(100.0) == 100.0
    assert OrderRequest.trailing_stop(Side.SELL, 1, amount=1.0).valued_at(None) is None
