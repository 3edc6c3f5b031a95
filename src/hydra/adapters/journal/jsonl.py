"""An append-only, hash-chained JSON-lines audit journal in segments, with one writer.

Each record is one line written with a single ``os.write`` on an ``O_APPEND`` descriptor,
so a killed process loses at most the record being written; that torn last line is
reported by the reader, not fatal. The journal stamps every record with its ``account``,
a ``jseq`` that keeps counting across restarts and segments, the previous record's digest
(``prev``) and its own ``digest`` (see ``chain``), so a removed, reordered or edited record
shows. The fsync policy trades durability against speed: ``"every"`` record (survives power
loss), every ``N`` records, or ``"never"`` (the OS flushes; still survives a process crash,
since every write reaches the kernel at once).

Segments (see ``segments``): the live segment is the journal's own path; it is closed (renamed
``P.<number>-<closed at>``) and a new one begun when it has passed ``segment_bytes``, or at
the first record after the session boundary (``session``, read from ``clock``). Each new
segment opens with a checkpoint of the gate's memory, from ``checkpoint_source``, chained
like any record: a restart reads the last checkpoint and what follows, never the history.
Each append compares the size and the time with bounds computed when the segment began.

One writer: the journal holds ``<P>.lock`` (``JournalLock``) from open to close; a second
writer, in this process or another, is refused with ``JournalLockedError``.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from hashlib import blake2b
from pathlib import Path
from typing import Any, Literal, NoReturn

import orjson

from hydra.adapters.journal.aside import set_aside
from hydra.adapters.journal.chain import GENESIS, Anchor, anchor_path, read_anchor, write_anchor
from hydra.adapters.journal.config import JournalConfig
from hydra.adapters.journal.files import fsync_dir, make_dirs, open_private
from hydra.adapters.journal.lock import JournalLock
from hydra.adapters.journal.reader import last_chained
from hydra.adapters.journal.segments import closed_path, list_segments
from hydra.domain import (
    Clock,
    InvalidInputError,
    JournalAccountError,
    JournalDamagedError,
    SessionSchedule,
)
from hydra.domain.clock import system_clock

__all__ = [
    "DEFAULT_SEGMENT_MB",
    "RESERVED_FIELDS",
    "CheckpointSource",
    "FsyncPolicy",
    "JsonlJournal",
]

_DIGEST = blake2b(digest_size=16)
"""An empty 16-byte BLAKE2b: each record's digest starts from a copy of it."""

FsyncPolicy = Literal["every", "never"] | int
"""``"every"`` record, ``"never"``, or an int N: fsync after every N records."""

CheckpointSource = Callable[[], Mapping[str, Any]]
"""Returns the record that opens a new segment (the gate's memory, JSON-ready)."""

DEFAULT_SEGMENT_MB = JournalConfig().segment_mb
"""The size past which a configured journal begins a new segment (``[journal] segment_mb``,
MiB): a restart reads at most about this much (~35,000 decisions)."""

RESERVED_FIELDS = ("account", "jseq", "prev", "digest")
"""Fields the journal stamps on every record; a record passed in must not carry them."""

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # datetimes go through default=str, as always
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT


class JsonlJournal:
    """Appends audit records for one account to the segments of ``path``, as chained lines.

    Opening takes the writer lock, then continues the chain where it ends (the last
    record's ``jseq`` and digest, in the live segment or the last closed one) and writes the
    anchor ``<path>.anchor`` (advanced at open, at each rollover, ``flush()`` and
    ``close()``; call ``flush()`` now and then in a long-running host so the anchor keeps
    up). A live segment whose last line was torn by a crash is first closed off with a
    newline, so the torn record stays one unreadable line and the next starts clean. A path
    that is not a regular file (``/dev/null``) is written plainly: no lock, no anchor, no
    segments.

    Args:
        path: the journal (the live segment; closed ones sit beside it). Missing parent
            directories are created 0700; every file the journal creates is 0600.
        fsync: ``"every"``, ``"never"`` or N (fsync every N records).
        account: the broker account this journal is for; stamped on every record.
        new_journal: archive an existing journal (segments and anchor, renamed with a UTC
            timestamp suffix, never deleted) and start a new chain at jseq 1.
        segment_bytes: begin a new segment once the live one holds this many bytes
            (None: no size limit).
        session: begin a new segment at each of this schedule's boundaries (None: never).
        clock: the time the session boundary is compared with (default: the system clock).
        checkpoint_source: the first record of each new segment (None: segments begin
            without a checkpoint); also settable later, as ``checkpoint_source``.
        lock: the writer lock, already taken (the journal keeps it and releases it at
            ``close``); by default the journal takes it.

    Raises:
        InvalidInputError: a bad ``fsync``, ``account`` or ``segment_bytes``.
        JournalAccountError: the journal at ``path`` was written for another account.
        JournalLockedError: another writer holds the journal.
        IsADirectoryError: ``path`` is a directory.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fsync: FsyncPolicy = "every",
        *,
        account: str,
        new_journal: bool = False,
        segment_bytes: int | None = None,
        session: SessionSchedule | None = None,
        clock: Clock | None = None,
        checkpoint_source: CheckpointSource | None = None,
        lock: JournalLock | None = None,
    ) -> None:
        if fsync not in ("every", "never") and (
            isinstance(fsync, bool) or not isinstance(fsync, int) or fsync < 1
        ):
            raise InvalidInputError("fsync", 'must be "every", "never" or a positive int', fsync)
        if not isinstance(account, str) or not account.strip() or account != account.strip():
            raise InvalidInputError("account", "must be a non-empty account id", account)
        if segment_bytes is not None and (
            isinstance(segment_bytes, bool)
            or not isinstance(segment_bytes, int)
            or segment_bytes < 1
        ):
            raise InvalidInputError("segment_bytes", "must be a positive int", segment_bytes)
        self.path = Path(path)
        if self.path.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(self.path))
        self.fsync: FsyncPolicy = fsync
        self.account = account
        self.anchor_path = anchor_path(self.path)
        self._clock: Clock = clock if clock is not None else system_clock
        self._session = session
        self._source = checkpoint_source
        self.checkpoint_failures = 0
        self.last_checkpoint_error: str | None = None
        self._fd = -1
        special = self.path.exists() and not self.path.is_file()  # /dev/null: just written
        self._lock = None if special else lock if lock is not None else JournalLock(self.path)
        try:
            self._open(new_journal=new_journal, segment_bytes=segment_bytes, special=special)
        except BaseException:
            if self._fd >= 0:
                os.close(self._fd)
            if self._lock is not None:
                self._lock.release()
            raise

    def _open(self, *, new_journal: bool, segment_bytes: int | None, special: bool) -> None:
        make_dirs(self.path.parent)
        self.archived: tuple[Path, ...] = (
            set_aside(self.path, self.anchor_path) if new_journal and not special else ()
        )
        anchor = None if special else self._own_anchor()
        segments = [] if special else list_segments(self.path)
        last = None
        for segment in reversed(segments):
            last = last_chained(segment)
            if last is not None:
                break
        if last is not None and last.account != orjson.dumps(self.account):
            raise JournalAccountError(
                str(self.path), self.account, last.account.decode(errors="replace")
            )
        self._jseq, prev = (last.jseq, last.digest) if last is not None else (0, GENESIS)
        if anchor is not None and anchor.jseq > self._jseq:
            # Records the anchor vouched for are gone: never reuse their numbers.
            self._jseq, prev = anchor.jseq, anchor.digest
        self._prev = prev.encode()
        self._head = b'"account":' + orjson.dumps(self.account) + b',"jseq":'
        self._pending = 0
        self._fd = open_private(self.path, _APPEND)
        self._where = os.fspath(self.path)  # stat'ed per record: a str, not a Path
        opened = os.fstat(self._fd)
        self._identity = (opened.st_dev, opened.st_ino)
        self._regular = stat.S_ISREG(opened.st_mode)
        self._policy: FsyncPolicy = self.fsync if self._regular else "never"  # /dev/null
        if self._regular and opened.st_size and _ends_torn(self.path):
            os.write(self._fd, b"\n")
        # What this writer knows the file holds: anything more was appended by a process
        # that ignored the lock, so this chain and this process's state are stale.
        self._size = os.fstat(self._fd).st_size
        closed = [s for s in segments if not s.live]
        self._number = closed[-1].number + 1 if closed else 1
        self._created = (
            anchor.created if anchor is not None else self._clock().astimezone(UTC).isoformat()
        )
        start = closed[-1].closed_at if closed else _parse_time(self._created)
        self._limit = segment_bytes if segment_bytes is not None and self._regular else sys.maxsize
        self._begin_segment(start or self._clock())
        self._arm()
        if self._regular and (
            anchor is None or anchor.jseq != self._jseq or anchor.segment != self._number
        ):
            # Vouch for what is on disk now (never less than before), so a later truncation
            # shows even if this process is killed before it flushes.
            self._write_anchor()

    @classmethod
    def create_new(
        cls, path: str | os.PathLike[str], fsync: FsyncPolicy = "every", *, account: str
    ) -> JsonlJournal:
        """Archive the journal at ``path`` (and its anchor), and start a new chain there."""
        return cls(path, fsync, account=account, new_journal=True)

    # ------------------------------------------------------------------ state
    @property
    def jseq(self) -> int:
        """The jseq of the last record written (0 before the first)."""
        return self._jseq

    @property
    def segment(self) -> int:
        """The number of the live segment (1 for a journal that never rolled over)."""
        return self._number

    @property
    def checkpoint_source(self) -> CheckpointSource | None:
        """What opens each new segment (the container points it at the gate)."""
        return self._source

    @checkpoint_source.setter
    def checkpoint_source(self, source: CheckpointSource | None) -> None:
        self._source = source
        self._arm()

    # ------------------------------------------------------------------ writing
    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one chained line; fsync as the policy says.

        A new segment is begun first when the live one is full or its session is over.
        Returns only once the whole line is written; a short write is finished, and a write
        that cannot be finished (disk full, file too large) raises ``OSError``.

        Raises:
            JournalDamagedError: the live segment was removed or replaced while open, or
                another process wrote to it.
            InvalidInputError: the record carries a field the journal stamps itself.
            TypeError: a value JSON cannot hold and ``str()`` cannot render.
        """
        if "jseq" in record or "digest" in record or "prev" in record or "account" in record:
            field = next(name for name in RESERVED_FIELDS if name in record)
            raise InvalidInputError(field, "is stamped by the journal; leave it out", record)
        try:
            now: os.stat_result | None = os.stat(self._where)
        except FileNotFoundError:
            now = None
        if (
            now is None
            or now.st_ino != self._identity[1]
            or now.st_dev != self._identity[0]
            or (self._regular and now.st_size != self._size)
        ):
            self._refuse(now)
        boundary = self._boundary
        if self._size >= self._trigger or (boundary is not None and self._clock() >= boundary):
            self._roll()
        self._write(
            orjson.dumps(
                record if type(record) is dict else dict(record), default=str, option=_OPTIONS
            )
        )

    def _refuse(self, now: os.stat_result | None) -> NoReturn:
        """The live segment is not what this writer wrote: say how, write nothing."""
        if now is None:
            raise JournalDamagedError(
                str(self.path), "the journal file was removed while in use; nothing written"
            )
        if now.st_ino != self._identity[1] or now.st_dev != self._identity[0]:
            raise JournalDamagedError(
                str(self.path), "the journal file was replaced while in use; nothing written"
            )
        raise JournalDamagedError(
            str(self.path),
            f"the journal changed size while in use ({self._size} -> {now.st_size} bytes: "
            "another process wrote to it without its lock); nothing written",
        )

    def _write(self, body: bytes) -> None:
        """Seal ``body`` (a JSON object) with the chain stamps and write it as one line."""
        jseq = self._jseq + 1
        head = b'%b%b%b%d,"prev":"%b"}' % (
            body[:-1],
            b"," if len(body) > 2 else b"",  # b"{}" is the empty record
            self._head,
            jseq,
            self._prev,
        )
        hasher = _DIGEST.copy()  # perf: gate_halted (no parameter parsing per record)
        hasher.update(head)
        digest = hasher.hexdigest().encode()
        data = b'%b,"digest":"%b"}\n' % (head[:-1], digest)
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])
        self._jseq, self._prev = jseq, digest
        self._size += len(data)
        policy = self._policy
        if policy == "never":
            return
        self._pending += 1
        if policy == "every" or self._pending >= policy:
            os.fsync(self._fd)
            self._pending = 0

    # ------------------------------------------------------------------ segments
    def _begin_segment(self, start: datetime) -> None:
        """Set the end of the live segment's session (the first boundary after ``start``)."""
        session = self._session
        self._boundary = (
            session.next_boundary(start).astimezone(UTC)
            if session is not None and self._regular
            else None
        )

    def _arm(self) -> None:
        """Set the size at which the next append rolls over.

        An empty live segment with a checkpoint to open it rolls at the next append, which
        writes the checkpoint first (nothing is renamed).
        """
        empty = self._size == 0 and self._source is not None and self._regular
        self._trigger = 0 if empty else self._limit

    def _roll(self) -> None:
        """Close the live segment (if it holds anything) and begin the next with a checkpoint.

        The order survives a crash at any step: the closed segment keeps every record; the
        new live file is created only once the old one has its closed name; the anchor moves
        on last. A checkpoint that cannot be taken leaves the segment without one (a restart
        then reads from the one before), counted in ``checkpoint_failures``.
        """
        now = self._clock()
        if self._size:
            os.fsync(self._fd)
            os.rename(self.path, closed_path(self.path, self._number, now))
            os.close(self._fd)
            self._fd = -1
            self._number += 1
        checkpoint = self._checkpoint()
        if self._fd < 0:
            self._fd = open_private(self.path, _APPEND | os.O_EXCL)
            opened = os.fstat(self._fd)
            self._identity = (opened.st_dev, opened.st_ino)
            self._size = 0
        if checkpoint is not None:
            self._write(checkpoint)
        if self._regular:
            os.fsync(self._fd)
        self._pending = 0
        fsync_dir(self.path.parent)
        self._begin_segment(now)
        self._trigger = self._limit  # even without a checkpoint: one try per segment
        self._write_anchor()

    def _checkpoint(self) -> bytes | None:
        source = self._source
        if source is None:
            return None
        try:
            record = source()
            if any(name in record for name in RESERVED_FIELDS):
                raise InvalidInputError("checkpoint", "carries a field the journal stamps", record)
            return orjson.dumps(dict(record), default=str, option=_OPTIONS)
        except Exception as exc:  # noqa: BLE001  (the segment goes on without one: counted)
            self.checkpoint_failures += 1
            self.last_checkpoint_error = f"{type(exc).__name__}: {exc}"
            return None

    # ------------------------------------------------------------------ closing
    def flush(self) -> None:
        """Sync to disk whatever the policy has not synced yet, and update the anchor."""
        if self._fd >= 0 and self._regular:
            os.fsync(self._fd)
            self._pending = 0
            self._write_anchor()

    def close(self) -> None:
        """Sync, update the anchor, close the file and let go of the lock."""
        try:
            if self._fd >= 0:
                try:
                    self.flush()
                finally:
                    os.close(self._fd)
                    self._fd = -1
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> JsonlJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
            Anchor(self.account, self._created, self._jseq, self._prev.decode(), self._number),
        )


def _parse_time(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _ends_torn(path: Path) -> bool:
    """True if the file's last byte is not a newline (a record was cut mid-write)."""
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"
