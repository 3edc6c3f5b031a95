"""Inputs: any finite real number is accepted; what cannot be a float is a typed error."""

from __future__ import annotations

import inspect
from fractions import Fraction

import numpy as np
import pytest

from hydra.adapters.ib import BrokerGateway
from hydra.adapters.sim import SimulatedBroker
from hydra.domain import BreakerInputs, InvalidInputError, OrderRequest, Quote, Side


@pytest.mark.parametrize("quantity", [np.int64(5), np.float32(5.0), np.float64(5.0), Fraction(5)])
def test_numpy_and_other_real_numbers_are_accepted(quantity: object) -> None:
    """Numpy scalars and Fractions are real numbers: an order of 5 is an order of 5.0."""
    order = OrderRequest(Side.BUY, quantity)  # type: ignore[arg-type]
    assert order.quantity == 5.0
    assert type(order.quantity) is float
    inputs = BreakerInputs(np.float64(0.0), np.int64(100), 100.0, np.float32(1.0), 0)  # type: ignore[arg-type]
    assert inputs.peak_equity == 100.0


def test_a_number_too_large_for_a_float_is_an_invalid_input() -> None:
    """10**400 names the field and says why; no OverflowError escapes."""
    with pytest.raises(InvalidInputError, match=r"order\.quantity.*too large"):
        OrderRequest(Side.BUY, 10**400)
    with pytest.raises(InvalidInputError, match="price"):
        Quote(10**400, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [np.bool_(1), True, "5", np.nan])
def test_booleans_strings_and_nan_are_refused(value: object) -> None:
    """A boolean, a string or NaN as a quantity is refused, naming the field."""
    with pytest.raises(InvalidInputError, match=r"order\.quantity"):
        OrderRequest(Side.BUY, value)  # type: ignore[arg-type]


async def test_the_seeds_position_and_account_reads_are_async() -> None:
    """`await gateway.get_positions()` and `get_account_summary()` work as the seed specifies."""
    assert inspect.iscoroutinefunction(BrokerGateway.get_positions)
    assert inspect.iscoroutinefunction(BrokerGateway.get_account_summary)
    broker = SimulatedBroker()
    await broker.connect()
    assert await broker.get_positions() == []
    assert (await broker.get_account_summary()).net_liquidation == 100_000.0
