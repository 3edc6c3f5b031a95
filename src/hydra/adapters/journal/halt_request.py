"""HALT requests as a file next to the journal: left by ``hydra kill``, read by the gate.

When the trader is alive (it holds its journal's writer lock) but does not answer, the
operator must not write its journal (one writer). ``write_halt_request`` leaves
``<journal>.halt`` instead: 0600, written to a temporary file and renamed into place (a
reader sees a whole request or none), naming who, why, when and the account. The
trader's gate reads it through ``HaltInbox`` at its next decision or restart, journals
the HALT itself, and ``taken`` removes the file. A request that cannot be read (garbage,
wrong owner or mode, another account) still halts: it is reported as the request's
reason, never ignored (fail closed).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hydra.domain import HydraError, InvalidInputError
from hydra.domain.halt_request import HaltRequest

__all__ = [
    "CHECK_INTERVAL_S",
    "HaltInbox",
    "halt_request_path",
    "read_halt_request",
    "write_halt_request",
]

CHECK_INTERVAL_S = 0.05
"""How often, at most, the gate's inbox looks for a request (one ``stat``)."""

_MAX_BYTES = 8192
_FIELDS = frozenset({"id", "who", "why", "time", "account"})


def halt_request_path(journal: str | os.PathLike[str]) -> Path:
    """Where the HALT request for ``journal`` lives: next to it, ``<journal>.halt``."""
    path = Path(journal)
    return path.with_name(path.name + ".halt")


def write_halt_request(journal: str | os.PathLike[str], request: HaltRequest) -> Path:
    """Leave ``request`` for the trader writing ``journal``; durable once this returns.

    A request already waiting is replaced (both ask for a HALT; the newer names who and
    why). Returns the request file's path.

    Raises:
        OSError: the file cannot be written or synced.
    """
    target = halt_request_path(journal)
    data = json.dumps(
        {
            "id": request.id,
            "who": request.who,
            "why": request.why,
            "time": request.time.isoformat(),
            "account": request.account,
        },
        ensure_ascii=True,
    ).encode()
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return target


def read_halt_request(path: str | os.PathLike[str]) -> HaltRequest | None:
    """The request in ``path``; None if there is none.

    Raises:
        InvalidInputError: the file is not a private regular file of this user, too large,
            or not a well-formed request.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError("halt request", f"cannot open {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(handle.fileno())
        _check_private(found, str(path))
        raw = handle.read(_MAX_BYTES + 1)
    if len(raw) > _MAX_BYTES:
        raise InvalidInputError("halt request", f"{path} is larger than {_MAX_BYTES} bytes")
    return _parse(raw, str(path))


def _check_private(found: os.stat_result, where: str) -> None:
    if not stat.S_ISREG(found.st_mode):
        raise InvalidInputError("halt request", f"{where} is not a regular file")
    if found.st_uid != os.geteuid():
        raise InvalidInputError("halt request", f"{where} belongs to uid {found.st_uid}")
    if found.st_mode & 0o077:
        raise InvalidInputError(
            "halt request", f"{where} is open to other users (mode {found.st_mode & 0o777:o})"
        )


def _parse(raw: bytes, where: str) -> HaltRequest:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInputError("halt request", f"{where} is not JSON") from None
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise InvalidInputError(
            "halt request", f"{where} must hold exactly {', '.join(sorted(_FIELDS))}"
        )
    try:
        when = datetime.fromisoformat(str(data["time"]))
    except ValueError:
        raise InvalidInputError("halt request", f"{where}: time is not an ISO time") from None
    return HaltRequest(
        id=data["id"], who=data["who"], why=data["why"], time=when, account=data["account"]
    )


class HaltInbox:
    """The gate's side: the request waiting next to its journal, checked cheaply.

    ``pending`` looks at the file at most every ``interval`` seconds (one ``stat`` when
    there is none), so the check costs next to nothing per decision. A file that cannot
    be read, or that names another account, comes back as a request to HALT whose reason
    says so.

    Args:
        journal: the trader's journal; the request file is ``<journal>.halt``.
        account: the account this trader's journal is for.
        interval: seconds between looks at the file.
        monotonic: the clock for the interval (tests pass their own).
    """

    __slots__ = ("_account", "_interval", "_monotonic", "_next", "_path", "_seen")

    def __init__(
        self,
        journal: str | os.PathLike[str],
        account: str,
        *,
        interval: float = CHECK_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = halt_request_path(journal)
        self._account = account
        self._interval = interval
        self._monotonic = monotonic
        self._next = float("-inf")
        self._seen: dict[str, tuple[int, int, int]] = {}

    @property
    def path(self) -> Path:
        """The request file this inbox reads."""
        return self._path

    def pending(self) -> HaltRequest | None:
        """The request waiting, if any, looked at no more often than every ``interval``."""
        now = self._monotonic()
        if now < self._next:
            return None
        self._next = now + self._interval
        try:
            found = os.stat(self._path, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._unreadable(f"cannot look at {self._path}: {exc.strerror}", None)
        identity = (found.st_ino, found.st_mtime_ns, found.st_size)
        try:
            request = read_halt_request(self._path)
        except HydraError as exc:
            return self._unreadable(str(exc), identity)
        if request is None:
            return None
        if request.account != self._account:
            return self._unreadable(
                f"halt request {self._path} names account {request.account!r}, "
                f"this trader's journal is for {self._account!r}",
                identity,
            )
        self._seen[request.id] = identity
        return request

    def taken(self, request: HaltRequest) -> None:
        """Remove the request file, unless a newer request replaced it meanwhile."""
        identity = self._seen.pop(request.id, None)
        if identity is None:
            return
        try:
            found = os.stat(self._path, follow_symlinks=False)
        except FileNotFoundError:
            return
        if (found.st_ino, found.st_mtime_ns, found.st_size) == identity:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()

    def _unreadable(self, reason: str, identity: tuple[int, int, int] | None) -> HaltRequest:
        """Fail closed: what cannot be read is still a request to HALT."""
        key = f"unreadable-{uuid.uuid4().hex[:12]}"
        if identity is not None:
            self._seen[key] = identity
        text = f"unreadable halt request, halting anyway: {reason}"
        return HaltRequest(
            id=key,
            who="halt request",
            why="".join(c if c.isprintable() else "?" for c in text)[:1000],
            time=datetime.now().astimezone(),
            account=self._account,
        )
