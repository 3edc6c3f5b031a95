"""The journal's hash chain and its anchor file: what makes lost or changed records visible.

Every line is a JSON object that ends with the fields the journal stamps on it, in this
order: ``account``, ``jseq`` (1, 2, 3 ... across restarts), ``prev`` (the previous record's
digest, ``GENESIS`` for the first) and ``digest``. The digest is BLAKE2b-128 (hex) over the
exact bytes of the line without its digest field, i.e. the line up to ``,"digest":`` plus
the closing ``}``; verifying it needs no re-encoding, so it is as cheap as writing it.

The anchor (``<journal>.anchor``, JSON) is created with the journal and rewritten on flush
and close: account, creation time, and the last ``jseq`` and ``digest`` written. A journal
that is missing or shorter than its anchor says has lost records.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path

__all__ = [
    "GENESIS",
    "Anchor",
    "anchor_path",
    "digest_of",
    "read_anchor",
    "sealed_digest",
    "write_anchor",
]

GENESIS = "0" * 32
"""The ``prev`` of the first record of a chain."""

DIGEST_OPEN = b',"digest":"'
# ,"digest":"<32 hex>"} is the fixed-length end of every sealed line.
SEAL_LENGTH = len(DIGEST_OPEN) + 32 + 2


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


def anchor_path(journal: str | os.PathLike[str]) -> Path:
    """Where the anchor of ``journal`` lives: next to it, named ``<journal>.anchor``."""
    path = Path(journal)
    return path.with_name(path.name + ".anchor")


@dataclass(frozen=True, slots=True)
class Anchor:
    """What the journal last vouched for: its account, creation time, last jseq and digest."""

    account: str
    created: str
    jseq: int
    digest: str


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
    return Anchor(account, created, jseq, digest)


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Replace the anchor atomically (write a temporary file, sync it, rename it over)."""
    data = {
        "account": anchor.account,
        "created": anchor.created,
        "jseq": anchor.jseq,
        "digest": anchor.digest,
    }
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, json.dumps(data).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
