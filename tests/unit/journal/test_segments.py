"""Segments: a new one at each session boundary and past the size limit, checkpoint first."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hydra.adapters.journal import JsonlJournal, Segment, list_segments, read_journal
from hydra.adapters.journal.chain import anchor_path, read_anchor
from hydra.adapters.journal.lock import lock_path
from hydra.adapters.journal.segments import read_lines
from hydra.domain import InvalidInputError, ManualClock, SessionSchedule
from hydra.entrypoints.demo import run_demo

ACCOUNT = "DU123456"
MONDAY = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 New York
NEXT_SESSION = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)  # midnight New York


def opened(path: Path, clock: ManualClock, **options: Any) -> JsonlJournal:
    """A journal on the New York session schedule, whose checkpoints count themselves."""
    made: list[int] = []

    def checkpoint() -> dict[str, Any]:
        made.append(1)
        return {"kind": "checkpoint", "n": len(made)}

    return JsonlJournal(
        path,
        "never",
        account=ACCOUNT,
        session=SessionSchedule(),
        clock=clock,
        checkpoint_source=checkpoint,
        **options,
    )


def records_of(segment: Segment) -> list[dict[str, Any]]:
    """The records of one segment file alone."""
    return [json.loads(line) for _, line, _ in read_lines(segment) if line]


def kinds(path: Path) -> list[list[str]]:
    """The record kinds of each segment, oldest segment first."""
    return [[r.get("kind", "?") for r in records_of(s)] for s in list_segments(path)]


def test_a_new_segment_begins_at_the_first_record_after_the_session_boundary(
    tmp_path: Path,
) -> None:
    """Monday's records stay in one segment; Tuesday's first record opens a new one."""
    path = tmp_path / "audit.jsonl"
    clock = ManualClock(MONDAY)
    journal = opened(path, clock)
    for hours in (0, 4, 8):  # 10:00, 14:00 and 18:00 New York
        clock.now = MONDAY + timedelta(hours=hours)
        journal.append({"kind": "decision"})
    clock.now = NEXT_SESSION + timedelta(minutes=1)  # 00:01 New York, Tuesday
    journal.append({"kind": "decision"})
    journal.close()
    segments = list_segments(path)
    assert [s.number for s in segments] == [1, 2]
    assert segments[0].closed_at == NEXT_SESSION + timedelta(minutes=1)  # when it rolled
    assert kinds(path) == [
        ["checkpoint", "decision", "decision", "decision"],
        ["checkpoint", "decision"],
    ]
    contents = read_journal(path, ACCOUNT)
    assert contents.damage is None
    assert [r["jseq"] for r in contents.records] == list(range(1, 7))


def test_no_new_segment_within_one_session(tmp_path: Path) -> None:
    """A whole trading day, record after record, stays in the live segment."""
    path = tmp_path / "audit.jsonl"
    clock = ManualClock(MONDAY)
    journal = opened(path, clock)
    for _ in range(13):
        journal.append({"kind": "decision"})
        clock.advance(timedelta(hours=1))  # 10:00 .. 22:00 New York
    journal.close()
    assert [s.number for s in list_segments(path)] == [1]


def test_a_new_segment_begins_once_the_live_one_passes_the_size_limit(tmp_path: Path) -> None:
    """Past segment_bytes the next record opens a segment, checkpoint first; the chain goes on."""
    path = tmp_path / "audit.jsonl"
    journal = opened(path, ManualClock(MONDAY), segment_bytes=1_000)
    for n in range(20):
        journal.append({"kind": "decision", "n": n, "pad": "x" * 100})
    journal.close()
    segments = list_segments(path)
    assert len(segments) > 3
    for segment in segments[:-1]:
        assert segment.closed_at == MONDAY
        assert segment.path.name == f"audit.jsonl.{segment.number:06d}-20260105T150000Z"
        size = segment.path.stat().st_size
        assert 1_000 <= size < 1_000 + 300  # the record that passed the limit, no more
    assert all(names[0] == "checkpoint" for names in kinds(path))
    contents = read_journal(path, ACCOUNT)
    assert contents.damage is None
    assert [r["n"] for r in contents.records if r["kind"] == "decision"] == list(range(20))
    first_of_each = [records_of(s)[0] for s in segments[1:]]
    last_of_each = [records_of(s)[-1] for s in segments[:-1]]
    assert [r["prev"] for r in first_of_each] == [r["digest"] for r in last_of_each]


def test_the_anchor_names_the_live_segment(tmp_path: Path) -> None:
    """After rollovers, the anchor's segment is the live one's number, its jseq the last."""
    path = tmp_path / "audit.jsonl"
    journal = opened(path, ManualClock(MONDAY), segment_bytes=500)
    for n in range(10):
        journal.append({"kind": "decision", "n": n, "pad": "x" * 100})
    journal.close()
    anchor = read_anchor(anchor_path(path))
    assert anchor is not None
    assert anchor.segment == list_segments(path)[-1].number == journal.segment
    assert anchor.jseq == journal.jseq


def test_an_empty_live_segment_takes_its_checkpoint_first_without_a_rollover(
    tmp_path: Path,
) -> None:
    """A brand-new journal's first record is preceded by the checkpoint, in the same file."""
    path = tmp_path / "audit.jsonl"
    journal = opened(path, ManualClock(MONDAY))
    journal.append({"kind": "decision"})
    journal.close()
    assert kinds(path) == [["checkpoint", "decision"]]


def test_a_checkpoint_that_fails_leaves_the_segment_without_one(tmp_path: Path) -> None:
    """The supplier raising does not lose the record: the segment goes on, the failure counted."""
    path = tmp_path / "audit.jsonl"

    def broken() -> dict[str, Any]:
        raise RuntimeError("gate busy")

    journal = JsonlJournal(
        path, account=ACCOUNT, segment_bytes=300, checkpoint_source=broken, fsync="never"
    )
    for n in range(4):
        journal.append({"kind": "decision", "n": n, "pad": "x" * 200})
    journal.close()
    assert [r["n"] for r in read_journal(path, ACCOUNT).records] == [0, 1, 2, 3]
    assert journal.checkpoint_failures == 4  # once per segment, never once per record
    assert journal.last_checkpoint_error == "RuntimeError: gate busy"
    assert len(list_segments(path)) == 4


def test_a_checkpoint_source_set_later_opens_the_next_segment(tmp_path: Path) -> None:
    """A journal opened bare and given its source later (as the container does) uses it."""
    path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(path, "never", account=ACCOUNT, segment_bytes=200)
    journal.append({"kind": "restore", "pad": "x" * 200})
    journal.checkpoint_source = lambda: {"kind": "checkpoint"}
    journal.append({"kind": "decision"})
    journal.close()
    assert kinds(path) == [["restore"], ["checkpoint", "decision"]]


def test_journal_files_are_private_and_new_directories_0700(tmp_path: Path) -> None:
    """Segments, anchor and lock are 0600; the directories the journal creates are 0700."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "state" / "deep" / "audit.jsonl"
        journal = opened(path, ManualClock(MONDAY), segment_bytes=200)
        for n in range(5):
            journal.append({"kind": "decision", "n": n, "pad": "x" * 100})
        journal.close()
    finally:
        os.umask(old)
    files = [s.path for s in list_segments(path)] + [anchor_path(path), lock_path(path)]
    assert len(files) > 3
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    for directory in (path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_a_journal_written_world_readable_is_narrowed_to_0600_when_opened(tmp_path: Path) -> None:
    """A journal an older version left 0644 is made 0600 by the next writer."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"kind": "decision"})
    path.chmod(0o644)
    JsonlJournal(path, account=ACCOUNT).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_dev_null_is_written_without_lock_anchor_or_segments(tmp_path: Path) -> None:
    """A non-regular path (the benchmarks' /dev/null) takes records and leaves nothing beside."""
    journal = JsonlJournal(
        "/dev/null", account=ACCOUNT, segment_bytes=10, checkpoint_source=lambda: {"kind": "c"}
    )
    for n in range(5):
        journal.append({"kind": "decision", "n": n})
    journal.close()
    assert not Path("/dev/null.lock").exists()
    assert not Path("/dev/null.anchor").exists()
    assert journal.segment == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_a_bad_segment_size_is_refused_naming_it(tmp_path: Path, bad: object) -> None:
    """segment_bytes must be a positive int."""
    with pytest.raises(InvalidInputError, match="segment_bytes"):
        JsonlJournal(tmp_path / "a.jsonl", account=ACCOUNT, segment_bytes=bad)  # type: ignore[arg-type]


def test_the_demo_never_discards_a_journal_of_segments_that_is_not_its_own(
    tmp_path: Path,
) -> None:
    """A trader's journal caught between segments (closed ones, no live file) is refused."""
    path = tmp_path / "audit.jsonl"
    journal = opened(path, ManualClock(MONDAY), segment_bytes=200)
    for n in range(4):
        journal.append({"kind": "decision", "n": n, "pad": "x" * 150})
    journal.close()
    path.unlink()  # as a crash between a segment's close and the next one's leaves it
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InvalidInputError, match="not a demo journal"):
        asyncio.run(run_demo(journal=path))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
