"""The session tracker: the breakers' inputs derived from the broker's account.

Daily P&L is measured from the equity at the session start (the breakers' session
schedule), the peak is the highest equity seen, and the last closed trade's loss is the
fall in realized P&L since the previous decision (judged once; the breaker remembers it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hydra.domain import AccountSnapshot, BreakerInputs, SessionSchedule

__all__ = ["SessionTracker"]

SessionStarted = Callable[[datetime, float], None]
"""Called with the session start and its equity when a new session is first seen."""


class SessionTracker:
    """Session start equity, peak equity and realized P&L, for derived breaker inputs."""

    __slots__ = ("_end", "_equity", "_last_realized", "_on_start", "_peak", "_schedule", "_start")

    def __init__(self, schedule: SessionSchedule, on_start: SessionStarted) -> None:
        self._schedule = schedule
        self._on_start = on_start
        self._start: datetime | None = None
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

    def inputs(
        self, account: AccountSnapshot, position_value: float, now: datetime
    ) -> BreakerInputs:
        """Derive the five breaker inputs from the account and the order's exposure."""
        equity = account.net_liquidation
        start, end = self._start, self._end
        if start is None or end is None or not start <= now < end:
            start = self._schedule.session_start(now)
            self._end = self._schedule.next_boundary(now)
        if self._start != start or self._equity is None:
            self._start, self._equity = start, equity
            self._last_realized = None  # brokers reset realized P&L per session
            self._on_start(start, equity)
        self._peak = equity if self._peak is None else max(self._peak, equity)
        trade_loss = 0.0
        if self._last_realized is not None and account.realized_pnl < self._last_realized:
            trade_loss = (self._last_realized - account.realized_pnl) / equity
        self._last_realized = account.realized_pnl
        return BreakerInputs(
            (equity - self._equity) / self._equity, self._peak, equity, position_value, trade_loss
        )
