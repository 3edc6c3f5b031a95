"""``number``: how a record holds a number, fast path included."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from hydra.application.records._codec import number


def _plain(value: object) -> float | str | None:
    """The rule without its fast path: None stays None, a non-number or non-finite its repr."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    as_float = float(value)
    return as_float if math.isfinite(as_float) else repr(as_float)


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**15), max_value=10**15),
        st.booleans(),
        st.none(),
        st.text(max_size=5),
    )
)
def test_number_is_the_plain_rule_for_every_value(value: object) -> None:
    """Finite floats pass as they are; infinities, NaN, bools and text become their repr."""
    got, expected = number(value), _plain(value)
    assert type(got) is type(expected)
    assert got == expected


def test_non_finite_floats_are_written_as_text() -> None:
    """inf, -inf and NaN cannot be JSON numbers: the record keeps their repr."""
    assert [number(x) for x in (math.inf, -math.inf, math.nan)] == ["inf", "-inf", "nan"]
