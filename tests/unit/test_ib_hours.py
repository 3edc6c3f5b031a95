"""IB's trading-hours text read into TradingHours, and TradingHours written back as it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hydra.adapters.ib.hours import HoursFormatError, ib_time_zone, parse_trading_hours
from hydra.domain import Session, TradingHours
from hydra.testing.ib_hours import ib_hours_text

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in New York."""
    return datetime(2026, 12, day, hour, minute, tzinfo=NEW_YORK)


def chicago(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Chicago."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CHICAGO)


STOCK = (
    "20261201:0400-20261201:2000;20261202:0400-20261202:2000;20261203:CLOSED",
    "20261201:0930-20261201:1600;20261202:0930-20261202:1600;20261203:CLOSED",
)


def test_a_stock_week_opens_in_its_sessions_and_liquid_hours() -> None:
    """Pre-market is trading but not liquid; regular hours are both; a CLOSED day is shut."""
    hours = parse_trading_hours(*STOCK, "US/Eastern")
    assert hours.time_zone == "US/Eastern"
    assert hours.is_open(ny(1, 5), regular=False) is True
    assert hours.is_open(ny(1, 5), regular=True) is False
    assert hours.is_open(ny(1, 10), regular=True) is True
    assert hours.is_open(ny(1, 16), regular=True) is False  # the end is exclusive
    assert hours.is_open(ny(1, 21), regular=False) is False
    assert hours.is_open(ny(3, 12), regular=False) is False  # the holiday
    assert hours.next_open(ny(1, 17), regular=True) == ny(2, 9, 30)


def test_the_known_calendar_is_the_listed_days_midnight_to_midnight() -> None:
    """Before the first listed day's midnight and from the day after the last, it is unknown."""
    hours = parse_trading_hours(*STOCK, "US/Eastern")
    assert hours.known_from == ny(1, 0)
    assert hours.known_until == ny(4, 0)
    assert hours.is_open(ny(1, 0) - timedelta(microseconds=1), regular=False) is None
    assert hours.is_open(ny(3, 23, 59), regular=False) is False
    assert hours.is_open(ny(4, 0), regular=False) is None


def test_a_cme_overnight_session_belongs_to_the_day_it_ends() -> None:
    """17:00 the evening before to 16:00 is the listed day's session; 16:00-17:00 is closed."""
    trading = "20261130:1700-20261201:1600;20261201:1700-20261202:1600"
    liquid = "20261201:0830-20261201:1500;20261202:0830-20261202:1500"
    hours = parse_trading_hours(trading, liquid, "US/Central")
    assert hours.known_from == chicago(1, 0)
    assert hours.known_until == chicago(3, 0)
    assert hours.is_open(chicago(1, 2), regular=False) is True
    assert hours.is_open(chicago(1, 16, 30), regular=False) is False
    assert hours.is_open(chicago(1, 18), regular=False) is True
    assert hours.is_open(chicago(1, 18), regular=True) is False


def test_the_legacy_format_reads_the_same_including_overnight_and_several_sessions() -> None:
    """``day:HHMM-HHMM,HHMM-HHMM``; an end before the start opened the evening before."""
    legacy = parse_trading_hours(
        "20261201:1700-1600;20261202:CLOSED", "20261201:0830-1200,1300-1500", "US/Central"
    )
    evening_before = datetime(2026, 11, 30, 17, 0, tzinfo=CHICAGO)
    assert legacy.trading == (Session(evening_before, chicago(1, 16)),)
    assert legacy.liquid == (
        Session(chicago(1, 8, 30), chicago(1, 12)),
        Session(chicago(1, 13), chicago(1, 15)),
    )
    assert legacy.is_open(chicago(1, 12, 30), regular=True) is False
    assert legacy.known_until == chicago(2, 0)  # the liquid list stops at the 1st


def test_several_sessions_a_day_in_the_current_format() -> None:
    """Sessions one after another, by ';' or ',', each open only in itself (a lunch break)."""
    text = "20261201:0900-20261201:1130;20261201:1230-20261201:1530"
    hours = parse_trading_hours(text, text.replace(";", ","), "Asia/Tokyo")
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=TOKYO)
    assert hours.is_open(noon, regular=False) is False
    assert hours.is_open(noon + timedelta(hours=1), regular=True) is True
    assert len(hours.liquid) == 2


@pytest.mark.parametrize(
    ("ib_name", "zone"),
    [
        ("US/Eastern", "US/Eastern"),
        ("EST", "America/New_York"),
        ("EST5EDT", "EST5EDT"),
        ("CST (Central Standard Time)", "America/Chicago"),
        ("MET (Middle Europe Time)", "MET"),
        ("MET", "MET"),
        ("JST", "Asia/Tokyo"),
        ("Japan", "Japan"),
        ("GB", "GB"),
        ("Asia/Tokyo", "Asia/Tokyo"),
        ("HKT", "Asia/Hong_Kong"),
    ],
)
def test_ibs_time_zone_names_map_to_zones_with_daylight_saving(ib_name: str, zone: str) -> None:
    """IB's names resolve; EST is New York's time (summer UTC-4), not a fixed UTC-5."""
    assert ib_time_zone(ib_name) == zone


def test_est_hours_follow_new_yorks_summer_time() -> None:
    """A NYMEX-style "EST" session at 09:30 in July starts at 13:30 UTC."""
    text = "20260701:0930-20260701:1600"
    hours = parse_trading_hours(text, text, "EST")
    assert hours.trading[0].start.astimezone(UTC).hour == 13


@pytest.mark.parametrize(
    ("trading", "zone", "problem"),
    [
        ("", "US/Eastern", "lists no day"),
        ("20261201:0930-20261201:1600", "Mars/Olympus", "unknown time zone"),
        ("20261301:0930-20261301:1600", "US/Eastern", "not a YYYYMMDD day"),
        ("20261201:2500-20261201:2600", "US/Eastern", "not a time of day"),
        ("20261201:1600-20261201:0930", "US/Eastern", "ends before it starts"),
        ("20261201:open", "US/Eastern", "cannot read session"),
        ("1700-1800", "US/Eastern", "cannot read session"),
    ],
)
def test_unreadable_hours_are_an_error_naming_the_problem(
    trading: str, zone: str, problem: str
) -> None:
    """Nothing is guessed: an unreadable list or zone raises HoursFormatError."""
    with pytest.raises(HoursFormatError, match=problem):
        parse_trading_hours(trading, trading or "20261201:CLOSED", zone)


def test_lists_without_a_common_day_are_refused() -> None:
    """Trading hours of one week and liquid hours of another leave nothing known."""
    with pytest.raises(HoursFormatError, match="no day in common"):
        parse_trading_hours("20261201:CLOSED", "20261208:CLOSED", "US/Eastern")


def test_the_formatter_writes_what_the_parser_reads_back() -> None:
    """Hours relative to now survive the round trip, floored to IB's minute."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    midnight = now.astimezone(NEW_YORK).replace(hour=0, minute=0)
    hours = TradingHours(
        "US/Eastern",
        (Session(now - timedelta(hours=1), now + timedelta(hours=1)),),
        (Session(now - timedelta(minutes=30), now + timedelta(minutes=30, seconds=42)),),
        midnight,
        midnight + timedelta(days=3),
    )
    trading, liquid = ib_hours_text(hours)
    assert trading.count("CLOSED") == 2
    back = parse_trading_hours(trading, liquid, "US/Eastern")
    assert back.trading == hours.trading
    assert back.liquid == (Session(now - timedelta(minutes=30), now + timedelta(minutes=30)),)
    assert (back.known_from, back.known_until) == (hours.known_from, hours.known_until)
    assert back.is_open(now, regular=True) is True


def test_the_formatter_converts_into_the_gateways_zone() -> None:
    """A Tokyo session written in New York time is the same instants."""
    start = datetime(2026, 12, 2, 9, 0, tzinfo=TOKYO)
    hours = TradingHours(
        "Asia/Tokyo",
        (Session(start, start + timedelta(hours=6)),),
        (Session(start, start + timedelta(hours=6)),),
        start.replace(hour=0),
        start.replace(hour=0) + timedelta(days=1),
    )
    trading, _ = ib_hours_text(hours, "US/Eastern")
    assert trading == "20261201:CLOSED;20261201:1900-20261202:0100"
    back = parse_trading_hours(trading, trading, "US/Eastern")
    assert back.trading[0].start == start


def test_always_open_hours_list_a_week_of_whole_days_from_today() -> None:
    """around_the_clock() is what the fake lists by default: 24-hour days, all open."""
    trading, liquid = ib_hours_text(TradingHours.around_the_clock(), "US/Eastern")
    assert trading == liquid
    back = parse_trading_hours(trading, liquid, "US/Eastern")
    assert back.is_open(datetime.now(UTC), regular=True) is True
    assert back.known_until - back.known_from >= timedelta(days=6, hours=23)
