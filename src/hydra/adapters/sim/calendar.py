"""The simulator's trading calendar: when each contract trades, holidays included.

Without a calendar the simulator trades around the clock (a demo runs at any hour). With
one, each contract's hours come from a table row (looked up by local symbol, symbol,
listing exchange, then security type): the exchange's time zone, its whole trading
session (extended hours included) and its liquid (regular) session, every weekday but
the calendar's holidays. Like IB's contract details, the hours list a week from the day
before today, and are listed afresh as time moves on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hydra.domain import InvalidInputError, Session, TradingHours
from hydra.domain.instruments import Instrument

__all__ = ["DEFAULT_EXCHANGES", "ExchangeHours", "SimCalendar"]

_DAYS_LISTED = 8
"""Days listed from yesterday on: a week ahead, as IB lists about a week."""


def _hhmm(field: str, value: object) -> time:
    if not isinstance(value, str) or len(value) != 4 or not value.isdigit():
        raise InvalidInputError(field, "must be HHMM (e.g. 0930)", value)
    try:
        return time(int(value[:2]), int(value[2:]))
    except ValueError:
        raise InvalidInputError(field, "must be HHMM (e.g. 0930)", value) from None


@dataclass(frozen=True, slots=True)
class ExchangeHours:
    """One row of the calendar: an exchange's time zone and its daily sessions (HHMM).

    An opening later than the closing opens the evening before (CME: 1700 to 1600).
    """

    time_zone: str
    trading: tuple[str, str]
    liquid: tuple[str, str]

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise InvalidInputError(
                "hours.time_zone", "unknown time zone", self.time_zone
            ) from None
        for name in ("trading", "liquid"):
            pair = getattr(self, name)
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidInputError(f"hours.{name}", "must be (open, close) as HHMM", pair)
            for value in pair:
                _hhmm(f"hours.{name}", value)

    def sessions(
        self, which: tuple[str, str], first: date, holidays: frozenset[date]
    ) -> tuple[Session, ...]:
        """The sessions of ``_DAYS_LISTED`` days from ``first``, holidays and weekends none."""
        zone = ZoneInfo(self.time_zone)
        opens, closes = (_hhmm("hours", value) for value in which)
        listed = []
        for offset in range(_DAYS_LISTED):
            day = first + timedelta(days=offset)
            if day.weekday() >= 5 or day in holidays:
                continue
            start_day = day - timedelta(days=1) if opens > closes else day
            start = datetime.combine(start_day, opens, zone)
            end = datetime.combine(day, closes, zone)
            listed.append(Session(start, end))
        return tuple(listed)


_US_STOCKS = ExchangeHours("America/New_York", ("0400", "2000"), ("0930", "1600"))

DEFAULT_EXCHANGES: Mapping[str, ExchangeHours] = {
    "STK": _US_STOCKS,
    "OPT": ExchangeHours("America/New_York", ("0930", "1600"), ("0930", "1600")),
    "FUT": ExchangeHours("America/Chicago", ("1700", "1600"), ("0830", "1500")),
    "TSEJ": ExchangeHours("Asia/Tokyo", ("0900", "1530"), ("0900", "1530")),
}
"""The rows a calendar starts from: US stocks (04:00-20:00, regular 09:30-16:00 New
York), US options (09:30-16:00), CME futures (17:00 the evening before to 16:00, regular
08:30-15:00 Chicago) and the Tokyo exchange (09:00-15:30)."""


class SimCalendar:
    """When the simulator's contracts trade.

    Args:
        exchanges: rows by local symbol, symbol, listing exchange or security type
            (``DEFAULT_EXCHANGES`` are kept unless a key is given again).
        holidays: days without a session, on every exchange.
    """

    __slots__ = ("_exchanges", "_holidays")

    def __init__(
        self,
        exchanges: Mapping[str, ExchangeHours] | None = None,
        holidays: Iterable[date] = (),
    ) -> None:
        table = dict(DEFAULT_EXCHANGES)
        for key, row in (exchanges or {}).items():
            if not isinstance(row, ExchangeHours):
                raise InvalidInputError(f"exchanges[{key}]", "must be ExchangeHours", row)
            table[key] = row
        self._exchanges = table
        days = frozenset(holidays)
        if not all(isinstance(day, date) for day in days):
            raise InvalidInputError("holidays", "must be dates", sorted(map(str, days)))
        self._holidays = days

    def hours(self, instrument: Instrument, now: datetime) -> TradingHours | None:
        """The contract's hours listed from yesterday (None: no row names it)."""
        table = self._exchanges
        row = next(
            (
                table[key]
                for key in (
                    instrument.local_symbol,
                    instrument.symbol,
                    instrument.primary_exchange,
                    instrument.sec_type.value,
                )
                if key and key in table
            ),
            None,
        )
        if row is None:
            return None
        zone = ZoneInfo(row.time_zone)
        first = now.astimezone(zone).date() - timedelta(days=1)
        return TradingHours(
            row.time_zone,
            row.sessions(row.trading, first, self._holidays),
            row.sessions(row.liquid, first, self._holidays),
            datetime.combine(first, time(), zone),
            datetime.combine(first + timedelta(days=_DAYS_LISTED), time(), zone),
        )
