"""The ib adapter's converters: IB values hydra does not support are refused by field."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from ib_async import Contract, LimitOrder, MarketOrder, Order

from hydra.adapters.ib import instrument_from_ib, order_request_from_ib
from hydra.adapters.ib.convert import market_equivalent_from_ib, to_ib_order
from hydra.domain import InvalidInputError, OrderRequest, OrderType, Side, TimeInForce


def test_converters_reject_unsupported_ib_values_by_field() -> None:
    """An unknown secType or time in force, or GTD without a date, is an error naming the field."""
    with pytest.raises(InvalidInputError, match="sec_type"):
        instrument_from_ib(Contract(secType="ZZZ", symbol="X"))
    with pytest.raises(InvalidInputError, match="tif"):
        order_request_from_ib(Order(action="BUY", totalQuantity=1, orderType="MKT", tif="XYZ"))
    with pytest.raises(InvalidInputError, match="good_till"):  # GTD needs its date
        order_request_from_ib(Order(action="BUY", totalQuantity=1, orderType="MKT", tif="GTD"))


def test_to_ib_order_is_the_order_ib_async_would_build() -> None:
    """Every field equals ib_async's own LimitOrder/MarketOrder; mutable fields are not shared."""
    limit = to_ib_order(OrderRequest(Side.SELL, 3, OrderType.LIMIT, 101.5, TimeInForce.GTC))
    expected = LimitOrder("SELL", 3, 101.5, tif="GTC")
    assert type(limit) is LimitOrder
    assert vars(limit) == vars(expected)
    market = to_ib_order(OrderRequest.market(Side.BUY, 2))
    assert type(market) is MarketOrder
    assert vars(market) == vars(MarketOrder("BUY", 2, tif="DAY"))
    for name in ("algoParams", "conditions", "orderMiscOptions", "softDollarTier"):
        assert getattr(limit, name) is not getattr(market, name)
    limit.algoParams.append("x")  # type: ignore[arg-type]
    assert to_ib_order(OrderRequest.market(Side.BUY, 1)).algoParams == []


def test_an_order_hydra_cannot_express_has_a_market_equivalent() -> None:
    """A REL SSHORT counts as a SELL MKT of its quantity; no quantity is an error by field."""
    rel = Order(action="SSHORT", totalQuantity=7, orderType="REL", tif="DTC")
    assert market_equivalent_from_ib(rel) == OrderRequest.market(Side.SELL, 7)
    with pytest.raises(InvalidInputError, match="quantity"):
        market_equivalent_from_ib(Order(action="BUY", totalQuantity=0, orderType="VWAP"))


_GTD = datetime(2026, 12, 18, 16, 0, tzinfo=ZoneInfo("America/New_York"))
_ROUND_TRIPS = [
    (OrderRequest.market(Side.BUY, 2), {"orderType": "MKT"}),
    (
        OrderRequest.limit(Side.SELL, 3, 101.5, tif=TimeInForce.GTD, good_till=_GTD),
        {
            "orderType": "LMT",
            "lmtPrice": 101.5,
            "tif": "GTD",
            "goodTillDate": "20261218 21:00:00 UTC",
        },
    ),
    (
        OrderRequest.stop(Side.SELL, 4, 95.0, reduce_only=True, order_ref="protect"),
        {"orderType": "STP", "auxPrice": 95.0, "orderRef": "reduce-only|protect"},
    ),
    (
        OrderRequest.stop_limit(Side.SELL, 5, 180.0, 179.0, outside_rth=True),
        {"orderType": "STP LMT", "auxPrice": 180.0, "lmtPrice": 179.0, "outsideRth": True},
    ),
    (
        OrderRequest.trailing_stop(Side.SELL, 6, amount=2.5, reduce_only=True),
        {"orderType": "TRAIL", "auxPrice": 2.5, "orderRef": "reduce-only|"},
    ),
    (
        OrderRequest(
            Side.BUY, 7, OrderType.TRAILING_STOP_LIMIT, trailing_percent=1.5, limit_offset=0.25
        ),
        {"orderType": "TRAIL LIMIT", "trailingPercent": 1.5, "lmtPriceOffset": 0.25},
    ),
    (
        OrderRequest(
            Side.BUY, 8, OrderType.MARKET_IF_TOUCHED, stop_price=190.0, tif=TimeInForce.GTC
        ),
        {"orderType": "MIT", "auxPrice": 190.0, "tif": "GTC"},
    ),
    (
        OrderRequest(
            Side.SELL, 9, OrderType.LIMIT_IF_TOUCHED, 211.0, stop_price=210.0, order_ref="tp-1"
        ),
        {"orderType": "LIT", "auxPrice": 210.0, "lmtPrice": 211.0, "orderRef": "tp-1"},
    ),
    (OrderRequest(Side.BUY, 10, OrderType.MARKET_ON_CLOSE), {"orderType": "MOC"}),
    (
        OrderRequest(Side.SELL, 11, OrderType.LIMIT_ON_CLOSE, 199.0),
        {"orderType": "LOC", "lmtPrice": 199.0},
    ),
]


@pytest.mark.parametrize(
    ("order", "fields"), _ROUND_TRIPS, ids=[order.order_type.value for order, _ in _ROUND_TRIPS]
)
def test_every_order_type_reaches_ib_with_its_fields_and_comes_back(
    order: OrderRequest, fields: dict[str, object]
) -> None:
    """Each type sends its IB fields (prices, GTD date, RTH, ref) and reads back as itself."""
    ib_order = to_ib_order(order)
    sent = {name: getattr(ib_order, name) for name in fields}
    assert sent == fields
    assert (ib_order.action, ib_order.totalQuantity) == (order.side.value, order.quantity)
    untouched = set(_SENT_FIELDS) - set(fields)
    assert {name: getattr(ib_order, name) for name in untouched} == {
        name: getattr(Order(), name) for name in untouched
    }
    assert order_request_from_ib(ib_order) == order


_SENT_FIELDS = (
    "lmtPrice",
    "auxPrice",
    "trailingPercent",
    "lmtPriceOffset",
    "goodTillDate",
    "outsideRth",
    "orderRef",
)


def test_every_order_type_is_in_the_round_trip() -> None:
    """The round-trip table covers all of OrderType, so a new type cannot skip it."""
    assert {order.order_type for order, _ in _ROUND_TRIPS} == set(OrderType)
