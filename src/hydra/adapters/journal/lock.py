"""The journal's writer lock: one process writes a journal, and anyone can ask which.

The lock is an exclusive ``flock`` on ``<journal>.lock`` (created 0600), held for as long
as the writer keeps the journal open; the kernel drops it when the process dies, however
it dies, so a held lock proves a live writer and a free one proves there is none. The
holder's pid is written into the file for messages (the lock, not the pid, is the proof).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from hydra.adapters.journal.files import make_dirs, open_private
from hydra.domain import JournalLockedError

__all__ = ["JournalLock", "journal_writer", "lock_path"]


def lock_path(journal: str | os.PathLike[str]) -> Path:
    """Where the writer lock of ``journal`` lives: next to it, ``<journal>.lock``."""
    path = Path(journal)
    return path.with_name(path.name + ".lock")


class JournalLock:
    """An exclusive writer lock on one journal, taken at construction.

    Raises:
        JournalLockedError: another open lock (another process, or another writer in this
            process) holds it.
    """

    __slots__ = ("_fd", "path")

    def __init__(self, journal: str | os.PathLike[str]) -> None:
        self.path = lock_path(journal)
        make_dirs(self.path.parent)
        fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise JournalLockedError(str(journal), holder) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    @property
    def held(self) -> bool:
        """True until ``release``."""
        return self._fd >= 0

    def release(self) -> None:
        """Let go of the lock (closing the descriptor releases it)."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def journal_writer(journal: str | os.PathLike[str]) -> int | None:
    """The pid of the process writing ``journal`` (0 if unknown), or None when none is.

    A probe: it takes the lock for an instant when it is free, so never call it from the
    writer itself (its own lock would make it answer "another writer").
    """
    path = lock_path(journal)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
