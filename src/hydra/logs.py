"""Logging set-up for the ``hydra`` command; the library itself never configures logging.

A host application embedding HYDRA keeps its own structlog/logging configuration; only
``hydra.cli`` calls ``configure_logging``: a console renderer on a terminal, JSON lines
otherwise, with cached loggers and a level-filtering bound logger for speed.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

__all__ = ["configure_logging"]


def configure_logging(
    *, level: str = "info", json: bool | None = None, stream: TextIO | None = None
) -> None:
    """Configure structlog once for a process: JSON unless ``stream`` is a terminal.

    Args:
        level: minimum level (debug, info, warning, error).
        json: force JSON (True) or console (False); None picks by ``stream.isatty()``.
        stream: where log lines go (default: standard error).
    """
    out = stream if stream is not None else sys.stderr
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"log level {level!r} is not one of debug, info, warning, error")
    use_json = (not out.isatty()) if json is None else json
    processors: list[structlog.typing.Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if use_json:
        # The console renderer formats exceptions itself; JSON needs them as text first.
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=out.isatty()))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=True,
    )
