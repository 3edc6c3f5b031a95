r"""Rendering for the ``hydra`` command: aligned plain-text tables, money, colour and JSON.

Every cell is printable (``cell_text``): a control character in a value (a symbol, an
OCA group or a ``why`` from elsewhere, with an escape sequence, a carriage return, a bidi
override) is shown as its ``\x1b`` / ``\u202e`` escape, never acted on by the terminal.
Colour is off unless ``use_color(True)`` was called (``hydra --color``, NO_COLOR and
whether standard output is a terminal decide; see ``hydra.entrypoints.shell``). Only
states and outcomes are coloured, after alignment, so a table lines up either way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    BreakerTripped,
    DecisionListing,
    DecisionRecord,
    StateChanged,
)

__all__ = [
    "RECORD_COLUMNS",
    "breaker_table",
    "cell_text",
    "money",
    "paint",
    "percent",
    "printable",
    "record_row",
    "render_json",
    "render_table",
    "use_color",
]

RECORD_COLUMNS = ("time", "kind", "seq", "symbol", "side", "qty", "outcome", "why / event", "order")
"""The columns of ``hydra journal``'s table (``record_row`` fills them)."""


_RED, _YELLOW, _GREEN = "31", "33", "32"
_COLOURS = {
    **dict.fromkeys(("HALTED", "TRIPPED", "COOLDOWN", "BLOCKED", "blocked", "closed"), _RED),
    **dict.fromkeys(("disconnected", "reconnecting", "Rejected", "error"), _RED),
    **dict.fromkeys(("REDUCING", "reduce_only", "resyncing", "connecting"), _YELLOW),
    **dict.fromkeys(("ACTIVE", "ALLOWED", "allowed", "connected", "open"), _GREEN),
}
"""Cell texts that get a colour: states and outcomes, nothing else."""

_colour = False


def use_color(enabled: bool) -> None:
    """Colour states and outcomes in tables from now on (ANSI escapes), or stop."""
    global _colour  # noqa: PLW0603  (one switch per process, set once by the CLI)
    _colour = enabled


def colouring() -> bool:
    """Whether tables colour states and outcomes (``use_color``)."""
    return _colour


def paint(text: str, width: int) -> str:
    """``text`` padded to ``width``, coloured if it is a state or outcome and colour is on."""
    padded = text.ljust(width)
    code = _COLOURS.get(text) if _colour else None
    return f"\033[{code}m{text}\033[0m{padded[len(text) :]}" if code else padded


def printable(text: str) -> str:
    """``text`` safe for a terminal: every non-printable character as its escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain-text table with aligned columns, every cell printable."""
    cells = [[str(h) for h in headers], *[[cell_text(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(paint(c, w) for c, w in zip(row, widths, strict=True)) for row in cells[1:]]
    return "\n".join(line.rstrip() for line in lines)


def money(value: float | None, *, signed: bool = False) -> str:
    """An amount with thousands separators and cents (``-1,234.50``; ``+`` when ``signed``)."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:+,.2f}" if signed and value else f"{value:,.2f}"


def percent(fraction: float | None) -> str:
    """A fraction as a percentage: ``-0.02`` -> ``-2.00%``."""
    if fraction is None or not math.isfinite(fraction):
        return "-"
    return f"{fraction:.2%}"


def render_json(data: Any) -> str:
    """Indented JSON for scripts."""
    return json.dumps(data, indent=2, default=str)


def breaker_table(rows: list[dict[str, Any]]) -> str:
    """The circuit breakers as a table (name, state, last value, threshold, since)."""
    return render_table(
        ["breaker", "state", "last value", "threshold", "since"],
        [[b["name"], b["state"], b["value"], b["threshold"], b["since"]] for b in rows],
    )


def record_row(record: AuditRecord | DecisionListing) -> list[object]:
    """One journal record (or a decision's listing) as a row of ``RECORD_COLUMNS``.

    A decision names its exact contract (``Instrument.label``: ``ESZ6``); other records
    hold only the symbol they were written with.
    """
    if isinstance(record, DecisionRecord | DecisionListing):
        return [
            record.time.isoformat(),
            record.kind,
            record.seq,
            _label(record),
            record.side,
            record.quantity,
            record.outcome,
            ",".join(record.triggered) or record.exemption,
            record.order_id,
        ]
    if isinstance(record, StateChanged):
        outcome: object = record.state
    elif isinstance(record, BreakerTripped | BreakerReset):
        outcome = record.breaker
    else:
        outcome = None
    return [
        record.time.isoformat(),
        record.kind,
        getattr(record, "seq", None),
        getattr(record, "symbol", None),
        getattr(record, "side", None),
        getattr(record, "quantity", None),
        outcome,
        getattr(record, "why", None) or getattr(record, "reason", None) or record.event,
        getattr(record, "order_id", None),
    ]


def _label(record: DecisionRecord | DecisionListing) -> str:
    if isinstance(record, DecisionListing):
        return record.label
    return record.instrument.label if record.instrument is not None else record.symbol


def cell_text(value: object) -> str:
    """How a table shows one value (numbers grouped and rounded, "-" for nothing), printable."""
    if type(value) is str:  # perf: journal_since_made_s (most cells are text)
        return printable(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return printable(",".join(str(v) for v in value)) or "-"
    return printable(str(value))
