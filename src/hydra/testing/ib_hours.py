"""Render a domain ``TradingHours`` as IB's contract-details text, for tests.

``ib_hours_text(hours)`` gives the ``(tradingHours, liquidHours)`` pair a real gateway
would send for those hours, so a test can write hours relative to now and serve them
from the fake gateway (``fake.set_trading_hours(symbol, *ib_hours_text(hours))``). The
format is IB's current one (``20261201:0930-20261201:1600;20261202:CLOSED``): every day
from ``known_from``'s to the one before ``known_until``, each session under the day it
ends on, a day without one ``CLOSED``. IB's resolution is the minute: session times are
floored to it (a session shorter than that is left out). Hours that are always open are
listed as the fake gateway lists them by default: a week of 24-hour days from today.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hydra.domain import Session, TradingHours
from hydra.testing._hours import around_the_clock

__all__ = ["ib_hours_text"]


def ib_hours_text(hours: TradingHours, time_zone: str | None = None) -> tuple[str, str]:
    """``(tradingHours, liquidHours)`` of ``hours``, in ``time_zone`` (default: their own).

    ``time_zone`` is the ``timeZoneId`` the gateway reports with them (the instrument's:
    ``fake.instrument(symbol).time_zone``); the sessions are converted into it.
    """
    zone = ZoneInfo(time_zone or hours.time_zone)
    if hours.always_open:
        text = around_the_clock(datetime.now(zone).date())
        return text, text
    first = hours.known_from.astimezone(zone).date()
    last = (hours.known_until.astimezone(zone) - timedelta(microseconds=1)).date()
    return _listing(hours.trading, first, last, zone), _listing(hours.liquid, first, last, zone)


def _listing(sessions: tuple[Session, ...], first: date, last: date, zone: ZoneInfo) -> str:
    by_day: dict[date, list[str]] = {}
    for session in sorted(sessions, key=lambda s: s.start):
        start, end = _floor(session.start, zone), _floor(session.end, zone)
        if end <= start:
            continue
        day = (end - timedelta(microseconds=1)).date()
        by_day.setdefault(day, []).append(f"{start:%Y%m%d:%H%M}-{end:%Y%m%d:%H%M}")
    parts = []
    day = first
    while day <= last:
        parts.extend(by_day.get(day) or [f"{day:%Y%m%d}:CLOSED"])
        day += timedelta(days=1)
    return ";".join(parts)


def _floor(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(second=0, microsecond=0)
