"""Time as the domain sees it: a clock is passed in, so every rule is deterministic in tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hydra.domain.errors import InvalidInputError

__all__ = ["Clock", "ManualClock", "SessionSchedule", "system_clock"]

Clock = Callable[[], datetime]
"""A zero-argument callable returning the current time as an aware datetime."""


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(slots=True)
class ManualClock:
    """A clock that moves only when told to: for tests, simulations and replays."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 15, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise InvalidInputError("clock.now", "must be timezone-aware", self.now)

    def __call__(self) -> datetime:
        """The time the clock was last set to."""
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        if delta < timedelta(0):
            raise InvalidInputError("delta", "a clock never moves backwards", delta)
        self.now += delta
        return self.now


@dataclass(frozen=True, slots=True)
class SessionSchedule:
    """When a trading session starts: a daily ``reset_time`` in the IANA ``timezone``."""

    timezone: str = field(
        default="America/New_York", metadata={"doc": "IANA zone of the session boundary"}
    )
    reset_time: time = field(
        default=time(0, 0), metadata={"doc": "local time the trading session resets (HH:MM)"}
    )

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise InvalidInputError(
                "session.timezone", "must be an IANA time zone name", self.timezone
            ) from None
        if not isinstance(self.reset_time, time) or self.reset_time.tzinfo is not None:
            raise InvalidInputError(
                "session.reset_time", "must be a naive local time of day", self.reset_time
            )

    def session_start(self, now: datetime) -> datetime:
        """The most recent session boundary at or before ``now``."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        start = datetime.combine(local.date(), self.reset_time, zone)
        # Compare in UTC: two aware datetimes in the same zone compare by wall time,
        # which is wrong in the repeated hour when DST ends.
        if start.astimezone(UTC) > now.astimezone(UTC):
            start = datetime.combine(local.date() - timedelta(days=1), self.reset_time, zone)
        return start

    def next_boundary(self, now: datetime) -> datetime:
        """The first session boundary strictly after ``now``."""
        zone = ZoneInfo(self.timezone)
        start = self.session_start(now)
        # Combine on the next calendar date so a DST change keeps the local reset time.
        boundary = datetime.combine(start.date() + timedelta(days=1), self.reset_time, zone)
        if boundary.astimezone(UTC) <= now.astimezone(UTC):
            boundary = datetime.combine(start.date() + timedelta(days=2), self.reset_time, zone)
        return boundary
