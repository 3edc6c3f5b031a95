"""The decision record's time text: exactly ``datetime.isoformat()``, however it is cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from hydra.application.records import iso_time

utc_times = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
any_times = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.builds(
        timezone, st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))
    ),
)


@given(st.lists(utc_times, min_size=1, max_size=20))
def test_utc_times_read_as_isoformat_in_any_order(times: list[datetime]) -> None:
    """Whatever second was formatted last, each UTC time comes out as its isoformat()."""
    for when in times:
        assert iso_time(when) == when.isoformat()


@given(utc_times, st.integers(0, 999_999))
def test_times_within_one_second_share_the_prefix_correctly(when: datetime, micro: int) -> None:
    """Two times in the same second, with and without microseconds, both read right."""
    first = when.replace(microsecond=micro)
    second = when.replace(microsecond=(micro + 1) % 1_000_000)
    assert iso_time(first) == first.isoformat()
    assert iso_time(second) == second.isoformat()


@given(any_times)
def test_other_zones_fall_back_to_isoformat(when: datetime) -> None:
    """A time in another zone (or a fixed offset) is isoformat() too."""
    assert iso_time(when) == when.isoformat()
