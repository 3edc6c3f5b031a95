"""verify on several cores finds what one pass finds: the same count, the same first break."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hydra.adapters.journal import JsonlJournal, list_segments
from hydra.adapters.journal.verify import verify_journal

ACCOUNT = "DU123456"


def journal(path: Path, count: int = 60) -> list[Path]:
    """``count`` records over about a dozen segments; the segment files, oldest first."""
    with JsonlJournal(
        path,
        "never",
        account=ACCOUNT,
        segment_bytes=400,
        checkpoint_source=lambda: {"kind": "checkpoint"},
    ) as writer:
        for n in range(count):
            writer.append({"kind": "decision", "n": n, "pad": "x" * 60})
    return [segment.path for segment in list_segments(path)]


def _edit(segments: list[Path]) -> None:
    middle = segments[len(segments) // 2]
    middle.write_bytes(middle.read_bytes().replace(b'"n":', b'"n":1', 1))


def _drop_segment(segments: list[Path]) -> None:
    segments[len(segments) // 2].unlink()  # where the work is split


def _drop_record(segments: list[Path]) -> None:
    lines = segments[3].read_bytes().splitlines(keepends=True)
    segments[3].write_bytes(b"".join(lines[:1] + lines[2:]))


def _truncate(segments: list[Path]) -> None:
    segments[-1].write_bytes(segments[-1].read_bytes().splitlines(keepends=True)[0])


def _tear(segments: list[Path]) -> None:
    with segments[-1].open("ab") as live:
        live.write(b'{"kind":"decision","n":')


def _other_account(segments: list[Path]) -> None:
    segments[-3].write_bytes(segments[-3].read_bytes().replace(ACCOUNT.encode(), b"DU999999"))


@pytest.mark.parametrize(
    "damage",
    [None, _edit, _drop_segment, _drop_record, _truncate, _tear, _other_account],
    ids=["intact", "edited", "segment-gone", "record-gone", "truncated", "torn", "account"],
)
def test_verify_in_parts_agrees_with_one_pass(
    tmp_path: Path, damage: Callable[[list[Path]], None] | None
) -> None:
    """Three workers report the records, jseqs, first break and torn tail one pass does."""
    path = tmp_path / "audit.jsonl"
    segments = journal(path)
    assert len(segments) > 6
    if damage is not None:
        damage(segments)
    alone = verify_journal(path, workers=1)
    parts = verify_journal(path, workers=3)
    assert (parts.records, parts.first_jseq, parts.last_jseq) == (
        alone.records,
        alone.first_jseq,
        alone.last_jseq,
    )
    assert (parts.torn_tail, parts.damaged) == (alone.torn_tail, alone.damaged)
    assert (parts.damage is None) == (alone.damage is None) == (damage in (None, _tear))
    if damage not in (None, _tear, _drop_segment, _drop_record, _other_account):
        assert str(parts.damage) == str(alone.damage)  # the same words, the same place
