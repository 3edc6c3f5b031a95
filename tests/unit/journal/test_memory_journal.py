"""hydra.testing.MemoryJournal keeps JsonlJournal's append contract, in memory."""

from __future__ import annotations

import pytest

from hydra.domain import InvalidInputError
from hydra.testing import MemoryJournal


def test_memory_journal_keeps_copies_in_order() -> None:
    """Appended records are kept as copies, in order; of_kind selects by kind."""
    journal = MemoryJournal()
    record = {"kind": "decision", "n": 0}
    journal.append(record)
    journal.append({"kind": "state", "n": 1})
    record["n"] = 99
    assert journal.records == [{"kind": "decision", "n": 0}, {"kind": "state", "n": 1}]
    assert journal.of_kind("state") == [{"kind": "state", "n": 1}]


def test_memory_journal_refuses_stamped_fields() -> None:
    """Like the real journal, a record carrying jseq (a stamped field) is refused, named."""
    journal = MemoryJournal()
    with pytest.raises(InvalidInputError) as caught:
        journal.append({"kind": "decision", "jseq": 3})
    assert caught.value.field == "jseq"
    assert journal.records == []


def test_memory_journal_failure_makes_append_raise() -> None:
    """With failure set, append raises it and keeps nothing (a journal never drops silently)."""
    journal = MemoryJournal()
    journal.failure = OSError(28, "No space left on device")
    with pytest.raises(OSError, match="No space"):
        journal.append({"kind": "decision"})
    assert journal.records == []
