"""The ib adapter's converters: IB values hydra does not support are refused by field."""

from __future__ import annotations

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
