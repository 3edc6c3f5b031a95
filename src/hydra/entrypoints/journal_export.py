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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.application.records import (
    DecisionRecord,
    UnknownRecord,
    config_version_of,
    parse_record,
)
from hydra.application.records.columns import (
    DECISION_COLUMNS,
    EVENT_COLUMNS,
    INPUT_NAMES,
    REASON_COLUMNS,
    decision_row,
    event_row,
)
from hydra.domain import InvalidInputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ExportReport", "export_parquet"]

_BATCH = 50_000


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
    kinds = {
        "time": pa.timestamp("us", tz="UTC"),
        "int": pa.int64(),
        "float": pa.float64(),
        "text": pa.string(),
        "inputs": pa.struct([(name, pa.float64()) for name in INPUT_NAMES]),
    }
    kinds["reasons"] = pa.list_(pa.struct([(n, kinds[k]) for n, k in REASON_COLUMNS]))
    return (
        pa.schema([(name, kinds[kind]) for name, kind in DECISION_COLUMNS]),
        pa.schema([(name, kinds[kind]) for name, kind in EVENT_COLUMNS]),
    )


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
                decisions.add(decision_row(record, jseq, version, account()))
            else:
                events.add(event_row(record, jseq, version, account()))
    finally:
        decisions.close()
        events.close()
    return ExportReport(
        directory / "decisions.parquet",
        directory / "events.parquet",
        decisions.count,
        events.count,
    )
