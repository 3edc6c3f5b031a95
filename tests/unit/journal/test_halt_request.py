"""The HALT request file: written private and whole, read strictly, taken only if unchanged."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hydra.adapters.journal import HaltInbox, halt_request_path, write_halt_request
from hydra.adapters.journal.halt_request import read_halt_request
from hydra.domain import InvalidInputError
from hydra.domain.halt_request import HaltRequest

ACCOUNT = "DU123456"
WHEN = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def request(who: str = "bob", request_id: str = "r1", account: str = ACCOUNT) -> HaltRequest:
    """A well-formed request for ACCOUNT."""
    return HaltRequest(id=request_id, who=who, why="trader frozen", time=WHEN, account=account)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        """The time the test set."""
        return self.now


def test_a_request_is_written_0600_next_to_the_journal_and_read_back(tmp_path: Path) -> None:
    """write_halt_request leaves <journal>.halt (0600, no temporary left) that reads back equal."""
    journal = tmp_path / "trader.jsonl"
    path = write_halt_request(journal, request())
    assert path == halt_request_path(journal) == tmp_path / "trader.jsonl.halt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trader.jsonl.halt"]
    assert read_halt_request(path) == request()


def test_the_inbox_looks_at_most_every_interval(tmp_path: Path) -> None:
    """pending() stats the file at most once per interval, so a request shows within it."""
    journal = tmp_path / "trader.jsonl"
    ticks = Ticks()
    inbox = HaltInbox(journal, ACCOUNT, interval=0.05, monotonic=ticks)
    assert inbox.pending() is None
    write_halt_request(journal, request())
    ticks.now = 0.04
    assert inbox.pending() is None  # looked 40 ms ago: not yet
    ticks.now = 0.05
    assert inbox.pending() == request()


def test_taken_removes_the_request_but_keeps_a_newer_one(tmp_path: Path) -> None:
    """A request replaced after it was read is not removed when the first one is taken."""
    journal = tmp_path / "trader.jsonl"
    ticks = Ticks()
    inbox = HaltInbox(journal, ACCOUNT, interval=0.0, monotonic=ticks)
    write_halt_request(journal, request())
    first = inbox.pending()
    assert first is not None
    write_halt_request(journal, request(who="carol", request_id="r2"))
    inbox.taken(first)
    second = inbox.pending()
    assert second is not None
    assert second.who == "carol"
    inbox.taken(second)
    assert not halt_request_path(journal).exists()
    assert inbox.pending() is None


@pytest.mark.parametrize(
    ("content", "mode", "fragment"),
    [
        (b"{not json", 0o600, "is not JSON"),
        (b'{"id": "x"}', 0o600, "must hold exactly"),
        (None, 0o644, "open to other users"),
        (None, 0o600, "names account"),
    ],
    ids=["garbage", "missing-fields", "mode-644", "other-account"],
)
def test_what_cannot_be_read_still_halts_naming_why(
    tmp_path: Path, content: bytes | None, mode: int, fragment: str
) -> None:
    """An unreadable, loose or misdirected request is a HALT whose why says what was wrong."""
    journal = tmp_path / "trader.jsonl"
    path = write_halt_request(
        journal, request(account="U999" if fragment == "names account" else ACCOUNT)
    )
    if content is not None:
        path.write_bytes(content)
    os.chmod(path, mode)
    inbox = HaltInbox(journal, ACCOUNT, interval=0.0)
    found = inbox.pending()
    assert found is not None
    assert found.who == "halt request"
    assert fragment in found.why
    inbox.taken(found)
    assert not path.exists()


def test_a_request_with_control_characters_is_refused_when_built() -> None:
    """who/why of a request follow the operator text rule (no terminal escapes)."""
    with pytest.raises(InvalidInputError, match="control characters"):
        request(who="bob\x1b]0;owned\x07")
