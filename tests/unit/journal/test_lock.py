"""The journal's writer lock: one writer at a time, and a probe that names it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hydra.adapters.journal.lock import JournalLock, journal_writer, lock_path
from hydra.domain import JournalLockedError


def test_a_second_lock_on_the_same_journal_is_refused_naming_the_holder(tmp_path: Path) -> None:
    """While one writer holds the lock, a second is refused with the holder's pid."""
    journal = tmp_path / "j.jsonl"
    first = JournalLock(journal)
    with pytest.raises(JournalLockedError) as caught:
        JournalLock(journal)
    assert caught.value.pid == os.getpid()
    first.release()
    JournalLock(journal).release()  # free again once released


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    """The lock file is created 0600, like the journal and the token."""
    JournalLock(tmp_path / "j.jsonl").release()
    assert stat.S_IMODE(lock_path(tmp_path / "j.jsonl").stat().st_mode) == 0o600


def test_the_probe_sees_a_writer_in_another_process_and_none_after_it_dies(
    tmp_path: Path,
) -> None:
    """journal_writer names a live writer's pid, and None once that process is gone."""
    journal = tmp_path / "j.jsonl"
    assert journal_writer(journal) is None
    holder = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed code)
        [
            sys.executable,
            "-c",
            "import sys,time\n"
            "from hydra.adapters.journal.lock import JournalLock\n"
            f"lock = JournalLock({str(journal)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert journal_writer(journal) == holder.pid
        with pytest.raises(JournalLockedError):
            JournalLock(journal)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert journal_writer(journal) is None
