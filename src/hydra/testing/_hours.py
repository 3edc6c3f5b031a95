"""Trading hours in IB's contract-details format, from a session template and holidays.

IB lists a week of days, one session per trading day, as
``"20261201:0930-20261201:1600;20261202:0930-20261202:1600;20261205:CLOSED;..."``:
each session's start and end as ``YYYYMMDD:HHMM`` in the exchange's time zone
(``timeZoneId``), and ``YYYYMMDD:CLOSED`` for a day without one (weekends, holidays). A
session that opens the evening before (CME futures, 17:00 to 16:00) starts on the
previous day. ``around_the_clock`` lists every day as one 24-hour session (the fake
gateway's default, so a test trades at any hour).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = ["DAYS_LISTED", "around_the_clock", "ib_hours"]

DAYS_LISTED = 7
"""How many days a contract's hours list, from the first day on (as IB lists a week)."""


def ib_hours(session: tuple[str, str], first_day: date, holidays: Collection[date]) -> str:
    """The ``tradingHours`` / ``liquidHours`` text of ``DAYS_LISTED`` days from ``first_day``.

    Args:
        session: Opening and closing time, ``"HHMM"`` each; an opening later than the
            closing opens the evening before the trading day.
        first_day: The first day listed.
        holidays: Days without a session (weekends have none either).
    """
    opens, closes = session
    overnight = opens > closes
    parts = []
    for offset in range(DAYS_LISTED):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5 or day in holidays:
            parts.append(f"{day:%Y%m%d}:CLOSED")
            continue
        start = day - timedelta(days=1) if overnight else day
        parts.append(f"{start:%Y%m%d}:{opens}-{day:%Y%m%d}:{closes}")
    return ";".join(parts)


def around_the_clock(first_day: date) -> str:
    """``DAYS_LISTED`` days from ``first_day``, each one session from 00:00 to 00:00 next day."""
    parts = []
    for offset in range(DAYS_LISTED):
        day = first_day + timedelta(days=offset)
        parts.append(f"{day:%Y%m%d}:0000-{day + timedelta(days=1):%Y%m%d}:0000")
    return ";".join(parts)
