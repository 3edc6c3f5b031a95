"""The session tracker: the breakers' inputs derived from the broker's account.

Daily P&L is measured from the equity at the session start (the breakers' session
schedule), the peak is the highest equity seen, and the last closed trade's loss is the
fall in realized P&L since the previous decision (judged once; the breaker remembers it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hydra.domain import AccountSnapshot, BreakerInputs, SessionSchedule

__all__ = ["SessionTracker"]

SessionStarted = Callable[[datetime, float], None]
"""Called with the session start and its equity when a new session is first seen."""


class SessionTracker:
    """Session start equity, peak equity and realized P&L, for derived breaker inputs."""

    __slots__ = (
        "_end",
        "_equity",
        "_last_realized",
        "_on_start",
        "_peak",
        "_schedule",
        "_start",
        "_start_utc",
    )

    def __init__(self, schedule: SessionSchedule, on_start: SessionStarted) -> None:
        self._schedule = schedule
        self._on_start = on_start
        self._start: datetime | None = None
        # perf: gate_pass (+4.4 % instructions in the session's own zone): the session's
        # bounds in UTC, as the gate's clock is; comparing datetimes of two zones costs a
        # utcoffset lookup per side.
        self._start_utc: datetime | None = None
        self._end: datetime | None = None
        self._equity: float | None = None
        self._peak: float | None = None
        self._last_realized: float | None = None

    @property
    def start(self) -> datetime | None:
        """When the current session started (None before the first derived decision)."""
        return self._start

    @property
    def start_equity(self) -> float | None:
        """Equity at the session start."""
        return self._equity

    @property
    def peak(self) -> float | None:
        """The highest equity seen (restored from the journal across restarts)."""
        return self._peak

    def restore(
        self, session: tuple[datetime, float] | None, peak: float | None, now: datetime
    ) -> None:
        """Take back the peak, and the session if it is still today's."""
        self._peak = peak
        if session is not None and session[0] == self._schedule.session_start(now):
            self._start, self._equity = session
            self._start_utc = session[0].astimezone(UTC)

    def inputs(
        self, account: AccountSnapshot, position_value: float, now: datetime
    ) -> BreakerInputs:
        """Derive the five breaker inputs from the account and the order's exposure."""
        equity = account.net_liquidation
        end = self._end
        if end is None or now >= end or now < self._start_utc:  # type: ignore[operator]
            self._new_session(now, equity)
        start_equity = self._equity
        assert start_equity is not None  # noqa: S101  (set by _new_session)
        peak = self._peak
        if peak is None or equity > peak:
            peak = self._peak = equity
        realized = account.realized_pnl
        last = self._last_realized
        trade_loss = (last - realized) / equity if last is not None and realized < last else 0.0
        self._last_realized = realized
        return BreakerInputs(
            (equity - start_equity) / start_equity, peak, equity, position_value, trade_loss
        )

    def _new_session(self, now: datetime, equity: float) -> None:
        """Enter the session ``now`` lies in (its start equity, if new, is ``equity``)."""
        start = self._schedule.session_start(now)
        self._end = self._schedule.next_boundary(now).astimezone(UTC)
        if self._start != start or self._equity is None:
            self._start, self._equity = start, equity
            self._start_utc = start.astimezone(UTC)
            self._last_realized = None  # brokers reset realized P&L per session
            self._on_start(start, equity)
