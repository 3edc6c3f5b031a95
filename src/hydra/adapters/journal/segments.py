"""A journal's segment files: how they are named, found, opened and read line by line.

A journal ``P`` (e.g. ``hydra.journal.jsonl``) is a path prefix. ``P`` itself is the live
segment, the one being written. A segment is closed by renaming it to
``P.<number>-<closed at>``: its number (6+ digits, counting from 1) and the UTC second it
was closed, e.g. ``hydra.journal.jsonl.000042-20260106T050000Z``; ``hydra journal archive``
compresses closed segments in place (``.gz``, or ``.zst``). Segment N holds the records
written between the close of segment N-1 and its own close, so the names alone say which
files a time window needs. A journal written before segments existed is one live file,
segment 1, and carries on from there.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = [
    "CODECS",
    "SLACK",
    "Segment",
    "closed_path",
    "first_line",
    "follow_blocks",
    "list_segments",
    "open_segment",
    "read_blocks",
    "read_lines",
    "select_segments",
]

CODECS = {"": "plain", ".gz": "gzip", ".zst": "zstd"}
"""Segment file suffixes and what they are compressed with."""

_NAME = re.compile(r"(?P<number>\d{6,})-(?P<closed>\d{8}T\d{6}Z)(?P<codec>\.gz|\.zst)?")
_STAMP = "%Y%m%dT%H%M%SZ"
_CHUNK = 1 << 20  # reads are this size, whatever the segment's: memory stays flat


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment file: its number, when it was closed (None: the live one), its codec."""

    path: Path
    number: int
    closed_at: datetime | None
    codec: str = ""

    @property
    def live(self) -> bool:
        """True for the segment being written (the journal's own path)."""
        return self.closed_at is None

    @property
    def name(self) -> str:
        """The file name, as damage reports and ``verify`` name it."""
        return self.path.name


def closed_path(journal: Path, number: int, closed_at: datetime) -> Path:
    """Where segment ``number`` goes when it is closed at ``closed_at``."""
    stamp = closed_at.astimezone(UTC).strftime(_STAMP)
    return journal.with_name(f"{journal.name}.{number:06d}-{stamp}")


def list_segments(journal: Path) -> list[Segment]:
    """The journal's segments, oldest first: the closed ones, then the live one if present.

    A segment found both plain and compressed (an archive interrupted before it removed the
    original) is listed once, plain. The live segment's number follows the last closed one.
    """
    prefix = journal.name + "."
    found: dict[int, Segment] = {}
    try:
        entries = list(os.scandir(journal.parent))
    except (FileNotFoundError, NotADirectoryError):
        entries = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        match = _NAME.fullmatch(entry.name, len(prefix))
        if match is None:
            continue
        number = int(match["number"])
        codec = match["codec"] or ""
        if number in found and found[number].codec == "":
            continue
        closed = datetime.strptime(match["closed"], _STAMP).replace(tzinfo=UTC)
        found[number] = Segment(Path(entry.path), number, closed, codec)
    segments = [found[number] for number in sorted(found)]
    if journal.is_file():
        segments.append(Segment(journal, segments[-1].number + 1 if segments else 1, None))
    return segments


def open_segment(segment: Segment) -> io.BufferedIOBase:
    """The segment's bytes, decompressed if it was archived.

    Raises:
        OSError: the file cannot be read; a ``.zst`` segment without ``zstandard`` installed
            raises it too, saying so.
    """
    if segment.codec == ".gz":
        return gzip.open(segment.path, "rb")
    if segment.codec == ".zst":
        try:
            import zstandard  # noqa: PLC0415  (optional: only archived journals need it)
        except ImportError:
            raise OSError(
                f"{segment.path} is zstd-compressed: install zstandard to read it "
                "(pip install 'hydra-execution[zstd]')"
            ) from None
        raw = segment.path.open("rb")
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return segment.path.open("rb")


def read_blocks(segment: Segment) -> Iterator[tuple[list[bytes], bool]]:
    """A segment's lines, a chunk at a time: (lines without newlines, all ended by one).

    Streams in fixed chunks; only the last block can hold a line without its newline (a
    torn write), alone, flagged False.
    """
    with open_segment(segment) as handle:
        carry = b""
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            lines = (carry + chunk).split(b"\n") if carry else chunk.split(b"\n")
            carry = lines.pop()
            yield lines, True
        if carry:
            yield [carry], False


def read_lines(segment: Segment) -> Iterator[tuple[int, bytes, bool]]:
    """Every line of a segment as (number from 1, bytes without newline, ended by a newline)."""
    number = 0
    for lines, ended in read_blocks(segment):
        for line in lines:
            number += 1
            yield number, line, ended


def first_line(segment: Segment) -> bytes | None:
    """The segment's first line (None if it is empty or unreadable)."""
    try:
        with open_segment(segment) as handle:
            line = handle.readline()
    except (OSError, EOFError):
        return None
    return line.rstrip(b"\n") or None


def follow_blocks(
    journal: Path,
    start: int,
    *,
    stop: Callable[[], bool],
    poll: float = 0.25,
) -> Iterator[tuple[int, list[bytes]]]:
    """Lines of the live segment as they are written: (segment number, complete lines).

    Starts at the beginning of the live segment (number ``start``), waits at its end
    (checking ``stop`` every ``poll`` seconds) and, when the writer rolls over (the path
    names a new file), finishes the old file and goes on with the new one. A line is
    yielded only once its newline is written.
    """
    number = start
    while not stop():
        try:
            handle = journal.open("rb")
        except FileNotFoundError:  # between a rollover's rename and its new file
            time.sleep(poll)
            continue
        with handle:
            inode = os.fstat(handle.fileno()).st_ino
            carry = b""
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    if stop():
                        return
                    try:
                        rolled = os.stat(journal).st_ino != inode
                    except FileNotFoundError:
                        rolled = True
                    if not rolled:
                        time.sleep(poll)
                        continue
                    chunk = handle.read()  # written before the rename, after the last read
                    if not chunk:
                        break  # drained: the writer has moved on to the new file
                lines = (carry + chunk).split(b"\n")
                carry = lines.pop()
                yield number, lines
            if carry:
                yield number, [carry]
        number += 1


SLACK = timedelta(minutes=1)
"""How far before its segment began a record may be timed (it is timed, then written)."""


def select_segments(
    segments: Sequence[Segment],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Segment]:
    """The segments that can hold records timed within [since, until], by their names alone.

    Segment N holds what was written after segment N-1 closed and before it closed itself,
    so one closed at or before ``since`` is skipped whole, and so is every segment begun
    after ``until`` (with ``SLACK``).
    """
    chosen: list[Segment] = []
    began: datetime | None = None
    for segment in segments:
        start, began = began, segment.closed_at
        if since is not None and segment.closed_at is not None and segment.closed_at <= since:
            continue
        if until is not None and start is not None and start > until + SLACK:
            break
        chosen.append(segment)
    return chosen
