"""Verifying a whole journal on every core: its segments read in parts, joined in order.

The chain is checked link by link, so a part of the segments can be checked alone from
its own first record; ``JournalScan.adopt`` then joins the parts (each must follow on from
the one before: jseq, prev, account, no segment missing) and checks the anchor, exactly
as one pass would. Each worker streams its segments in fixed chunks: memory stays flat.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

from hydra.adapters.journal.scan import JournalScan, ScanPart
from hydra.adapters.journal.segments import Segment

__all__ = ["default_workers", "verify_journal"]


def default_workers() -> int:
    """The cores to verify on (at most 4: past that, the disk is the limit)."""
    return max(1, min(4, os.cpu_count() or 1))


def verify_journal(
    path: str | os.PathLike[str], account: str | None = None, *, workers: int = 1
) -> JournalScan:
    """Check the whole chain of every segment; the finished scan (its records, damage ...).

    With ``workers`` > 1 and as many segments, the segments are split into that many runs
    of about equal size, each checked in its own process.

    Raises:
        JournalAccountError: the journal belongs to another account than ``account``.
    """
    scan = JournalScan(path, account)
    parts = _split(scan.segments, workers)
    if len(parts) < 2:
        scan.run()
        return scan
    with ProcessPoolExecutor(len(parts)) as pool:
        found = list(pool.map(_check, repeat(os.fspath(path)), parts))
    scan.adopt(found)
    return scan


def _check(path: str, segments: list[Segment]) -> ScanPart:
    scan = JournalScan(path, segments=segments)
    scan.run()
    return scan.part()


def _split(segments: Sequence[Segment], workers: int) -> list[list[Segment]]:
    """Contiguous runs of segments, about equal in bytes, one per worker."""
    count = min(max(1, workers), len(segments))
    if count < 2:
        return [list(segments)]
    sizes = [_size(segment.path) for segment in segments]
    share = sum(sizes) / count
    runs: list[list[Segment]] = [[]]
    filled = 0.0
    for segment, size in zip(segments, sizes, strict=True):
        if filled >= share * len(runs) and len(runs) < count:
            runs.append([])
        runs[-1].append(segment)
        filled += size
    return [run for run in runs if run]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
