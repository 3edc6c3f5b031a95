"""Retention: compressing closed segments in place, so they stay in the chain and verifiable.

``archive_segments`` compresses every closed segment closed at or before a date (never the
live one, which the writer holds) to ``<segment>.gz`` or ``<segment>.zst``: the compressed
file is written aside, synced, read back and compared with the original (the same bytes,
by BLAKE2b), renamed into place, and only then is the original removed. A crash at any
step leaves the original, or both (readers then take the plain one). Readers decompress
as they stream, so ``verify`` still checks every record. Safe beside a live writer: it
never touches the live segment, and the writer never touches a closed one.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b
from pathlib import Path
from typing import IO, BinaryIO

from hydra.adapters.journal.files import FILE_MODE, fsync_dir
from hydra.adapters.journal.segments import Segment, list_segments, open_segment
from hydra.domain import InvalidInputError

__all__ = ["CODEC_SUFFIXES", "Archived", "archive_segments"]

CODEC_SUFFIXES = {"gzip": ".gz", "zstd": ".zst"}
"""The codecs ``archive_segments`` writes, and the suffix each gives a segment."""

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Archived:
    """One segment compressed: its new path and its size before and after."""

    segment: str
    path: Path
    size: int
    compressed: int


def archive_segments(journal: Path, before: datetime, codec: str = "gzip") -> list[Archived]:
    """Compress the closed segments of ``journal`` closed at or before ``before``.

    Raises:
        InvalidInputError: an unknown codec, or zstd without the ``zstandard`` package.
    """
    if codec not in CODEC_SUFFIXES:
        raise InvalidInputError("--codec", f"must be one of {', '.join(CODEC_SUFFIXES)}", codec)
    if codec == "zstd":
        try:
            import zstandard  # noqa: F401, PLC0415  (optional)
        except ImportError:
            raise InvalidInputError(
                "--codec", "zstd needs zstandard (pip install 'hydra-execution[zstd]')", codec
            ) from None
    done = []
    for segment in list_segments(journal):
        if segment.closed_at is None or segment.codec or segment.closed_at > before:
            continue
        done.append(_compress(segment, codec))
    return done


def _compress(segment: Segment, codec: str) -> Archived:
    target = segment.path.with_name(segment.name + CODEC_SUFFIXES[codec])
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    original = blake2b()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            _compressor(raw, codec) as packed,
            segment.path.open("rb") as source,
        ):
            while chunk := source.read(_CHUNK):
                original.update(chunk)
                packed.write(chunk)
        # Read it back before the original goes: the archive must hold the same bytes.
        copy = blake2b()
        with open_segment(
            Segment(temporary, segment.number, segment.closed_at, target.suffix)
        ) as back:
            while chunk := back.read(_CHUNK):
                copy.update(chunk)
        if copy.digest() != original.digest():
            raise OSError(f"{temporary}: the compressed copy does not read back the same")
        with open(temporary, "rb") as synced:
            os.fsync(synced.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    fsync_dir(target.parent)
    size = segment.path.stat().st_size
    segment.path.unlink()
    fsync_dir(target.parent)
    return Archived(segment.name, target, size, target.stat().st_size)


def _compressor(raw: IO[bytes], codec: str) -> BinaryIO:
    if codec == "zstd":
        import zstandard  # noqa: PLC0415  (optional, checked by the caller)

        writer: BinaryIO = zstandard.ZstdCompressor(level=10).stream_writer(raw, closefd=False)
        return writer
    return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6)  # type: ignore[return-value]
