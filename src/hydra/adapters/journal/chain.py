"""The journal's hash chain and its anchor file: what makes lost or changed records visible.

Every line is a JSON object that ends with the fields the journal stamps on it, in this
order: ``account``, ``jseq`` (1, 2, 3 ... across restarts), ``prev`` (the previous record's
digest, ``GENESIS`` for the first) and ``digest``. The digest is BLAKE2b-128 (hex) over the
exact bytes of the line without its digest field, i.e. the line up to ``,"digest":`` plus
the closing ``}``; verifying it needs no re-encoding, so it is as cheap as writing it.

The anchor (``<journal>.anchor``, JSON, 0600) is created with the journal and rewritten at
each segment rollover, on flush and close: account, creation time, the last ``jseq`` and
``digest`` written and the current segment's number. A journal that is missing or shorter
than its anchor says has lost records.

``stamps`` reads the four stamps back from the end of a line without decoding its JSON:
the verifier checks a chain at the speed of BLAKE2b, whatever the records hold.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import NamedTuple

from hydra.adapters.journal.files import open_private

__all__ = [
    "GENESIS",
    "Anchor",
    "Stamps",
    "anchor_path",
    "digest_of",
    "read_anchor",
    "sealed_digest",
    "stamps",
    "write_anchor",
]

GENESIS = "0" * 32
"""The ``prev`` of the first record of a chain."""

DIGEST_OPEN = b',"digest":"'
# ,"digest":"<32 hex>"} is the fixed-length end of every sealed line.
SEAL_LENGTH = len(DIGEST_OPEN) + 32 + 2
PREV_OPEN = b',"prev":"'
# ,"prev":"<32 hex>" comes right before it.
PREV_END = SEAL_LENGTH + 1
PREV_START = PREV_END + 32 + len(PREV_OPEN)
JSEQ_OPEN = b',"jseq":'
ACCOUNT_OPEN = b'"account":'


def digest_of(data: bytes) -> str:
    """BLAKE2b-128 of ``data`` as 32 hex characters."""
    return blake2b(data, digest_size=16).hexdigest()


def sealed_digest(line: bytes) -> str | None:
    """The digest a sealed line claims, if it is also the digest of its contents; else None."""
    end = len(line) - SEAL_LENGTH
    if end < 1 or line[end : end + len(DIGEST_OPEN)] != DIGEST_OPEN or line[-2:] != b'"}':
        return None
    claimed = line[-34:-2].decode("ascii", errors="replace")
    return claimed if digest_of(line[:end] + b"}") == claimed else None


class Stamps(NamedTuple):
    """The chain stamps at the end of a line: account (its JSON bytes), jseq, prev, digest."""

    account: bytes
    jseq: int
    prev: str
    digest: str


def stamps(line: bytes) -> Stamps | None:
    """The stamps of a line as the journal writes it, or None if it does not end with them.

    Only the layout is read (the digest is not checked: see ``sealed_digest``).
    """
    size = len(line)
    if (
        size < PREV_START + 20
        or line[-2:] != b'"}'
        or line[-SEAL_LENGTH : -SEAL_LENGTH + len(DIGEST_OPEN)] != DIGEST_OPEN
        or line[-PREV_START : -PREV_START + len(PREV_OPEN)] != PREV_OPEN
        or line[-PREV_END] != 0x22  # the quote closing prev
    ):
        return None
    jseq_at = line.rfind(JSEQ_OPEN, 0, size - PREV_START)
    account_at = line.rfind(ACCOUNT_OPEN, 0, jseq_at) if jseq_at > 0 else -1
    if account_at < 1 or line[account_at - 1] not in b"{,":
        return None
    number = line[jseq_at + len(JSEQ_OPEN) : size - PREV_START]
    if not number.isdigit() or len(number) > 18:
        return None
    try:
        prev = line[-PREV_START + len(PREV_OPEN) : -PREV_END].decode("ascii")
        digest = line[-34:-2].decode("ascii")
    except UnicodeDecodeError:
        return None
    return Stamps(line[account_at + len(ACCOUNT_OPEN) : jseq_at], int(number), prev, digest)


def anchor_path(journal: str | os.PathLike[str]) -> Path:
    """Where the anchor of ``journal`` lives: next to it, named ``<journal>.anchor``."""
    path = Path(journal)
    return path.with_name(path.name + ".anchor")


@dataclass(frozen=True, slots=True)
class Anchor:
    """What the journal last vouched for: account, creation time, last jseq and digest.

    ``segment`` is the number of the segment being written (None in anchors written before
    the journal had segments: the journal was then one file, segment 1).
    """

    account: str
    created: str
    jseq: int
    digest: str
    segment: int | None = None


def read_anchor(path: Path) -> Anchor | None:
    """The anchor at ``path``; None if there is none.

    Raises:
        ValueError: the anchor exists but is not a valid anchor (the reason says why).
    """
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(f"anchor {path} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"anchor {path} is not a JSON object")
    account, created = data.get("account"), data.get("created")
    jseq, digest = data.get("jseq"), data.get("digest")
    if not (
        isinstance(account, str)
        and isinstance(created, str)
        and isinstance(jseq, int)
        and not isinstance(jseq, bool)
        and isinstance(digest, str)
    ):
        raise ValueError(f"anchor {path} lacks account, created, jseq or digest")
    segment = data.get("segment")
    if segment is not None and (
        not isinstance(segment, int) or isinstance(segment, bool) or segment < 1
    ):
        raise ValueError(f"anchor {path} names no valid segment ({segment!r})")
    return Anchor(account, created, jseq, digest, segment)


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Replace the anchor atomically (write a temporary file, sync it, rename it over)."""
    data: dict[str, object] = {
        "account": anchor.account,
        "created": anchor.created,
        "jseq": anchor.jseq,
        "digest": anchor.digest,
    }
    if anchor.segment is not None:
        data["segment"] = anchor.segment
    temporary = path.with_name(path.name + ".tmp")
    fd = open_private(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, json.dumps(data).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
