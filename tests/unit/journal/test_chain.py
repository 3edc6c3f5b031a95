"""The journal cannot forget silently: account, jseq and hash chain, anchor, explicit restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hydra.adapters.journal import GENESIS, JsonlJournal, anchor_path, read_journal
from hydra.domain import InvalidInputError, JournalAccountError, JournalDamagedError

ACCOUNT = "DU123456"
OTHER = "DU999999"


def write(path: Path, count: int, *, account: str = ACCOUNT, start: int = 0) -> None:
    """Append ``count`` records {"n": start..} to the journal at ``path`` and close it."""
    with JsonlJournal(path, "never", account=account) as journal:
        for n in range(start, start + count):
            journal.append({"kind": "decision", "n": n})


def lines(path: Path) -> list[bytes]:
    """The journal's lines, each with its newline."""
    return path.read_bytes().splitlines(keepends=True)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A journal of five chained records for ACCOUNT, closed (anchor up to date)."""
    journal = tmp_path / "audit.jsonl"
    write(journal, 5)
    return journal


# ---------------------------------------------------------------- the chain


def test_every_record_carries_account_jseq_prev_and_digest(path: Path) -> None:
    """Records are stamped with the account, jseq 1.., and each prev is the previous digest."""
    contents = read_journal(path, ACCOUNT)
    records = contents.records
    assert [r["account"] for r in records] == [ACCOUNT] * 5
    assert [r["jseq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev"] == GENESIS
    assert [r["prev"] for r in records[1:]] == [r["digest"] for r in records[:-1]]
    assert len({r["digest"] for r in records}) == 5
    assert contents.damage is None
    assert (contents.account, contents.last_jseq) == (ACCOUNT, 5)


def test_jseq_and_chain_continue_across_restarts(path: Path) -> None:
    """A reopened journal continues at the last jseq + 1 and chains from the last digest."""
    last = read_journal(path).records[-1]
    write(path, 3, start=5)
    with JsonlJournal(path, account=ACCOUNT) as journal:
        assert journal.jseq == 8
    contents = read_journal(path, ACCOUNT)
    assert [r["jseq"] for r in contents.records] == list(range(1, 9))
    assert contents.records[5]["prev"] == last["digest"]
    assert contents.damage is None


def test_a_removed_record_is_named_by_line(path: Path) -> None:
    """Deleting record 3 makes line 3 (formerly jseq 4) the first break: removed."""
    kept = lines(path)
    path.write_bytes(b"".join(kept[:2] + kept[3:]))
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert damage.line == 3
    assert "removed" in damage.reason


def test_reordered_records_are_named_by_line(path: Path) -> None:
    """Swapping records 2 and 3 breaks the chain at line 2."""
    got = lines(path)
    got[1], got[2] = got[2], got[1]
    path.write_bytes(b"".join(got))
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert damage.line == 2
    assert "reordered" in damage.reason


def test_an_edited_record_is_named_by_line(path: Path) -> None:
    """Changing a value inside record 4 (a valid JSON line still) is caught by its digest."""
    got = lines(path)
    assert b'"n":3' in got[3]
    got[3] = got[3].replace(b'"n":3', b'"n":7')
    path.write_bytes(b"".join(got))
    contents = read_journal(path, ACCOUNT)
    assert contents.damage is not None
    assert contents.damage.line == 4
    assert "edited" in contents.damage.reason
    assert contents.corrupt_lines == ()  # the line still parses: only the chain sees it


def test_an_edited_record_with_a_recomputed_digest_breaks_the_next_link(path: Path) -> None:
    """Re-sealing an edited record does not help: the next record's prev no longer matches."""
    journal_lines = lines(path)
    forged = _reseal(json.loads(journal_lines[1]), n=99)
    path.write_bytes(b"".join([journal_lines[0], forged, *journal_lines[2:]]))
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert damage.line == 3
    assert "chain broken" in damage.reason


def test_a_foreign_account_record_is_named_by_line(tmp_path: Path, path: Path) -> None:
    """A validly sealed record of another account spliced in is the first break."""
    foreign = tmp_path / "foreign.jsonl"
    write(foreign, 5, account=OTHER)
    got = lines(path)
    got[2] = lines(foreign)[2]  # same jseq, same prev-by-position, wrong account
    path.write_bytes(b"".join(got))
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert damage.line == 3
    assert OTHER in damage.reason
    assert ACCOUNT in damage.reason


def test_an_unchained_record_is_damage(path: Path) -> None:
    """A hand-written line without the chain fields (e.g. appended by another tool) is damage."""
    with path.open("ab") as handle:
        handle.write(b'{"kind":"state","state":"ACTIVE"}\n')
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert damage.line == 6
    assert "not a chained record" in damage.reason


@pytest.mark.parametrize("field", ["account", "jseq", "prev", "digest"])
def test_a_record_may_not_carry_the_stamped_fields(path: Path, field: str) -> None:
    """Append refuses a record that already holds a field the journal stamps, naming it."""
    with JsonlJournal(path, account=ACCOUNT) as journal:
        with pytest.raises(InvalidInputError) as caught:
            journal.append({"kind": "decision", field: 1})
        assert caught.value.field == field
    assert read_journal(path, ACCOUNT).last_jseq == 5


def test_the_empty_record_is_sealed_too(tmp_path: Path) -> None:
    """An empty mapping is written as a record holding only the stamped fields."""
    journal_path = tmp_path / "audit.jsonl"
    with JsonlJournal(journal_path, account=ACCOUNT) as journal:
        journal.append({})
    contents = read_journal(journal_path, ACCOUNT)
    assert [sorted(r) for r in contents.records] == [["account", "digest", "jseq", "prev"]]
    assert contents.damage is None


# ---------------------------------------------------------------- account


def test_opening_a_journal_of_another_account_is_refused(path: Path) -> None:
    """JsonlJournal(..., account=other) raises JournalAccountError naming path and both ids."""
    with pytest.raises(JournalAccountError) as caught:
        JsonlJournal(path, account=OTHER)
    message = str(caught.value)
    assert str(path) in message
    assert ACCOUNT in message
    assert OTHER in message
    assert (caught.value.expected, caught.value.found) == (OTHER, ACCOUNT)
    assert read_journal(path, ACCOUNT).last_jseq == 5  # nothing was written


def test_opening_is_refused_by_the_anchor_even_without_records(tmp_path: Path) -> None:
    """A journal created for one account and still empty cannot be opened for another."""
    journal_path = tmp_path / "audit.jsonl"
    JsonlJournal(journal_path, account=ACCOUNT).close()
    with pytest.raises(JournalAccountError):
        JsonlJournal(journal_path, account=OTHER)


def test_reading_a_journal_of_another_account_is_refused(path: Path) -> None:
    """read_journal(path, account=other) raises JournalAccountError; account=None reads it."""
    with pytest.raises(JournalAccountError):
        read_journal(path, OTHER)
    assert read_journal(path).account == ACCOUNT


@pytest.mark.parametrize("account", ["", "   ", " DU1", None, 7])
def test_a_bad_account_is_rejected_naming_account(tmp_path: Path, account: object) -> None:
    """An empty, padded or non-string account raises InvalidInputError for 'account'."""
    with pytest.raises(InvalidInputError) as caught:
        JsonlJournal(tmp_path / "audit.jsonl", account=account)  # type: ignore[arg-type]
    assert caught.value.field == "account"


# ---------------------------------------------------------------- anchor: missing is a fault


def test_the_anchor_is_created_with_the_journal_and_updated_on_close(tmp_path: Path) -> None:
    """A new journal has an anchor at once (jseq 0); close records the last jseq and digest."""
    journal_path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(journal_path, account=ACCOUNT)
    anchor = json.loads(anchor_path(journal_path).read_text())
    assert (anchor["account"], anchor["jseq"], anchor["digest"]) == (ACCOUNT, 0, GENESIS)
    journal.append({"kind": "decision"})
    journal.close()
    anchor = json.loads(anchor_path(journal_path).read_text())
    assert anchor["jseq"] == 1
    assert anchor["digest"] == read_journal(journal_path).records[0]["digest"]


def test_a_missing_journal_with_an_anchor_is_damage(path: Path) -> None:
    """Journal gone, anchor present: damage 'journal missing', not an empty fresh journal."""
    path.unlink()
    contents = read_journal(path, ACCOUNT)
    assert contents.records == []
    assert contents.damage is not None
    assert "journal missing" in contents.damage.reason


def test_a_journal_shorter_than_its_anchor_is_damage(path: Path) -> None:
    """Cutting the last two records (a whole-line truncation) shows against the anchor."""
    path.write_bytes(b"".join(lines(path)[:3]))
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert damage.line is None
    assert "truncated" in damage.reason


def test_a_journal_replaced_by_another_chain_is_damage(tmp_path: Path, path: Path) -> None:
    """A different, internally whole journal of the same length does not match the anchor."""
    other = tmp_path / "other.jsonl"
    write(other, 5, start=100)
    path.write_bytes(other.read_bytes())
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert "replaced" in damage.reason


def test_a_missing_anchor_is_damage(path: Path) -> None:
    """Records without their anchor cannot be checked for loss: damage, named."""
    anchor_path(path).unlink()
    damage = read_journal(path, ACCOUNT).damage
    assert damage is not None
    assert "anchor file missing" in damage.reason


def test_a_journal_reopened_after_loss_never_reuses_sequence_numbers(path: Path) -> None:
    """After the journal vanished, the next record continues at anchor jseq + 1, still damage."""
    path.unlink()
    write(path, 1)
    contents = read_journal(path, ACCOUNT)
    assert [r["jseq"] for r in contents.records] == [6]
    assert contents.damage is not None
    assert contents.damage.line == 1
    assert "records missing" in contents.damage.reason


# ---------------------------------------------------------------- while running


def test_append_raises_when_the_file_was_deleted_while_open(tmp_path: Path) -> None:
    """Deleting the journal under a running writer makes the next append raise, writing nothing."""
    journal_path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(journal_path, account=ACCOUNT)
    journal.append({"n": 0})
    journal_path.unlink()
    with pytest.raises(JournalDamagedError, match="removed"):
        journal.append({"n": 1})
    journal.close()


def test_append_raises_when_the_file_was_replaced_while_open(tmp_path: Path) -> None:
    """Renaming another file over the journal makes the next append raise."""
    journal_path = tmp_path / "audit.jsonl"
    journal = JsonlJournal(journal_path, account=ACCOUNT)
    journal.append({"n": 0})
    impostor = tmp_path / "impostor"
    impostor.write_bytes(b"")
    impostor.replace(journal_path)
    with pytest.raises(JournalDamagedError, match="replaced"):
        journal.append({"n": 1})
    journal.close()
    assert journal_path.read_bytes() == b""


def test_append_raises_when_another_process_appended_while_open(tmp_path: Path) -> None:
    """A record appended by another writer (hydra kill's HALT) stops this stale writer."""
    journal_path = tmp_path / "audit.jsonl"
    trader = JsonlJournal(journal_path, "never", account=ACCOUNT)
    trader.append({"n": 0})
    with journal_path.open("ab") as other:  # a writer that ignores the lock
        other.write(b'{"n":1}\n')
    before = journal_path.read_bytes()
    with pytest.raises(JournalDamagedError, match="another process"):
        trader.append({"n": 2})
    trader.close()
    assert journal_path.read_bytes() == before
    contents = read_journal(journal_path, ACCOUNT)
    assert [r["n"] for r in contents.records] == [0, 1]


# ---------------------------------------------------------------- starting afresh, explicitly


def test_create_new_archives_the_old_journal_and_starts_a_new_chain(path: Path) -> None:
    """create_new renames the journal and anchor aside (kept intact) and restarts at jseq 1."""
    before = path.read_bytes()
    journal = JsonlJournal.create_new(path, account=ACCOUNT)
    journal.append({"n": "fresh"})
    journal.close()
    archived_journal, archived_anchor = journal.archived
    assert archived_journal.read_bytes() == before
    assert archived_anchor.name.startswith(anchor_path(path).name + ".")
    assert archived_journal.name.startswith(path.name + ".")
    contents = read_journal(path, ACCOUNT)
    assert [(r["jseq"], r["prev"]) for r in contents.records] == [(1, GENESIS)]
    assert contents.damage is None


def test_new_journal_recovers_from_a_missing_journal(path: Path) -> None:
    """new_journal=True after the journal was lost gives a clean chain (the anchor is archived)."""
    path.unlink()
    with JsonlJournal(path, account=ACCOUNT, new_journal=True) as journal:
        journal.append({"n": 0})
        (archived_anchor,) = journal.archived
    assert archived_anchor.exists()
    assert read_journal(path, ACCOUNT).damage is None


def test_two_archives_in_one_instant_do_not_overwrite(path: Path) -> None:
    """Archiving twice keeps both old journals (no archive is overwritten)."""
    first = JsonlJournal.create_new(path, account=ACCOUNT)
    first.append({"n": "second chain"})
    first.close()
    second = JsonlJournal.create_new(path, account=ACCOUNT)
    second.close()
    kept = {p.name for p in path.parent.iterdir() if p.name.startswith(path.name + ".2")}
    assert len(kept) >= 2
    assert set(first.archived).isdisjoint(second.archived)
    assert all(p.exists() for p in (*first.archived, *second.archived))


# ---------------------------------------------------------------- torn tail still tolerated


def test_a_torn_last_line_is_tolerated_and_not_chain_damage(path: Path) -> None:
    """A crash mid-write leaves a torn tail: reported, records readable, the chain intact."""
    with path.open("ab") as handle:
        handle.write(b'{"kind":"decision","n":5,"acc')
    contents = read_journal(path, ACCOUNT)
    assert contents.torn_tail is not None
    assert len(contents.records) == 5
    assert contents.damage is None
    assert contents.damaged  # still a reason to restart halted
    write(path, 1, start=6)
    after = read_journal(path, ACCOUNT)
    assert after.damage is None
    assert after.corrupt_lines == (6,)
    assert after.records[-1]["jseq"] == 6


def _reseal(record: dict[str, Any], **changes: Any) -> bytes:
    """``record`` with ``changes``, re-sealed with a correct digest of its own (a forgery)."""
    from hydra.adapters.journal.chain import digest_of  # noqa: PLC0415  (forgery helper only)

    fields = {k: v for k, v in record.items() if k not in ("account", "jseq", "prev", "digest")}
    fields.update(changes)
    stamped = {**fields, "account": record["account"], "jseq": record["jseq"]}
    stamped["prev"] = record["prev"]
    head = json.dumps(stamped, separators=(",", ":")).encode()
    return head[:-1] + b',"digest":"' + digest_of(head).encode() + b'"}\n'


def test_opening_advances_the_anchor_so_a_killed_writer_is_still_covered(tmp_path: Path) -> None:
    """Records a killed writer never anchored are anchored by the next open: cutting them shows."""
    journal_path = tmp_path / "audit.jsonl"
    killed = JsonlJournal(journal_path, "never", account=ACCOUNT)
    for n in range(4):
        killed.append({"n": n})  # never flushed or closed: the anchor still says jseq 0
    killed._release()
    restarted = JsonlJournal(journal_path, account=ACCOUNT)  # killed again before any flush
    journal_path.write_bytes(b"".join(lines(journal_path)[:2]))
    damage = read_journal(journal_path, ACCOUNT).damage
    restarted.close()
    assert damage is not None
    assert "truncated" in damage.reason
