"""Timing primitives every benchmark row shares: one row, per-call timing, the baseline."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["REPEATS", "Row", "baseline_row", "summarise", "time_each"]

REPEATS = 5


@dataclass
class Row:
    """One benchmark row: per-operation times in microseconds (MB for the memory row)."""

    name: str
    what: str
    median_us: float
    min_us: float
    max_us: float
    p99_us: float | None
    samples: int
    ratio: float | None = None  # median / baseline median (round trip: gate / raw)
    p99_ratio: float | None = None  # p99 / baseline median (round trip: gate p99 / raw p99)
    anchor: str | None = None  # the NautilusTrader row this one is compared with
    anchor_ratio: float | None = None  # median / the anchor's median


def summarise(name: str, what: str, repeats: list[list[float]], *, p99: bool = True) -> Row:
    """Median/min/max of the per-repeat medians; p99 over every sample (us)."""
    medians = [statistics.median(r) for r in repeats]
    samples = sorted(x for r in repeats for x in r)
    p99_value = samples[min(len(samples) - 1, int(len(samples) * 0.99))] if p99 else None
    return Row(
        name, what, statistics.median(medians), min(medians), max(medians), p99_value, len(samples)
    )


def time_each(
    action: Callable[[int], object],
    count: int,
    after: Callable[[object], object] | None = None,
) -> list[float]:
    """Per-call wall time in microseconds, one perf_counter_ns pair per call.

    ``after`` (untimed) gets each call's result: the clean-up a broker would do later.
    """
    clock = time.perf_counter_ns
    out: list[float] = []
    append = out.append
    for i in range(count):
        start = clock()
        result = action(i)
        append((clock() - start) / 1000.0)
        if after is not None:
            after(result)
    return out


def baseline_row(count: int) -> Row:
    """Five float comparisons + list append, timed in batches (too fast to time singly)."""
    sink: list[bool] = []
    a, b, c, d, e = -0.001, 100_000.0, 99_000.0, 1_000.0, 0.0

    def checks() -> None:
        sink.append(a > -0.02 and b > 0.0 and c > 0.0 and d / c < 0.2 and e < 0.01)

    repeats = []
    batch = 1000
    for _ in range(REPEATS):
        per_call = []
        for _ in range(max(1, count // batch)):
            start = time.perf_counter_ns()
            for _ in range(batch):
                checks()
            per_call.append((time.perf_counter_ns() - start) / 1000.0 / batch)
            sink.clear()
        repeats.append(per_call)
    return summarise("baseline", "5 float comparisons + list append (the unit)", repeats, p99=False)
