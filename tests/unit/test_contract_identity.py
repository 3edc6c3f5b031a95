"""Contract identity: expiries, strikes and rights tell contracts apart; ticks are checked."""

from __future__ import annotations

import pytest

from hydra.domain import (
    AmbiguousContractError,
    ContractSpec,
    Instrument,
    InvalidInputError,
    Right,
    SecurityType,
)

ESZ6 = Instrument("ES", SecurityType.FUTURE, "CME", multiplier=50.0, expiry="202612")
ESH7 = Instrument("ES", SecurityType.FUTURE, "CME", multiplier=50.0, expiry="202703")
CALL = Instrument(
    "AAPL", SecurityType.OPTION, multiplier=100.0, expiry="20261218", strike=200.0, right="C"
)


def test_two_expiries_of_a_future_are_two_instruments() -> None:
    """ES Dec-26 and ES Mar-27 have different keys, and neither is the bare ES."""
    assert ESZ6.key != ESH7.key
    assert not ESZ6.same_as(ESH7)
    bare = Instrument("ES", SecurityType.FUTURE, "CME", multiplier=50.0)
    assert bare.matches(ESZ6.qualified(1))
    assert bare.matches(ESH7.qualified(2))
    assert not ESZ6.matches(ESH7.qualified(2))


def test_an_option_is_named_by_expiry_strike_and_right() -> None:
    """A call is shown with its contract fields; 'PUT' and 'p' normalise to Right.PUT."""
    assert CALL.right is Right.CALL
    assert CALL.label == "AAPL 20261218 200 C"
    put = Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=200.0, right="put")
    assert put.right is Right.PUT
    assert put.key != CALL.key
    assert ESZ6.label == "ES 202612"
    assert Instrument("ES", SecurityType.FUTURE, local_symbol="ESZ6").label == "ESZ6"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"expiry": "Dec26"}, "instrument.expiry"),
        ({"expiry": "2026121"}, "instrument.expiry"),
        ({"strike": -5.0}, "instrument.strike"),
        ({"right": "X"}, "instrument.right"),
    ],
)
def test_bad_contract_fields_are_named(fields: dict[str, object], named: str) -> None:
    """A malformed expiry, strike or right is an InvalidInputError naming it."""
    with pytest.raises(InvalidInputError, match=named):
        Instrument("ES", SecurityType.FUTURE, **fields)  # type: ignore[arg-type]


def test_a_price_off_the_tick_is_refused_with_the_nearest() -> None:
    """ES trades in 0.25: 5990.10 is off its tick (the broker would reject it), 5990.25 is on."""
    spec = ContractSpec(495512563, "ES", SecurityType.FUTURE, "USD", 50.0, min_tick=0.25)
    reason = spec.tick_reason((5990.10,))
    assert reason is not None
    assert (reason.code, reason.limit) == ("instrument.tick", 0.25)
    assert "nearest 5990" in reason.message
    assert spec.tick_reason((5990.25, 5991.0)) is None
    assert ContractSpec(1, "X", SecurityType.STOCK, "USD").tick_reason((1.2345,)) is None


def test_an_ambiguous_description_lists_its_candidates() -> None:
    """The error names every matching contract, so the caller can pick one explicitly."""
    error = AmbiguousContractError("ES (FUT)", (ESZ6, ESH7))
    assert error.candidates == (ESZ6, ESH7)
    assert "ES 202612" in str(error)
    assert "ES 202703" in str(error)
