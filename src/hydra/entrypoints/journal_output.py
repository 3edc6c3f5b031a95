r"""What ``hydra journal`` prints: a streamed table or JSON, every character printable.

The table's column widths are set by its first rows, then kept, so a journal of any
length streams in constant memory; states and outcomes are coloured as in every table
(``render.paint``). ``printable`` (``render``'s, as every table uses) escapes what a
terminal would act on: a control character in a record (a ``who`` or ``why`` with an
escape sequence, a carriage return, a bidi override) is printed as its ``\x1b`` /
``\u202e`` escape, never as itself. A decision's row names its exact contract
(``ESZ6``, not ``ES``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from hydra.application.records import AuditRecord, DecisionListing
from hydra.entrypoints.render import (
    RECORD_COLUMNS,
    cell_text,
    colouring,
    paint,
    printable,
    record_row,
)

__all__ = ["JsonOut", "TableOut", "printable"]

_BLOCK = 200  # rows that set the table's column widths before it starts streaming


class TableOut:
    """The table, streamed: column widths are set by the first rows, then kept."""

    def __init__(self, *, follow: bool) -> None:
        self._follow = follow
        self._block: list[list[str]] = []
        self._widths: list[int] | None = None
        self._plain = ""  # the row's format while nothing is coloured

    def add(self, record: AuditRecord | DecisionListing) -> None:
        """Print one record's row (or keep it, while the first rows set the widths)."""
        row = [cell_text(value) for value in record_row(record)]
        if self._widths is not None:
            print(self._line(row), flush=self._follow)
            return
        self._block.append(row)
        if self._follow or len(self._block) >= _BLOCK:
            self._start()

    def _start(self) -> None:
        rows = self._block
        self._widths = [
            max(len(header), *(len(row[i]) for row in rows))
            for i, header in enumerate(RECORD_COLUMNS)
        ]
        if not colouring():  # perf: journal_since_made_s (one format call a row)
            self._plain = "  ".join(f"{{:<{width}}}" for width in self._widths)
        print(self._line(list(RECORD_COLUMNS), header=True))
        print(self._line(["-" * width for width in self._widths], header=True))
        for row in rows:
            print(self._line(row))
        sys.stdout.flush()
        self._block = []

    def _line(self, cells: list[str], *, header: bool = False) -> str:
        assert self._widths is not None  # noqa: S101  (set by _start)
        if self._plain:
            return self._plain.format(*cells).rstrip()
        pad = str.ljust if header else paint  # outcomes and states coloured, as in every table
        return "  ".join(pad(c, w) for c, w in zip(cells, self._widths, strict=True)).rstrip()

    def close(self, path: str) -> None:
        """Print what is kept, or say that nothing in ``path`` matched."""
        if self._widths is None:
            if self._block:
                self._start()
            else:
                print(printable(f"(no records in {path} match)"))


class JsonOut:
    """A JSON array, streamed: ``json.dumps(records, indent=2)``, byte for byte.

    With ``follow``, JSON lines instead (an array that never ends could not be parsed).
    """

    def __init__(self, *, follow: bool) -> None:
        self._follow = follow
        self._count = 0

    def add(self, data: dict[str, Any]) -> None:
        """Print one record as JSON."""
        if self._follow:
            print(json.dumps(data), flush=True)
            return
        text = json.dumps(data, indent=2).replace("\n", "\n  ")
        print("[\n  " + text if not self._count else ",\n  " + text, end="")
        self._count += 1

    def close(self) -> None:
        """Close the array."""
        if not self._follow:
            print("\n]" if self._count else "[]")
