"""An append-only, hash-chained JSON-lines audit journal that survives a crash.

Each record is one line written with a single ``os.write`` on an ``O_APPEND`` descriptor,
so a killed process loses at most the record being written; that torn last line is
reported by the reader, not fatal. The journal stamps every record with its ``account``,
a ``jseq`` that keeps counting across restarts, the previous record's digest (``prev``)
and its own ``digest`` (see ``chain``), so a removed, reordered or edited record shows.
The fsync policy trades durability against speed: ``"every"`` record (survives power
loss), every ``N`` records, or ``"never"`` (the OS flushes; still survives a process crash,
since every write reaches the kernel at once).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from hashlib import blake2b
from pathlib import Path
from typing import Any, Literal

import orjson

from hydra.adapters.journal.chain import GENESIS, Anchor, anchor_path, read_anchor, write_anchor
from hydra.adapters.journal.lock import JournalLock
from hydra.adapters.journal.reader import last_chained
from hydra.domain import InvalidInputError, JournalAccountError, JournalDamagedError

__all__ = ["RESERVED_FIELDS", "FsyncPolicy", "JsonlJournal"]

FsyncPolicy = Literal["every", "never"] | int
"""``"every"`` record, ``"never"``, or an int N: fsync after every N records."""

RESERVED_FIELDS = ("account", "jseq", "prev", "digest")
"""Fields the journal stamps on every record; a record passed in must not carry them."""

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # datetimes go through default=str, as always


class JsonlJournal:
    """Appends audit records for one account to ``path`` as chained JSON lines.

    Opening continues the chain of an existing journal (its last record's ``jseq`` and
    digest) and writes the anchor ``<path>.anchor`` (created with a new journal, advanced
    to the records on disk at open, ``flush()`` and ``close()``; call ``flush()`` now and
    then in a long-running host so the anchor keeps up). A file whose last
    line was torn by a crash is first closed off with a newline, so the torn record stays
    one unreadable line and the next record starts clean.

    Args:
        path: the journal file (parent directories are created).
        fsync: ``"every"``, ``"never"`` or N (fsync every N records).
        account: the broker account this journal is for; stamped on every record.
        new_journal: archive an existing journal and its anchor (renamed with a UTC
            timestamp suffix, never deleted) and start a new chain at jseq 1.

    Raises:
        InvalidInputError: a bad ``fsync`` or ``account``.
        JournalAccountError: the journal at ``path`` was written for another account.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fsync: FsyncPolicy = "every",
        *,
        account: str,
        new_journal: bool = False,
    ) -> None:
        # One writer: the lock is held until close(); a second writer gets JournalLockedError.
        self._lock = None if _is_device(Path(path)) else JournalLock(path)
        try:
            self._open(path, fsync, account=account, new_journal=new_journal)
        except BaseException:
            self._release()
            raise

    def _open(
        self,
        path: str | os.PathLike[str],
        fsync: FsyncPolicy,
        *,
        account: str,
        new_journal: bool,
    ) -> None:
        if fsync not in ("every", "never") and (
            isinstance(fsync, bool) or not isinstance(fsync, int) or fsync < 1
        ):
            raise InvalidInputError("fsync", 'must be "every", "never" or a positive int', fsync)
        if not isinstance(account, str) or not account.strip() or account != account.strip():
            raise InvalidInputError("account", "must be a non-empty account id", account)
        self.path = Path(path)
        self.fsync: FsyncPolicy = fsync
        self.account = account
        self.anchor_path = anchor_path(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.archived: tuple[Path, ...] = (
            _archive(self.path, self.anchor_path) if new_journal else ()
        )
        anchor = self._own_anchor()
        last = last_chained(self.path) if self.path.is_file() else None
        if last is not None and last.get("account") != account:
            raise JournalAccountError(str(self.path), account, str(last.get("account")))
        self._jseq, prev = 0, GENESIS
        if last is not None:
            self._jseq, prev = int(last["jseq"]), str(last.get("digest"))
        if anchor is not None and anchor.jseq > self._jseq:
            # Records the anchor vouched for are gone: never reuse their numbers.
            self._jseq, prev = anchor.jseq, anchor.digest
        self._prev = prev.encode()
        self._head = b'"account":' + orjson.dumps(account) + b',"jseq":'
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._where = os.fspath(self.path)  # stat'ed per record: a str, not a Path
        self._pending = 0
        opened = os.fstat(self._fd)
        self._identity = (opened.st_dev, opened.st_ino)
        self._regular = stat.S_ISREG(opened.st_mode)  # /dev/null is written, not anchored
        if self._regular and opened.st_size and _ends_torn(self.path):
            os.write(self._fd, b"\n")
        # What this writer knows the file holds: anything more was appended by another
        # process (e.g. `hydra kill`'s HALT while this trader was frozen), so this chain
        # and this process's state are stale.
        self._size = os.fstat(self._fd).st_size
        self._created = anchor.created if anchor is not None else datetime.now(UTC).isoformat()
        if self._regular and (anchor is None or anchor.jseq != self._jseq):
            # Vouch for what is on disk now (never less than before), so a later truncation
            # shows even if this process is killed before it flushes.
            self._write_anchor()

    @classmethod
    def create_new(
        cls, path: str | os.PathLike[str], fsync: FsyncPolicy = "every", *, account: str
    ) -> JsonlJournal:
        """Archive the journal at ``path`` (and its anchor), and start a new chain there."""
        return cls(path, fsync, account=account, new_journal=True)

    @property
    def jseq(self) -> int:
        """The jseq of the last record written (0 before the first)."""
        return self._jseq

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one chained line; fsync as the policy says.

        Returns only once the whole line is written; a short write is finished, and a
        write that cannot be finished (disk full, file too large) raises ``OSError``.

        Raises:
            JournalDamagedError: the journal file was removed or replaced while open, or
                another process wrote to it.
            InvalidInputError: the record carries a field the journal stamps itself.
            TypeError: a value JSON cannot hold and ``str()`` cannot render.
        """
        if "jseq" in record or "digest" in record or "prev" in record or "account" in record:
            field = next(name for name in RESERVED_FIELDS if name in record)
            raise InvalidInputError(field, "is stamped by the journal; leave it out", record)
        try:
            now = os.stat(self._where)
        except FileNotFoundError:
            raise JournalDamagedError(
                str(self.path), "the journal file was removed while in use; nothing written"
            ) from None
        if now.st_ino != self._identity[1] or now.st_dev != self._identity[0]:
            raise JournalDamagedError(
                str(self.path), "the journal file was replaced while in use; nothing written"
            )
        if self._regular and now.st_size != self._size:
            raise JournalDamagedError(
                str(self.path),
                f"the journal changed size while in use ({self._size} -> {now.st_size} bytes: "
                "another process wrote to it, e.g. `hydra kill`'s HALT); nothing written",
            )
        body = orjson.dumps(
            record if type(record) is dict else dict(record), default=str, option=_OPTIONS
        )
        jseq = self._jseq + 1
        head = b'%b%b%b%d,"prev":"%b"}' % (
            body[:-1],
            b"," if len(body) > 2 else b"",  # b"{}" is the empty record
            self._head,
            jseq,
            self._prev,
        )
        digest = blake2b(head, digest_size=16).hexdigest().encode()
        data = b'%b,"digest":"%b"}\n' % (head[:-1], digest)
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])
        self._jseq, self._prev = jseq, digest
        self._size += len(data)
        policy = self.fsync
        if policy == "never":
            return
        self._pending += 1
        if policy == "every" or self._pending >= policy:
            os.fsync(self._fd)
            self._pending = 0

    def flush(self) -> None:
        """Sync to disk whatever the policy has not synced yet, and update the anchor."""
        if self._fd >= 0:
            os.fsync(self._fd)
            self._pending = 0
            if self._regular:
                self._write_anchor()

    def close(self) -> None:
        """Sync, update the anchor and close the file; further appends fail."""
        if self._fd >= 0:
            try:
                self.flush()
            finally:
                os.close(self._fd)
                self._fd = -1
                self._release()

    def __enter__(self) -> JsonlJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def _own_anchor(self) -> Anchor | None:
        try:
            anchor = read_anchor(self.anchor_path)
        except ValueError:
            return None  # the reader reports it as damage; the next flush rewrites it
        if anchor is not None and anchor.account != self.account:
            raise JournalAccountError(str(self.path), self.account, anchor.account)
        return anchor

    def _write_anchor(self) -> None:
        write_anchor(
            self.anchor_path,
            Anchor(self.account, self._created, self._jseq, self._prev.decode()),
        )


def _archive(path: Path, anchor: Path) -> tuple[Path, ...]:
    """Rename the journal and its anchor aside with a UTC timestamp suffix; never delete."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    archived = []
    for source in (path, anchor):
        if not source.exists():
            continue
        target = source.with_name(f"{source.name}.{stamp}")
        copy = 1
        while target.exists():
            target = source.with_name(f"{source.name}.{stamp}-{copy}")
            copy += 1
        source.rename(target)
        archived.append(target)
    return tuple(archived)


def _is_device(path: Path) -> bool:
    """True for a character device such as /dev/null (written, never locked or anchored)."""
    try:
        return stat.S_ISCHR(path.stat().st_mode)
    except OSError:
        return False


def _ends_torn(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"
