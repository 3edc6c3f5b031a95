"""The ``[journal]`` settings: where the audit journal lives and how it is synced.

Values only (no file is touched here): ``hydra.settings`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hydra.domain import ConfigError

__all__ = ["DEFAULT_JOURNAL_NAME", "JournalConfig"]

DEFAULT_JOURNAL_NAME = "hydra.journal.jsonl"
"""The journal's file name inside the state directory, unless ``[journal] path`` says."""


@dataclass(frozen=True, slots=True)
class JournalConfig:
    """``[journal]``: the audit journal's file, fsync policy and account."""

    path: str = field(
        default="",
        metadata={
            "doc": f"journal file (left out: <state dir>/{DEFAULT_JOURNAL_NAME})",
            "nonblank": True,
        },
    )
    fsync: Literal["every", "never"] | int = field(
        default="every", metadata={"doc": "every | never | N (fsync every N records)"}
    )
    account: str = field(
        default="", metadata={"doc": "account the journal is for ('' = the broker's)"}
    )
    segment_mb: float = field(
        default=16.0,
        metadata={
            "doc": "begin a new journal segment past this size, MiB (and at each session "
            "boundary); a restart reads at most about this much"
        },
    )

    def __post_init__(self) -> None:
        fsync = self.fsync
        if fsync not in ("every", "never") and (
            isinstance(fsync, bool) or not isinstance(fsync, int) or fsync < 1
        ):
            raise ConfigError(
                "journal.fsync", f'must be "every", "never" or a positive integer N (got {fsync!r})'
            )
        size = self.segment_mb
        if isinstance(size, bool) or not isinstance(size, int | float) or not size > 0:
            raise ConfigError("journal.segment_mb", f"must be a positive size (got {size!r})")
