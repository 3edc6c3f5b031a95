"""hydra.testing.MemoryJournal keeps JsonlJournal's append contract, in memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hydra.application.records import BreakerReset, StateChanged
from hydra.domain import BreakerName, InvalidInputError, TradingState
from hydra.testing import MemoryJournal

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def test_memory_journal_keeps_copies_in_order() -> None:
    """Appended records are kept as copies, in order; of_type reads them back typed."""
    journal = MemoryJournal()
    reset = BreakerReset(time=NOW, breaker=BreakerName.DRAWDOWN, who="cro", why="reviewed")
    state = StateChanged(time=NOW, state=TradingState.HALTED, who="desk", why="news")
    record = reset.as_json()
    journal.append(record)
    journal.append(state.as_json())
    record["who"] = "someone else"
    assert journal.records == [reset.as_json(), state.as_json()]
    assert journal.of_type(StateChanged) == [state]
    assert journal.typed == [reset, state]


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
