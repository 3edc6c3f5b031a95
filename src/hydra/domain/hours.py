"""When a contract trades: its sessions, as the broker lists them, holidays included.

``TradingHours`` holds a contract's sessions (all hours) and its liquid (regular) hours,
as IB's contract details list them (tradingHours / liquidHours in timeZoneId) or as the
simulator's calendar table gives them; a day without a session (a holiday) is closed,
and a time beyond the listed calendar is unknown. ``TradingHours.around_the_clock()``
is always open (the simulator's default, so a demo runs at any hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hydra.domain._validate import text
from hydra.domain.errors import InvalidInputError

__all__ = ["Session", "TradingHours"]


@dataclass(frozen=True, slots=True)
class Session:
    """One trading session: open from ``start`` (inclusive) to ``end`` (exclusive), aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise InvalidInputError(f"session.{name}", "must be a timezone-aware datetime")
        if self.end <= self.start:
            raise InvalidInputError("session.end", "must be after the start", self.end)


@dataclass(frozen=True, slots=True)
class TradingHours:
    """When a contract trades: its sessions (all hours) and its liquid (regular) hours.

    ``known_until`` is where the listed calendar ends: asked about a later time, the
    hours are unknown (and the gate blocks). A day with no session (a holiday) is closed.
    """

    time_zone: str
    trading: tuple[Session, ...]
    liquid: tuple[Session, ...]
    known_from: datetime
    known_until: datetime

    def __post_init__(self) -> None:
        try:
            ZoneInfo(text("hours.time_zone", self.time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInputError(
                "hours.time_zone", "unknown time zone", self.time_zone
            ) from None

    @classmethod
    def around_the_clock(cls) -> TradingHours:
        """Hours that are always open and always known (a simulator without a calendar)."""
        return _ALWAYS

    @property
    def always_open(self) -> bool:
        """True for ``around_the_clock`` hours."""
        return self is _ALWAYS

    def is_open(self, now: datetime, *, regular: bool) -> bool | None:
        """Whether ``now`` is inside a session (``regular``: the liquid hours only).

        None when ``now`` is outside the calendar the broker listed (unknown).
        """
        if not self.known_from <= now < self.known_until:
            return None
        sessions = self.liquid if regular else self.trading
        return any(session.start <= now < session.end for session in sessions)

    def next_open(self, now: datetime, *, regular: bool) -> datetime | None:
        """When the next session starts after ``now`` (None: none listed)."""
        sessions = self.liquid if regular else self.trading
        return min((s.start for s in sessions if s.start > now), default=None)


_EVER = Session(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
_ALWAYS = TradingHours("UTC", (_EVER,), (_EVER,), _EVER.start, _EVER.end)
