"""The control server's bearer token: created once into a 0600 file, compared in constant time.

The token never appears in a log line, an error message, a URL or the journal: errors
name the file, never its contents.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

from hydra.domain import ConfigError

__all__ = ["load_or_create_token", "read_token", "tokens_match"]

_FIELD = "control.token_file"


def load_or_create_token(path: str | os.PathLike[str]) -> str:
    """The token in ``path``; generated (URL-safe, 256 bits) into a new 0600 file if absent.

    Raises:
        ConfigError: the file is readable by group or others, empty, or cannot be made.
    """
    target = Path(path)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_token(target)
    except OSError as exc:
        raise ConfigError(_FIELD, f"cannot create {target}: {exc.strerror}") from None
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def read_token(path: str | os.PathLike[str]) -> str:
    """Read an existing token file, refusing one that others may have planted or read.

    Raises:
        ConfigError: missing, unreadable, empty, a symbolic link or not a regular file,
            owned by another user, or open to group or others (read or write).
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise ConfigError(
            _FIELD, f"{target} does not exist; is the trader's control server running?"
        ) from None
    except OSError as exc:
        raise ConfigError(_FIELD, f"cannot read {target}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(handle.fileno())
        if not stat.S_ISREG(found.st_mode):
            raise ConfigError(_FIELD, f"{target} is not a regular file")
        if found.st_uid != os.geteuid():
            raise ConfigError(
                _FIELD,
                f"{target} belongs to uid {found.st_uid}, not to you: refusing a token "
                "another user may have planted",
            )
        mode = stat.S_IMODE(found.st_mode)
        if mode & 0o022:
            raise ConfigError(_FIELD, f"{target} is writable by other users (mode {mode:o})")
        if mode & 0o077:
            raise ConfigError(
                _FIELD, f"{target} is readable by other users (mode {mode:o}); chmod 600 it"
            )
        try:
            text = handle.read(4096).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(_FIELD, f"cannot read {target}: {exc}") from None
    if not text:
        raise ConfigError(_FIELD, f"{target} is empty")
    return text


def tokens_match(given: str | bytes, expected: str) -> bool:
    """Constant-time comparison of a presented token with the real one."""
    presented = given.encode() if isinstance(given, str) else given
    return hmac.compare_digest(presented, expected.encode())
