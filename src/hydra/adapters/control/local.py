"""The control plane's local side: the private state directory and the Unix socket in it.

The directory holding the token (the state directory, by default) is the owner's alone:
created 0700; an existing one of the owner's that is looser is tightened to 0700 (and
logged); one that belongs to another user is refused. The Unix socket ``control.sock``
lives there, so only the owner (and root) can reach it: the filesystem vouches for
both sides, and a request over it needs no token. The client checks the same facts
before it trusts the socket (``local_socket_problem``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path

import structlog

from hydra.domain import ConfigError

__all__ = [
    "SOCKET_NAME",
    "LocalSocket",
    "control_socket_path",
    "local_socket_problem",
    "secure_directory",
]

SOCKET_NAME = "control.sock"
"""The Unix socket's file name, next to the token file."""

_SUN_PATH_MAX = 100  # sockaddr_un holds 104 (macOS) or 108 (Linux) bytes with its NUL
_log = structlog.get_logger("hydra.control")


def control_socket_path(token_file: str | os.PathLike[str]) -> Path | None:
    """The Unix socket next to ``token_file``; None when the path is too long for one."""
    path = Path(token_file).parent / SOCKET_NAME
    return path if len(os.fsencode(path)) < _SUN_PATH_MAX else None


def secure_directory(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` a 0700 directory of this user (created, or tightened); return it.

    Raises:
        ConfigError: it is not a directory, or it belongs to another user.
    """
    target = Path(path)
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = target.stat()
    except OSError as exc:
        raise ConfigError("state.dir", f"cannot create {target}: {exc.strerror}") from None
    if not stat.S_ISDIR(found.st_mode):
        raise ConfigError("state.dir", f"{target} is not a directory")
    if found.st_uid != os.geteuid():
        raise ConfigError(
            "state.dir",
            f"{target} belongs to uid {found.st_uid}, not to you: the state directory "
            "must be your own (0700)",
        )
    if found.st_mode & 0o077:
        target.chmod(0o700)
        _log.warning(
            "control.state_dir_tightened",
            path=str(target),
            was=f"{stat.S_IMODE(found.st_mode):o}",
            now="700",
        )
    return target


class LocalSocket:
    """A listening Unix socket at ``path`` (0600), replacing a stale one; ``close`` removes it.

    Raises:
        ConfigError: another server answers on ``path``, or something else is there.
    """

    def __init__(self, path: Path) -> None:
        field = "control.token_file"
        try:
            found = path.lstat()
        except FileNotFoundError:
            found = None
        if found is not None:
            if not stat.S_ISSOCK(found.st_mode):
                raise ConfigError(field, f"{path} exists and is not a socket")
            if _answers(path):
                raise ConfigError(
                    field,
                    f"another control server is serving on {path} (one trader per state dir)",
                )
            path.unlink()  # left by a trader that died
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(path))
            path.chmod(0o600)
            sock.listen(128)
            made = path.lstat()
        except OSError as exc:
            sock.close()
            raise ConfigError(field, f"cannot listen on {path}: {exc.strerror}") from None
        sock.setblocking(False)  # noqa: FBT003  (the stdlib's signature)
        self.path = path
        self.socket = sock
        self._identity = (made.st_dev, made.st_ino)

    def close(self) -> None:
        """Stop listening and remove the file, if it is still this socket's."""
        with contextlib.suppress(OSError):
            found = self.path.lstat()
            if (found.st_dev, found.st_ino) == self._identity:
                self.path.unlink()
        self.socket.close()


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def local_socket_problem(path: Path) -> str | None:
    """Why the socket at ``path`` cannot be trusted as this user's trader, or None if it can.

    Trusted: a socket owned by this user, in a directory of this user's that no one
    else may write to or enter.
    """
    try:
        found = path.lstat()
        directory = path.parent.stat()
    except OSError as exc:
        return f"cannot look at {path}: {exc.strerror}"
    me = os.geteuid()
    if not stat.S_ISSOCK(found.st_mode):
        return f"{path} is not a socket"
    if found.st_uid != me:
        return f"{path} belongs to uid {found.st_uid}, not to you"
    if directory.st_uid != me or directory.st_mode & 0o077:
        return (
            f"{path.parent} is not your private directory (owner uid {directory.st_uid}, "
            f"mode {stat.S_IMODE(directory.st_mode):o}; it must be 700)"
        )
    return None
