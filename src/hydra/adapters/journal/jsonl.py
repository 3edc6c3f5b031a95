"""An append-only JSON-lines audit journal that survives a crash, and a tolerant reader.

Each record is one line written with a single ``os.write`` on an ``O_APPEND`` descriptor,
so a killed process loses at most the record being written; that torn last line is
reported by the reader, not fatal. The fsync policy trades durability against speed:
``"every"`` record (survives power loss), every ``N`` records, or ``"never"`` (the OS
flushes; still survives a process crash, since every write reaches the kernel at once).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from hydra.domain import InvalidInputError

__all__ = ["FsyncPolicy", "JournalContents", "JsonlJournal", "read_journal"]

FsyncPolicy = Literal["every", "never"] | int
"""``"every"`` record, ``"never"``, or an int N: fsync after every N records."""

_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str, ensure_ascii=False)
# The C encoder behind _ENCODER, built once instead of on every record (the hot path).
_C_ENCODE = getattr(json.encoder, "c_make_encoder", None)
_FAST = (
    # (markers, default, encoder, indent, key_sep, item_sep, sort_keys, skipkeys, allow_nan)
    _C_ENCODE(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)  # noqa: FBT003
    if _C_ENCODE is not None
    else None
)


def _encode(record: Mapping[str, Any]) -> str:
    if _FAST is not None:
        return "".join(_FAST(record, 0))
    return _ENCODER.encode(record)


class JsonlJournal:
    """Appends audit records to ``path`` as JSON lines, with a configurable fsync policy.

    A file whose last line was torn by a crash is first closed off with a newline, so the
    torn record stays one unreadable line and the next record starts clean.
    """

    def __init__(self, path: str | os.PathLike[str], fsync: FsyncPolicy = "every") -> None:
        if fsync not in ("every", "never") and (
            isinstance(fsync, bool) or not isinstance(fsync, int) or fsync < 1
        ):
            raise InvalidInputError("fsync", 'must be "every", "never" or a positive int', fsync)
        self.path = Path(path)
        self.fsync: FsyncPolicy = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._pending = 0
        if _ends_torn(self.path):
            os.write(self._fd, b"\n")

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one line; fsync as the policy says.

        Returns only once the whole line is written; a short write is finished, and a
        write that cannot be finished (disk full, file too large) raises ``OSError``.
        """
        data = (_encode(record) + "\n").encode()
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])
        policy = self.fsync
        if policy == "never":
            return
        self._pending += 1
        if policy == "every" or self._pending >= policy:
            os.fsync(self._fd)
            self._pending = 0

    def flush(self) -> None:
        """Sync to disk whatever the policy has not synced yet."""
        if self._fd >= 0:
            os.fsync(self._fd)
            self._pending = 0

    def close(self) -> None:
        """Sync and close the file; further appends fail."""
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JsonlJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class JournalContents:
    """What a journal holds: good records, a torn last record, and corrupt lines."""

    records: list[dict[str, Any]] = field(default_factory=list)
    torn_tail: str | None = None
    corrupt_lines: tuple[int, ...] = ()

    def filtered(
        self, *, since: datetime | None = None, outcome: str | None = None
    ) -> list[dict[str, Any]]:
        """Records at or after ``since`` (by their ``time``) and/or with ``outcome``."""
        selected = []
        for record in self.records:
            if outcome is not None and record.get("outcome") != outcome:
                continue
            if since is not None:
                stamp = _record_time(record.get("time"))
                if stamp is None or stamp < since:
                    continue
            selected.append(record)
        return selected


def read_journal(path: str | os.PathLike[str]) -> JournalContents:
    """Read a journal; a torn last line and corrupt lines are reported, never raised.

    A missing file reads as an empty journal.
    """
    source = Path(path)
    if not source.exists():
        return JournalContents()
    data = source.read_bytes()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    records: list[dict[str, Any]] = []
    corrupt: list[int] = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        parsed = _parse(line)
        if parsed is None:
            corrupt.append(number)
        else:
            records.append(parsed)
    torn: str | None = None
    if tail.strip():
        parsed = _parse(tail)
        if parsed is None:
            torn = tail.decode(errors="replace")
        else:
            records.append(parsed)  # complete record, only its newline was lost
    return JournalContents(records, torn, tuple(corrupt))


def _record_time(value: object) -> datetime | None:
    """A record's time as an aware datetime (naive means UTC); None if unusable."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _ends_torn(path: Path) -> bool:
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) != b"\n"
