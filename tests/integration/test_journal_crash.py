"""The JSON-lines journal across a process crash: a killed or size-limited writer tears nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hydra.adapters.journal import RESERVED_FIELDS, JsonlJournal, read_journal
from hydra.container import build_container
from hydra.domain import JournalLockedError

pytestmark = pytest.mark.integration

ACCOUNT = "DU123456"


WRITER = """
import sys
from hydra.adapters.journal import JsonlJournal

journal = JsonlJournal(sys.argv[1], fsync="never", account="DU123456")
seq = 0
while True:
    journal.append({"seq": seq, "kind": "decision", "pad": "x" * 300})
    seq += 1
    if seq == 100:
        print("ready", flush=True)
"""


def _kill_writer_mid_stream(path: Path) -> None:
    """Start the writer, wait until 100 records are in, then SIGKILL it while it writes on."""
    process = subprocess.Popen(  # noqa: S603  (our interpreter, fixed script)
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_sigkilled_writer_loses_nothing_but_the_record_in_flight(tmp_path: Path) -> None:
    """SIGKILL mid-stream: >= 100 records numbered from 0, at most a torn tail, no corrupt line."""
    for attempt in range(3):
        path = tmp_path / f"crash-{attempt}.jsonl"
        _kill_writer_mid_stream(path)
        contents = read_journal(path)
        seqs = [record["seq"] for record in contents.records]
        assert len(seqs) >= 100
        assert seqs == list(range(len(seqs)))
        assert contents.corrupt_lines == ()
        if contents.torn_tail is not None:
            assert contents.torn_tail.startswith(f'{{"seq":{len(seqs)},')
        # The next process picks up cleanly after the crash.
        with JsonlJournal(path, account=ACCOUNT) as journal:
            journal.append({"seq": "restart"})
        after = read_journal(path)
        assert {k: v for k, v in after.records[-1].items() if k not in RESERVED_FIELDS} == {
            "seq": "restart"
        }
        assert after.records[:-1] == contents.records
        assert after.records[-1]["jseq"] == len(seqs) + 1  # the chain continues after the crash
        assert after.torn_tail is None
        assert after.damage is None


SHORT_WRITER = """
import resource, signal, sys
from hydra.adapters.journal import RESERVED_FIELDS, FsyncPolicy, JsonlJournal, read_journal

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
journal = JsonlJournal(sys.argv[1], fsync="never", account="DU123456")
acknowledged = 0
try:
    for seq in range(100):
        journal.append({"seq": seq, "pad": "x" * 37})
        acknowledged += 1
except OSError:
    pass
print(acknowledged)
"""


def test_append_that_returns_has_written_the_whole_record(tmp_path: Path) -> None:
    """When the file cannot take a whole record, append raises rather than leave it torn."""
    path = tmp_path / "full.jsonl"
    # A 1,000-byte file-size limit makes the kernel accept only part of one record's write.
    result = subprocess.run(  # noqa: S603  (our interpreter, fixed script)
        [sys.executable, "-c", SHORT_WRITER, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    acknowledged = int(result.stdout)
    contents = read_journal(path)
    assert acknowledged > 0
    assert len(contents.records) == acknowledged, (
        f"{acknowledged} appends returned normally but only {len(contents.records)} records "
        f"are readable; torn tail {contents.torn_tail!r}"
    )


def test_opening_advances_the_anchor_so_a_killed_writer_is_still_covered(tmp_path: Path) -> None:
    """Records a SIGKILLed writer never anchored are anchored by the next open: cuts show."""
    path = tmp_path / "audit.jsonl"
    _kill_writer_mid_stream(path)  # killed before any flush: its anchor says jseq 0
    _kill_writer_mid_stream(path)  # the next writer vouches at open, then is killed too
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]))
    damage = read_journal(path).damage
    assert damage is not None
    assert "truncated" in damage.reason


HOLDER = """
import sys, time
from hydra.adapters.journal import JsonlJournal

journal = JsonlJournal(sys.argv[1], account="SIM0001")
journal.append({"kind": "decision", "seq": 1})
print("holding", flush=True)
time.sleep(60)
"""


def test_a_second_writer_process_is_refused_while_the_first_lives(tmp_path: Path) -> None:
    """Two writers: the second (a JsonlJournal, a container's gate) is refused naming the first."""
    path = tmp_path / "trader.jsonl"
    holder = subprocess.Popen(  # noqa: S603  (our interpreter, fixed script)
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n"
        with pytest.raises(JournalLockedError) as caught:
            JsonlJournal(path, account="SIM0001")
        assert caught.value.pid == holder.pid
        with pytest.raises(JournalLockedError, match=f"process {holder.pid}"):
            build_container(env={}, overrides={"journal": {"path": str(path)}}).risk_gate()
        assert [r["seq"] for r in read_journal(path).records] == [1]  # readers need no lock
        before = path.read_bytes()
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    assert path.read_bytes() == before  # nothing was written by the refused writers
    with JsonlJournal(path, account="SIM0001") as journal:  # the lock died with its holder
        journal.append({"kind": "decision", "seq": 2})
    assert read_journal(path).damage is None
