"""IB's trading hours: the contract details' ``tradingHours`` / ``liquidHours``, parsed.

IB lists about a week of days in the exchange's time zone (``timeZoneId``), in one of
two formats:

* current: ``20261201:0930-20261201:1600;20261202:CLOSED``: each session's start and end
  as ``YYYYMMDD:HHMM``; an overnight session starts the evening before the day it trades
  for (CME: ``20261130:1700-20261201:1600``); several sessions a day are listed one after
  another (separated by ``;`` or ``,``);
* legacy: ``20261201:0930-1600,1700-1800;20261202:CLOSED``: a day, then its sessions as
  ``HHMM-HHMM``; a session that ends at or before its start began the day before (the
  legacy CME day ``20261201:1700-1600``).

``YYYYMMDD:CLOSED`` is a day without a session (a weekend, a holiday). A session
belongs to the day it ends on; the hours are known from the first listed day's local
midnight to the midnight after the last one (where both lists are known), and unknown
outside. IB's zone names are mostly IANA names (``US/Eastern``, ``Asia/Tokyo``); the
rest (``EST``, ``JST``, ``CST (Central Standard Time)``, ...) are mapped here, since
zoneinfo lacks them or, for ``EST`` and ``MST``, means a fixed offset IB does not.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hydra.domain import Session, TradingHours

__all__ = ["HoursFormatError", "ib_time_zone", "parse_trading_hours"]


class HoursFormatError(ValueError):
    """IB's hours text (or its time zone) cannot be read."""


# IB's zone names that zoneinfo lacks, or reads as a fixed offset while IB means the
# exchange's local time with its daylight saving (NYMEX "EST" in July is UTC-4).
_IB_ZONES = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "JST": "Asia/Tokyo",
    "HKT": "Asia/Hong_Kong",
    "KST": "Asia/Seoul",
    "SGT": "Asia/Singapore",
    "CTT": "Asia/Shanghai",
    "IST": "Asia/Kolkata",
    "AET": "Australia/Sydney",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "BST": "Europe/London",
    "CEST": "Europe/Berlin",
    "MEST": "Europe/Berlin",
}
# "CST (Central Standard Time)": IB's older names carry a description.
_DESCRIBED = re.compile(r"^\s*(\S+)\s*\(.*\)\s*$")
_CLOSED = re.compile(r"^(\d{8}):CLOSED$")
_CURRENT = re.compile(r"^(\d{8}):(\d{4})-(\d{8}):(\d{4})$")
_LEGACY_FIRST = re.compile(r"^(\d{8}):(\d{4})-(\d{4})$")
_LEGACY_MORE = re.compile(r"^(\d{4})-(\d{4})$")


def ib_time_zone(name: str) -> str:
    """The IANA name of IB's ``timeZoneId`` (``US/Eastern`` stays; ``JST`` is Asia/Tokyo).

    Raises:
        HoursFormatError: a name neither IB's table here nor zoneinfo knows.
    """
    text = name.strip()
    described = _DESCRIBED.match(text)
    if described:
        text = described.group(1)
    zone = _IB_ZONES.get(text.upper(), text)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursFormatError(f"unknown time zone {name!r}") from None
    return zone


def parse_trading_hours(trading: str, liquid: str, time_zone_id: str) -> TradingHours:
    """The ``TradingHours`` IB's contract details list (trading and liquid hours).

    Raises:
        HoursFormatError: an unknown time zone, an empty list, a day, time or session
            that cannot be read, or two lists that share no day.
    """
    zone_name = ib_time_zone(time_zone_id)
    zone = ZoneInfo(zone_name)
    trading_days, trading_sessions = _parse(trading, zone, "tradingHours")
    liquid_days, liquid_sessions = _parse(liquid, zone, "liquidHours")
    first = max(trading_days[0], liquid_days[0])
    last = min(trading_days[-1], liquid_days[-1])
    if last < first:
        raise HoursFormatError("tradingHours and liquidHours list no day in common")
    return TradingHours(
        zone_name,
        trading_sessions,
        liquid_sessions,
        _midnight(first, zone),
        _midnight(last + timedelta(days=1), zone),
    )


def _parse(text: str, zone: ZoneInfo, name: str) -> tuple[list[date], tuple[Session, ...]]:
    """The days listed (sorted) and the sessions, of one hours text."""
    days: set[date] = set()
    sessions: list[Session] = []
    for entry in (e.strip() for e in text.split(";")):
        if not entry:
            continue
        closed = _CLOSED.match(entry)
        if closed:
            days.add(_day(closed.group(1), name))
            continue
        day: date | None = None
        for piece in (p.strip() for p in entry.split(",")):
            session, day = _session(piece, day, zone, name)
            sessions.append(session)
            days.add(_trading_day(session, zone))
    if not days:
        raise HoursFormatError(f"{name} lists no day: {text!r}")
    sessions.sort(key=lambda s: s.start)
    return sorted(days), tuple(sessions)


def _session(
    piece: str, day: date | None, zone: ZoneInfo, name: str
) -> tuple[Session, date | None]:
    """One session, and the legacy day the next ``HHMM-HHMM`` piece of its entry shares."""
    current = _CURRENT.match(piece)
    if current:
        start = _at(_day(current.group(1), name), current.group(2), zone, name)
        end = _at(_day(current.group(3), name), current.group(4), zone, name)
        if end <= start:
            raise HoursFormatError(f"{name}: session {piece!r} ends before it starts")
        return Session(start, end), None
    first = _LEGACY_FIRST.match(piece)
    more = None if first else _LEGACY_MORE.match(piece)
    if first:
        day, opens, closes = _day(first.group(1), name), first.group(2), first.group(3)
    elif more and day is not None:
        opens, closes = more.group(1), more.group(2)
    else:
        raise HoursFormatError(f"{name}: cannot read session {piece!r}")
    start, end = _at(day, opens, zone, name), _at(day, closes, zone, name)
    if end <= start:  # the legacy overnight session: it opened the evening before
        start = _at(day - timedelta(days=1), opens, zone, name)
    return Session(start, end), day


def _trading_day(session: Session, zone: ZoneInfo) -> date:
    """The day a session trades for: the one it ends on (a midnight end: the day before)."""
    return (session.end.astimezone(zone) - timedelta(microseconds=1)).date()


def _day(text: str, name: str) -> date:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise HoursFormatError(f"{name}: {text!r} is not a YYYYMMDD day") from None


def _at(day: date, hhmm: str, zone: ZoneInfo, name: str) -> datetime:
    """``day`` at ``HHMM`` local time; ``2400`` is the next midnight."""
    hours, minutes = int(hhmm[:2]), int(hhmm[2:])
    if hhmm == "2400":
        return _midnight(day + timedelta(days=1), zone)
    if hours > 23 or minutes > 59:
        raise HoursFormatError(f"{name}: {hhmm!r} is not a time of day")
    return datetime.combine(day, time(hours, minutes), tzinfo=zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)
