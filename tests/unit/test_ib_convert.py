"""The ib adapter's converters: IB values hydra does not support are refused by field."""

from __future__ import annotations

import pytest
from ib_async import Contract, Order

from hydra.adapters.ib import instrument_from_ib, order_request_from_ib
from hydra.domain import InvalidInputError


def test_converters_reject_unsupported_ib_values_by_field() -> None:
    """An unknown secType or time in force is an InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError, match="sec_type"):
        instrument_from_ib(Contract(secType="ZZZ", symbol="X"))
    with pytest.raises(InvalidInputError, match="tif"):
        order_request_from_ib(Order(action="BUY", totalQuantity=1, orderType="MKT", tif="XYZ"))
    assert (
        order_request_from_ib(
            Order(action="BUY", totalQuantity=1, orderType="MKT", tif="GTD")
        ).tif.value
        == "GTD"
    )
