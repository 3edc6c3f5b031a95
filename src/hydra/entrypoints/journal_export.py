"""``hydra journal export --format parquet DIR``: the journal as typed columns, for analysis.

Two Parquet files: ``decisions.parquet`` (one row per decision: time, outcome, instrument,
order, reasons as a list of structs, the breaker inputs as structs, latency ...) and
``events.parquet`` (every other record: state changes, trips, resets, kills, sessions,
checkpoints, alerts ...; the common fields as columns, the whole record as JSON in
``detail``). Rows are read from the typed records (``parse_record``) and written a row
group at a time, so memory stays flat whatever the journal's length. pyarrow is the
optional ``analysis`` extra (``pip install 'hydra-execution[analysis]'``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.application.records import (
    AuditRecord,
    DecisionRecord,
    UnknownRecord,
    config_version_of,
    parse_record,
)
from hydra.domain import BreakerInputs, InvalidInputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ExportReport", "export_parquet"]

_BATCH = 50_000
_INPUTS = ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss")
_EVENT_FIELDS = ("who", "why", "state", "previous", "breaker", "reason", "symbol", "order_id")


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote: the two files and their row counts."""

    decisions: Path
    events: Path
    decision_rows: int
    event_rows: int


def _pyarrow() -> Any:
    try:
        import pyarrow  # noqa: PLC0415  (optional: the analysis extra)
        import pyarrow.parquet  # noqa: PLC0415
    except ImportError:
        raise InvalidInputError(
            "--format",
            "parquet needs pyarrow: pip install 'hydra-execution[analysis]'",
            "parquet",
        ) from None
    return pyarrow


def _schemas(pa: Any) -> tuple[pa.Schema, pa.Schema]:
    inputs = pa.struct([(name, pa.float64()) for name in _INPUTS])
    reason = pa.struct(
        [
            ("code", pa.string()),
            ("name", pa.string()),
            ("message", pa.string()),
            ("value", pa.float64()),
            ("limit", pa.float64()),
        ]
    )
    stamp = pa.timestamp("us", tz="UTC")
    decisions = pa.schema(
        [
            ("time", stamp),
            ("jseq", pa.int64()),
            ("kind", pa.string()),
            ("seq", pa.int64()),
            ("outcome", pa.string()),
            ("symbol", pa.string()),
            ("con_id", pa.int64()),
            ("sec_type", pa.string()),
            ("side", pa.string()),
            ("quantity", pa.float64()),
            ("order_type", pa.string()),
            ("limit_price", pa.float64()),
            ("order_id", pa.int64()),
            ("reasons", pa.list_(reason)),
            ("trading_state", pa.string()),
            ("inputs", inputs),
            ("caller_inputs", inputs),
            ("latency_s", pa.float64()),
            ("exemption", pa.string()),
            ("config_version", pa.string()),
            ("account", pa.string()),
        ]
    )
    events = pa.schema(
        [
            ("time", stamp),
            ("jseq", pa.int64()),
            ("kind", pa.string()),
            ("event", pa.string()),
            ("level", pa.string()),
            ("who", pa.string()),
            ("why", pa.string()),
            ("state", pa.string()),
            ("previous", pa.string()),
            ("breaker", pa.string()),
            ("reason", pa.string()),
            ("symbol", pa.string()),
            ("order_id", pa.int64()),
            ("config_version", pa.string()),
            ("account", pa.string()),
            ("detail", pa.string()),
        ]
    )
    return decisions, events


def _inputs(inputs: BreakerInputs | None) -> dict[str, float] | None:
    if inputs is None:
        return None
    return {name: float(getattr(inputs, name)) for name in _INPUTS}


def _decision_row(
    record: DecisionRecord, jseq: int | None, version: str, account: str | None
) -> dict[str, Any]:
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
        "side": record.side.value if record.side is not None else None,
        "quantity": record.quantity,
        "order_type": record.order_type.value if record.order_type is not None else None,
        "limit_price": record.limit_price,
        "order_id": record.order_id,
        "reasons": [
            {
                "code": reason.code,
                "name": reason.name,
                "message": reason.message,
                "value": reason.value,
                "limit": reason.limit,
            }
            for reason in record.reasons
        ],
        "trading_state": record.trading_state.value,
        "inputs": _inputs(record.inputs),
        "caller_inputs": _inputs(record.caller_inputs),
        "latency_s": record.latency_s,
        "exemption": record.exemption or None,
        "config_version": version or None,
        "account": account,
    }


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(getattr(value, "value", value))


def _event_row(
    record: AuditRecord, jseq: int | None, version: str, account: str | None
) -> dict[str, Any]:
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
        row[name] = value if name == "order_id" and isinstance(value, int) else _text(value)
    return row


class _Table:
    """One Parquet file written a row group at a time."""

    def __init__(self, pa: Any, path: Path, schema: pa.Schema) -> None:
        self._pa = pa
        self._schema = schema
        self._writer = pa.parquet.ParquetWriter(path, schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self._schema))
            self.count += len(self._rows)
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def export_parquet(
    entries: Iterable[tuple[int | None, dict[str, Any]]],
    directory: Path,
    *,
    account: Callable[[], str | None],
    keep: Callable[[dict[str, Any]], bool] = lambda _data: True,
) -> ExportReport:
    """Write ``decisions.parquet`` and ``events.parquet`` into ``directory`` (created).

    ``entries`` are the journal's (jseq, record) pairs, streamed; ``keep`` selects them
    (e.g. a time window); ``account`` gives the journal's account once it is known.

    Raises:
        InvalidInputError: pyarrow is not installed, or ``directory`` is a file.
    """
    pa = _pyarrow()
    if directory.exists() and not directory.is_dir():
        raise InvalidInputError("PATH", "is a file; export writes a directory", str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    decision_schema, event_schema = _schemas(pa)
    decisions = _Table(pa, directory / "decisions.parquet", decision_schema)
    events = _Table(pa, directory / "events.parquet", event_schema)
    version = ""
    try:
        for jseq, data in entries:
            version = config_version_of(data) or version
            if not keep(data):
                continue
            try:
                record = parse_record(data)
            except InvalidInputError:
                record = UnknownRecord(data)  # kept whole, in events
            if isinstance(record, DecisionRecord):
                decisions.add(_decision_row(record, jseq, version, account()))
            else:
                events.add(_event_row(record, jseq, version, account()))
    finally:
        decisions.close()
        events.close()
    return ExportReport(
        directory / "decisions.parquet",
        directory / "events.parquet",
        decisions.count,
        events.count,
    )
