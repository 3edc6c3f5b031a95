"""Private files: what the journal creates is 0600, the directories it creates are 0700.

A journal names accounts, orders and who halted what, so nothing the journal writes (its
segments, the anchor, the lock, archives) is readable by another user, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "fsync_dir", "make_dirs", "open_private"]

FILE_MODE = 0o600
"""Every file the journal creates."""

DIR_MODE = 0o700
"""Every directory the journal creates (existing ones are left as they are)."""


def make_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each 0700 (``Path.mkdir`` would not)."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            path.mkdir(mode=DIR_MODE)
            os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask


def open_private(path: Path | str, flags: int) -> int:
    """``os.open`` with mode 0600; a file that already exists more open is narrowed to 0600."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        mode = os.fstat(fd).st_mode
        if mode & 0o077 and stat.S_ISREG(mode):
            os.fchmod(fd, FILE_MODE)  # e.g. a journal written 0644 by an older version
    except BaseException:
        os.close(fd)
        raise
    return fd


def fsync_dir(directory: Path) -> None:
    """Make renames and creations in ``directory`` durable (best effort where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
