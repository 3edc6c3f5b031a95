"""The records as table rows (``hydra journal export``): the columns, their kinds, one row each.

A decision is one row of ``DECISION_COLUMNS``; every other record one row of
``EVENT_COLUMNS`` (its common fields as columns, the whole record as JSON in ``detail``).
Kinds are abstract (``time``, ``int``, ``float``, ``text``, ``reasons``, ``inputs``): the
exporter maps them to its file format's types, so no record key is spelled outside this
package.
"""

from __future__ import annotations

import json
from typing import Any

from hydra.application.records._codec import AuditRecord, reason_json
from hydra.application.records.decision import DecisionRecord
from hydra.domain import BreakerInputs
from hydra.domain.breakers import INPUT_NAMES

__all__ = [
    "DECISION_COLUMNS",
    "EVENT_COLUMNS",
    "INPUT_NAMES",
    "REASON_COLUMNS",
    "decision_row",
    "event_row",
]

REASON_COLUMNS = (
    ("code", "text"),
    ("name", "text"),
    ("message", "text"),
    ("value", "float"),
    ("limit", "float"),
)
"""The fields of each entry of a decision's ``reasons`` list."""

DECISION_COLUMNS = (
    ("time", "time"),
    ("jseq", "int"),
    ("kind", "text"),
    ("seq", "int"),
    ("outcome", "text"),
    ("symbol", "text"),
    ("con_id", "int"),
    ("sec_type", "text"),
    ("side", "text"),
    ("quantity", "float"),
    ("order_type", "text"),
    ("limit_price", "float"),
    ("order_id", "int"),
    ("reasons", "reasons"),
    ("trading_state", "text"),
    ("inputs", "inputs"),
    ("caller_inputs", "inputs"),
    ("latency_s", "float"),
    ("exemption", "text"),
    ("config_version", "text"),
    ("account", "text"),
)

_EVENT_FIELDS = ("who", "why", "state", "previous", "breaker", "reason", "symbol", "order_id")

EVENT_COLUMNS = (
    ("time", "time"),
    ("jseq", "int"),
    ("kind", "text"),
    ("event", "text"),
    ("level", "text"),
    *((name, "int" if name == "order_id" else "text") for name in _EVENT_FIELDS),
    ("config_version", "text"),
    ("account", "text"),
    ("detail", "text"),
)


def _inputs(inputs: BreakerInputs | None) -> dict[str, float] | None:
    if inputs is None:
        return None
    return {name: float(getattr(inputs, name)) for name in INPUT_NAMES}


def _value(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(getattr(value, "value", value))


def decision_row(
    record: DecisionRecord, jseq: int | None, version: str, account: str | None
) -> dict[str, Any]:
    """One decision as a row of ``DECISION_COLUMNS`` (its journal sequence, config, account)."""
    instrument = record.instrument
    return {
        "time": record.time,
        "jseq": jseq,
        "kind": record.kind,
        "seq": record.seq,
        "outcome": record.outcome,
        "symbol": record.symbol,
        "con_id": record.con_id or None,
        "sec_type": instrument.sec_type.value if instrument is not None else None,
        "side": _value(record.side),
        "quantity": record.quantity,
        "order_type": _value(record.order_type),
        "limit_price": record.limit_price,
        "order_id": record.order_id,
        "reasons": [reason_json(reason) for reason in record.reasons],
        "trading_state": record.trading_state.value,
        "inputs": _inputs(record.inputs),
        "caller_inputs": _inputs(record.caller_inputs),
        "latency_s": record.latency_s,
        "exemption": record.exemption or None,
        "config_version": version or None,
        "account": account,
    }


def event_row(
    record: AuditRecord, jseq: int | None, version: str, account: str | None
) -> dict[str, Any]:
    """Any other record as a row of ``EVENT_COLUMNS``; the whole record is in ``detail``."""
    row: dict[str, Any] = {
        "time": record.time,
        "jseq": jseq,
        "kind": record.kind,
        "event": record.event,
        "level": record.level,
        "config_version": version or None,
        "account": account,
        "detail": json.dumps(record.as_json(), default=str),
    }
    for name in _EVENT_FIELDS:
        value = getattr(record, name, None)
        row[name] = value if name == "order_id" and isinstance(value, int) else _value(value)
    return row
