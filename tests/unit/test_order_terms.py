"""An order's terms in one line (``hydra orders``, the console) and tables safe for a terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hydra.adapters.control.shown import order_terms
from hydra.domain import OrderRequest, OrderType, Side, TimeInForce
from hydra.entrypoints.render import render_table

NEW_YORK_WINTER = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("order", "terms"),
    [
        (OrderRequest.market(Side.BUY, 1), "MKT"),
        (OrderRequest.limit(Side.BUY, 1, 5990.125), "LMT 5990.125"),
        (OrderRequest.stop(Side.SELL, 1, 179.0, tif=TimeInForce.GTC), "STP 179 GTC"),
        (OrderRequest.stop_limit(Side.SELL, 1, 180.0, 179.0), "STP LMT 180 / 179"),
        (OrderRequest.trailing_stop(Side.SELL, 1, amount=2.5), "TRAIL 2.5"),
        (OrderRequest.trailing_stop(Side.SELL, 1, percent=1.5), "TRAIL 1.5%"),
        (
            OrderRequest(
                Side.SELL, 1, OrderType.TRAILING_STOP_LIMIT, trailing_amount=2.0, limit_offset=0.25
            ),
            "TRAIL LIMIT 2 offset 0.25",
        ),
        (
            OrderRequest(Side.BUY, 1, OrderType.LIMIT_IF_TOUCHED, 99.0, stop_price=98.0),
            "LIT 98 / 99",
        ),
        (OrderRequest(Side.BUY, 1, OrderType.MARKET_ON_CLOSE), "MOC"),
        (
            OrderRequest.stop_limit(
                Side.SELL,
                1,
                180.0,
                179.0,
                tif=TimeInForce.GTD,
                good_till=datetime(2026, 12, 31, 16, 0, tzinfo=NEW_YORK_WINTER),
                outside_rth=True,
                order_ref="abc",
                reduce_only=True,
            ),
            "STP LMT 180 / 179 GTD 2026-12-31T21:00Z outside-RTH ref=abc reduce-only",
        ),
        (
            OrderRequest.market(
                Side.BUY,
                1,
                tif=TimeInForce.GTD,
                good_till=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            ),
            "MKT GTD 2026-01-02T03:04:05Z",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_terms_show_the_type_its_prices_and_every_term_set(order: OrderRequest, terms: str) -> None:
    """Trigger before limit, the trail, a non-DAY TIF with its UTC end, RTH, ref, reduce-only."""
    assert order_terms(order) == terms


def test_terms_name_the_oca_group_and_the_parent() -> None:
    """A bracket child's terms end with its OCA group and its parent's order id."""
    stop = OrderRequest.stop(Side.SELL, 1, 95.5)
    assert order_terms(stop, oca_group="g1", parent_id=12) == "STP 95.5 oca=g1 parent=12"


def test_a_table_prints_control_characters_as_escapes() -> None:
    """A symbol or OCA group from elsewhere cannot clear the screen or forge a row."""
    table = render_table(["symbol", "terms"], [["EV\x1b[2JIL", "LMT 1 oca=a\rb\u202e"]])
    for raw in ("\x1b", "\r", "\u202e"):
        assert raw not in table
    assert "EV\\x1b[2JIL" in table
    assert "oca=a\\x0db\\u202e" in table
