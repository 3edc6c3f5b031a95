"""The session so far, minute by minute: equity and decisions, for the console's chart.

Decisions are counted from the gate's records as they come. Equity is sampled whenever
the control server looks at the account anyway (a status read, a metrics scrape, an event
stream's heartbeat) and from each decision's derived inputs, keeping the last sample of
each minute; a minute with no sample is a gap in the chart, never an invented value. At
most one day of minutes is kept, and minutes before the current session's start are not
served.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hydra.application import AuditRecord
from hydra.application.records import DecisionRecord

__all__ = ["MINUTES_KEPT", "SessionHistory"]

MINUTES_KEPT = 24 * 60


@dataclass(slots=True)
class _Minute:
    equity: float | None = None
    allowed: int = 0
    blocked: int = 0


class SessionHistory:
    """Per-minute equity and decision counts (bounded to ``MINUTES_KEPT`` minutes)."""

    def __init__(self) -> None:
        self._minutes: OrderedDict[int, _Minute] = OrderedDict()

    def _minute(self, at: datetime) -> _Minute:
        key = int(at.timestamp()) // 60 * 60
        minute = self._minutes.get(key)
        if minute is None:
            late = bool(self._minutes) and key < next(reversed(self._minutes))
            minute = self._minutes[key] = _Minute()
            if late:  # e.g. a clock step back: keep the minutes in time order
                self._minutes = OrderedDict(sorted(self._minutes.items()))
            while len(self._minutes) > MINUTES_KEPT:
                self._minutes.popitem(last=False)
        return minute

    def observe(self, record: AuditRecord) -> None:
        """Count a decision (flatten orders included) in its minute.

        A decision judged on derived inputs alone carries the broker's equity at that
        moment: it is sampled too, at no cost (no caller number is charted as equity).
        """
        if isinstance(record, DecisionRecord):
            minute = self._minute(record.time)
            if record.allowed:
                minute.allowed += 1
            else:
                minute.blocked += 1
            if record.inputs is not None and record.caller_inputs is None:
                minute.equity = record.inputs.current_equity

    def sample_equity(self, at: datetime, equity: float) -> None:
        """Remember ``equity`` as the latest value of ``at``'s minute."""
        self._minute(at).equity = equity

    def series(self, since: datetime | None) -> dict[str, list[Any]]:
        """Columns for a chart, from ``since``'s minute on.

        ``time`` (Unix seconds of each minute), ``equity`` (None: no sample that minute),
        ``allowed`` and ``blocked`` (decisions that minute).
        """
        start = int(since.timestamp()) // 60 * 60 if since is not None else 0
        rows = [(k, m) for k, m in self._minutes.items() if k >= start]
        return {
            "time": [k for k, _ in rows],
            "equity": [m.equity for _, m in rows],
            "allowed": [m.allowed for _, m in rows],
            "blocked": [m.blocked for _, m in rows],
        }
