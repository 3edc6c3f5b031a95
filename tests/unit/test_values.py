"""Domain value types validate themselves and name the field that is wrong."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from hydra.domain import (
    AccountSnapshot,
    ClientRole,
    Fill,
    Instrument,
    InvalidInputError,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    SecurityType,
    Side,
    TimeInForce,
)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"side": "HOLD", "quantity": 1}, "order.side"),
        ({"side": Side.BUY, "quantity": 0}, "order.quantity"),
        ({"side": Side.BUY, "quantity": -5}, "order.quantity"),
        ({"side": Side.BUY, "quantity": math.nan}, "order.quantity"),
        ({"side": Side.BUY, "quantity": math.inf}, "order.quantity"),
        ({"side": Side.BUY, "quantity": True}, "order.quantity"),
        ({"side": Side.BUY, "quantity": 1, "order_type": "BOGUS"}, "order.order_type"),
        ({"side": Side.BUY, "quantity": 1, "order_type": OrderType.LIMIT}, "order.limit_price"),
        (
            {"side": Side.BUY, "quantity": 1, "order_type": OrderType.LIMIT, "limit_price": -1},
            "order.limit_price",
        ),
        (
            {
                "side": Side.BUY,
                "quantity": 1,
                "order_type": OrderType.LIMIT,
                "limit_price": math.nan,
            },
            "order.limit_price",
        ),
        ({"side": Side.BUY, "quantity": 1, "limit_price": 10.0}, "order.limit_price"),
        ({"side": Side.BUY, "quantity": 1, "tif": "FOREVER"}, "order.tif"),
    ],
)
def test_order_request_rejects_bad_fields_by_name(kwargs: dict[str, object], field: str) -> None:
    """Each invalid order field raises InvalidInputError naming exactly that field."""
    with pytest.raises(InvalidInputError) as caught:
        OrderRequest(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert field in str(caught.value)


def test_order_request_coerces_ib_codes_and_builds_limits() -> None:
    """String codes become enums, and the limit constructor sets type and price."""
    order = OrderRequest("SELL", 5, "LMT", 101.5, "GTC")  # type: ignore[arg-type]
    assert order.side is Side.SELL
    assert order.order_type is OrderType.LIMIT
    assert order.tif is TimeInForce.GTC
    assert order.signed_quantity == -5
    assert OrderRequest.limit("BUY", 2, 10.0).limit_price == 10.0
    assert OrderRequest.market("BUY", 2).order_type is OrderType.MARKET


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"symbol": ""}, "instrument.symbol"),
        ({"symbol": "AAPL", "sec_type": "XYZ"}, "instrument.sec_type"),
        ({"symbol": "AAPL", "currency": "DOLLARS"}, "instrument.currency"),
        ({"symbol": "AAPL", "con_id": -1}, "instrument.con_id"),
        ({"symbol": "AAPL", "multiplier": 0}, "instrument.multiplier"),
    ],
)
def test_instrument_rejects_bad_fields_by_name(kwargs: dict[str, object], field: str) -> None:
    """Each invalid instrument field raises InvalidInputError naming it."""
    with pytest.raises(InvalidInputError) as caught:
        Instrument(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_instrument_normalises_and_qualifies() -> None:
    """Symbols and codes are upper-cased; qualified() carries the broker's contract id."""
    inst = Instrument(" aapl ", "STK", "smart", "usd")  # type: ignore[arg-type]
    assert (inst.symbol, inst.sec_type, inst.exchange, inst.currency) == (
        "AAPL",
        SecurityType.STOCK,
        "SMART",
        "USD",
    )
    assert not inst.is_qualified
    qualified = inst.qualified(265598, "NASDAQ")
    assert qualified.is_qualified
    assert qualified.primary_exchange == "NASDAQ"


def test_fill_position_and_account_validate() -> None:
    """Fills, positions and account snapshots refuse non-finite or impossible numbers."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match=r"fill\.price"):
        Fill(1, "AAPL", Side.BUY, 1, 0.0, now)
    with pytest.raises(InvalidInputError, match=r"position\.quantity"):
        Position(Instrument("AAPL"), math.nan)
    with pytest.raises(InvalidInputError, match=r"account\.net_liquidation"):
        AccountSnapshot("DU1", -1.0, 0.0)
    assert Position(Instrument("AAPL"), -3, 10.0).symbol == "AAPL"


def test_order_status_done_flags() -> None:
    """Only FILLED, CANCELLED and REJECTED are final."""
    done = {s for s in OrderStatus if s.is_done}
    assert done == {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}


def test_client_roles_map_ids_and_refuse_others() -> None:
    """Ids 1-3 are trading, diagnostic, CLI; emergency ids are others; two roles may submit."""
    assert ClientRole.from_client_id(1) is ClientRole.TRADING
    assert ClientRole.from_client_id(2) is ClientRole.DIAGNOSTIC
    assert ClientRole.from_client_id(3) is ClientRole.CLI
    assert [role.may_submit for role in ClientRole] == [True, False, False, True]
    for bad in (0, 4, -1, True, "1"):
        with pytest.raises(InvalidInputError, match="client_id"):
            ClientRole.from_client_id(bad)
    assert ClientRole.emergency(99) == 99
    for bad in (0, 1, 2, 3, -5, True, "99"):
        with pytest.raises(InvalidInputError, match="emergency client id"):
            ClientRole.emergency(bad)
