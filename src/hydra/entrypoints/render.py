"""Rendering for the ``hydra`` command: aligned plain-text tables and JSON."""

from __future__ import annotations

import json
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
    "record_row",
    "render_json",
    "render_table",
]

RECORD_COLUMNS = ("time", "kind", "seq", "symbol", "side", "qty", "outcome", "why / event", "order")
"""The columns of ``hydra journal``'s table (``record_row`` fills them)."""


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain-text table with aligned columns."""
    cells = [[str(h) for h in headers], *[[cell_text(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


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
    """One journal record (or a decision's listing) as a row of ``RECORD_COLUMNS``."""
    if isinstance(record, DecisionRecord | DecisionListing):
        return [
            record.time.isoformat(),
            record.kind,
            record.seq,
            record.symbol,
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


def cell_text(value: object) -> str:
    """How a table shows one value (numbers grouped and rounded, "-" for nothing)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "-"
    return str(value)
