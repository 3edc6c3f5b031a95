"""The JSON-lines audit journal: round trip, fsync policy, torn and corrupt lines, filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hydra.adapters.journal import RESERVED_FIELDS, FsyncPolicy, JsonlJournal, read_journal
from hydra.application.records import DecisionRecord, StateChanged, decision_listing, parse_record
from hydra.domain import (
    Instrument,
    InvalidInputError,
    OrderRequest,
    Reason,
    Side,
    TradingState,
)
from hydra.entrypoints.journal_commands import TimeWindow
from hydra.entrypoints.journal_output import printable
from hydra.entrypoints.render import record_row

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
ACCOUNT = "DU123456"
STOCK = Instrument("AAPL", con_id=265598)
BUY = OrderRequest.limit(Side.BUY, 3, 150.0)
COLLAR = Reason("limit.price_collar", "price_collar", "25% from 200", 0.25, 0.05)


def plain(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records without the fields the journal stamps on them (account, jseq, prev, digest)."""
    return [{k: v for k, v in r.items() if k not in RESERVED_FIELDS} for r in records]


def write_lines(path: Path, *lines: bytes) -> None:
    """Write raw bytes to ``path``: each line as given, joined by nothing."""
    path.write_bytes(b"".join(lines))


def line(record: dict[str, Any]) -> bytes:
    """One complete journal line for ``record``."""
    return json.dumps(record).encode() + b"\n"


# ---------------------------------------------------------------- round trip and policy


def test_append_then_read_round_trips_in_order(tmp_path: Path) -> None:
    """Records read back equal to what was appended, in append order."""
    path = tmp_path / "audit.jsonl"
    records: list[dict[str, Any]] = [
        {"seq": n, "kind": "decision", "outcome": "blocked" if n % 2 else "allowed"}
        for n in range(5)
    ]
    records.append({"seq": 5, "nested": {"a": [1, 2.5, None, True]}, "text": 'Zürich ✓ "q"\n'})
    with JsonlJournal(path, account=ACCOUNT) as journal:
        for record in records:
            journal.append(record)
    contents = read_journal(path)
    assert plain(contents.records) == records
    assert contents.torn_tail is None
    assert contents.corrupt_lines == ()


def test_each_record_is_exactly_one_line(tmp_path: Path) -> None:
    """A record whose strings hold newlines still occupies exactly one line of the file."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"why": "line one\nline two"})
        journal.append({"why": "x"})
    assert path.read_bytes().count(b"\n") == 2


def test_datetimes_are_written_as_strings(tmp_path: Path) -> None:
    """Non-JSON values such as datetimes are written via str() and read back as strings."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"time": T0, "age": timedelta(seconds=90)})
    (record,) = plain(read_journal(path).records)
    assert record == {"time": str(T0), "age": "0:01:30"}
    assert datetime.fromisoformat(record["time"]) == T0


def test_reopening_appends_after_existing_records(tmp_path: Path) -> None:
    """A second journal on the same file appends: earlier records stay, nothing is inserted."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"seq": 0})
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"seq": 1})
    records = read_journal(path).records
    assert path.read_bytes().count(b"\n") == 2
    assert plain(records) == [{"seq": 0}, {"seq": 1}]
    assert [r["jseq"] for r in records] == [1, 2]


def test_journal_creates_missing_directories(tmp_path: Path) -> None:
    """The journal's parent directories are created on open."""
    path = tmp_path / "a" / "b" / "audit.jsonl"
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"seq": 0})
    assert plain(read_journal(path).records) == [{"seq": 0}]


@pytest.mark.parametrize("policy", ["every", "never", 1, 3])
def test_fsync_policies_are_accepted(tmp_path: Path, policy: FsyncPolicy) -> None:
    """'every', 'never' and a positive N are accepted; every record is readable under each."""
    path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(path, fsync=policy, account=ACCOUNT)
    assert journal.fsync == policy
    for n in range(7):
        journal.append({"seq": n})
    # Readable before close: every append reaches the file at once, whatever the policy.
    assert [r["seq"] for r in read_journal(path).records] == list(range(7))
    journal.close()
    assert [r["seq"] for r in read_journal(path).records] == list(range(7))


@pytest.mark.parametrize("policy", ["always", "Every", "", 0, -1, 1.5, True, False, None])
def test_bad_fsync_policy_is_rejected_naming_fsync(tmp_path: Path, policy: object) -> None:
    """Anything but 'every', 'never' or an int >= 1 raises InvalidInputError for 'fsync'."""
    with pytest.raises(InvalidInputError) as caught:
        JsonlJournal(tmp_path / "audit.jsonl", fsync=policy, account=ACCOUNT)  # type: ignore[arg-type]
    assert caught.value.field == "fsync"


def test_append_after_close_fails(tmp_path: Path) -> None:
    """A closed journal refuses further appends instead of silently dropping them."""
    path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(path, account=ACCOUNT)
    journal.close()
    journal.close()  # closing twice is harmless
    with pytest.raises(OSError):  # noqa: PT011  (EBADF; no narrower type exists)
        journal.append({"seq": 0})
    assert read_journal(path).records == []


# ---------------------------------------------------------------- tolerant reader


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    """Reading a journal that does not exist gives no records and creates no file."""
    path = tmp_path / "nope.jsonl"
    contents = read_journal(path)
    assert contents.records == []
    assert contents.torn_tail is None
    assert contents.corrupt_lines == ()
    assert not path.exists()


def test_torn_last_line_is_reported_and_good_records_read(tmp_path: Path) -> None:
    """A partial last line (crash mid-write) is torn_tail; the records before it read fine."""
    path = tmp_path / "audit.jsonl"
    write_lines(path, line({"seq": 0}), line({"seq": 1}), b'{"seq":2,"kind":"deci')
    contents = read_journal(path)
    assert contents.records == [{"seq": 0}, {"seq": 1}]
    assert contents.torn_tail == '{"seq":2,"kind":"deci'
    assert contents.corrupt_lines == ()


def test_complete_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    """A last record that is whole JSON but lost only its newline is a record, not torn."""
    path = tmp_path / "audit.jsonl"
    write_lines(path, line({"seq": 0}), b'{"seq":1}')
    contents = read_journal(path)
    assert contents.records == [{"seq": 0}, {"seq": 1}]
    assert contents.torn_tail is None


def test_torn_multibyte_character_is_reported_not_raised(tmp_path: Path) -> None:
    """A tail cut inside a UTF-8 character is still reported as torn, without an error."""
    path = tmp_path / "audit.jsonl"
    cut = '{"city":"Zürich'.encode()[:-5]  # ends in the middle of "ü"
    write_lines(path, line({"seq": 0}), cut)
    contents = read_journal(path)
    assert contents.records == [{"seq": 0}]
    assert contents.torn_tail is not None
    assert contents.torn_tail.startswith('{"city":"Z')


def test_reopening_a_torn_journal_closes_the_torn_line(tmp_path: Path) -> None:
    """After a crash the next journal starts a fresh line: its record reads, the torn is corrupt."""
    path = tmp_path / "audit.jsonl"
    write_lines(path, line({"seq": 0}), b'{"seq":1,"ki')
    with JsonlJournal(path, account=ACCOUNT) as journal:
        journal.append({"seq": 2})
    contents = read_journal(path)
    assert plain(contents.records) == [{"seq": 0}, {"seq": 2}]
    assert contents.torn_tail is None
    assert contents.corrupt_lines == (2,)


def test_corrupt_middle_lines_are_reported_by_line_number(tmp_path: Path) -> None:
    """Garbage, non-object JSON and bad UTF-8 lines are listed by 1-based number; others read."""
    path = tmp_path / "audit.jsonl"
    write_lines(
        path,
        line({"seq": 0}),  # 1
        b"\n",  # 2: blank, skipped but counted
        b"not json at all\n",  # 3
        line({"seq": 1}),  # 4
        b"[1, 2, 3]\n",  # 5: JSON, but not a record
        b'{"seq": "\xff\xfe"}\n',  # 6: invalid UTF-8
        line({"seq": 2}),  # 7
    )
    contents = read_journal(path)
    assert contents.records == [{"seq": 0}, {"seq": 1}, {"seq": 2}]
    assert contents.corrupt_lines == (3, 5, 6)
    assert contents.torn_tail is None


# ---------------------------------------------------------------- the time window of a read


def _timeline() -> list[dict[str, Any]]:
    return [
        {"seq": 0, "time": T0.isoformat(), "outcome": "allowed"},
        {"seq": 1, "time": (T0 + timedelta(minutes=1)).isoformat(), "outcome": "blocked"},
        {"seq": 2, "time": (T0 + timedelta(minutes=2)).isoformat(), "outcome": "allowed"},
        {"seq": 3, "kind": "state"},  # no time, no outcome
        {"seq": 4, "time": str(T0 + timedelta(minutes=3)), "outcome": "blocked"},
    ]


def _seqs(window: TimeWindow, records: list[dict[str, Any]] | None = None) -> list[int]:
    return [r["seq"] for r in (records or _timeline()) if window.holds(r)]


def test_an_open_window_holds_everything() -> None:
    """No since and no until: every record, timed or not, in order."""
    assert _seqs(TimeWindow()) == [0, 1, 2, 3, 4]


def test_since_is_inclusive_and_skips_untimed_records() -> None:
    """Since keeps records at or after the instant and drops records that carry no time."""
    assert _seqs(TimeWindow(since=T0 + timedelta(minutes=1))) == [1, 2, 4]
    assert _seqs(TimeWindow(since=T0 + timedelta(seconds=61))) == [2, 4]
    assert _seqs(TimeWindow(since=T0 - timedelta(days=1))) == [0, 1, 2, 4]


def test_until_is_inclusive() -> None:
    """Until keeps records at or before the instant; with since, both ends hold."""
    assert _seqs(TimeWindow(until=T0 + timedelta(minutes=1))) == [0, 1]
    assert _seqs(TimeWindow(since=T0 + timedelta(seconds=30), until=T0 + timedelta(minutes=2))) == [
        1,
        2,
    ]


def test_since_compares_instants_across_time_zones() -> None:
    """Since is an instant: 10:01 in New York (UTC-5) is 15:01 UTC."""
    new_york = datetime.fromisoformat("2026-01-05T10:01:00-05:00")
    assert _seqs(TimeWindow(since=new_york)) == [1, 2, 4]


@pytest.mark.parametrize(
    "stamp",
    [12345, None, "not a time", "2026-01-05T14:00:00"],
    ids=["number", "null", "garbage-string", "naive-string"],
)
def test_since_skips_records_with_unusable_times(stamp: object) -> None:
    """A record with an unusable time (not a string, not ISO, naive) never makes since raise."""
    records = [{"seq": 0, "time": T0.isoformat()}, {"seq": 1, "time": stamp}]
    assert _seqs(TimeWindow(since=T0), records) == [0]


# ---------------------------------------------------------------- a listing's rows


@pytest.mark.parametrize(
    "decision",
    [
        DecisionRecord(1, T0, "AAPL", allowed=True, instrument=STOCK, order=BUY, order_id=7),
        DecisionRecord(
            2, T0, "AAPL", allowed=False, reasons=(COLLAR,), instrument=STOCK, order=BUY
        ),
        DecisionRecord(3, T0, "'x'", allowed=False, reasons=(COLLAR, COLLAR)),
        DecisionRecord(4, T0, "AAPL", allowed=True, instrument=STOCK, order=BUY, exemption="ops"),
    ],
    ids=["allowed", "blocked", "invalid-contract", "flatten"],
)
def test_a_decisions_listing_shows_the_row_its_typed_record_shows(
    decision: DecisionRecord,
) -> None:
    """Hydra journal's fast listing of a decision and the typed decision give the same row."""
    data = decision.as_json()
    listing = decision_listing(data)
    assert listing is not None
    assert record_row(listing) == record_row(parse_record(data))


def test_a_listing_is_only_for_decisions_of_todays_form() -> None:
    """Other kinds, and decisions in the flat form written before, get no listing."""
    state = StateChanged(time=T0, state=TradingState.HALTED, who="a", why="b").as_json()
    flat = {"kind": "decision", "time": T0.isoformat(), "symbol": "AAPL", "outcome": "allowed"}
    assert decision_listing(state) is None
    assert decision_listing(flat) is None


# ---------------------------------------------------------------- what reaches a terminal


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("desk: stop", "desk: stop"),
        ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),  # a title rewrite
        ("ok\r\x1b[2Jforged", "ok\\x0d\\x1b[2Jforged"),  # a screen clear, a row rewritten
        ("a\nb\tc", "a\\x0ab\\x09c"),
        ("\x9b31m", "\\x9b31m"),  # the one-byte CSI of C1
        ("abc\u202edef", "abc\\u202edef"),  # a bidi override
        ("Zürich ¥300", "Zürich ¥300"),  # printable text of any script stays as it is
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    """Control characters, C1 codes and bidi overrides print as escapes; the rest unchanged."""
    assert printable(text) == shown
