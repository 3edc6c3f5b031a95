r"""``hydra journal``: read the journal (table, JSON, ``--follow``), verify, archive, export.

``hydra journal [PATH]`` streams the records (the configured journal by default), skipping
whole segments that ``--since``/``--until`` exclude by their names; ``--follow`` then waits
for new records. ``verify`` checks the whole chain across every segment, streaming;
``archive --before DATE`` compresses closed segments; ``export --format parquet DIR`` writes
decisions and events as typed columns. Every command reads typed records
(``parse_record``) and exits 1 when the chain it read is damaged (0 when whole, 2 on bad
input). What reaches the terminal is escaped: a control character in a record (a ``who``
or ``why`` with an escape sequence, a carriage return, a bidi override) is printed as its
``\\x1b`` / ``\\u202e`` escape, never as itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.adapters.journal import JournalScan, list_segments
from hydra.adapters.journal.archive import CODEC_SUFFIXES, archive_segments
from hydra.adapters.journal.scan import parse_line
from hydra.adapters.journal.segments import first_line, select_segments
from hydra.adapters.journal.verify import default_workers, verify_journal
from hydra.application.records import (
    AuditRecord,
    UnknownRecord,
    decision_listing,
    is_checkpoint,
    parse_record,
    record_time,
)
from hydra.domain import InvalidInputError
from hydra.entrypoints.journal_export import export_parquet
from hydra.entrypoints.journal_output import JsonOut, TableOut, printable
from hydra.settings import load_settings

__all__ = ["TimeWindow", "add_journal_commands", "run_journal_command"]


def _say(text: str) -> None:
    print(printable(text), file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- parser
class _AnyWord(dict[str, Any]):
    """argparse's choices for the first word: a verb, or any other word (a path)."""

    def __contains__(self, key: object) -> bool:
        return True


class _VerbOrPath(argparse._SubParsersAction):  # type: ignore[type-arg]
    """``hydra journal verify|archive|export ...``, or ``hydra journal PATH ...`` to read."""

    read_parser: argparse.ArgumentParser

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = _AnyWord()

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """A verb's parser, listed in ``choices`` too (completion scripts read it there)."""
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        self.choices[name] = parser
        return parser

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        arguments = list(values or ())
        if arguments and arguments[0] in self._name_parser_map:
            super().__call__(parser, namespace, values, option_string)
            return
        read, unknown = self.read_parser.parse_known_args(arguments, None)
        for key, value in vars(read).items():
            setattr(namespace, key, value)
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")


def add_journal_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``hydra journal`` and its verbs to the ``hydra`` command's subparsers."""
    reading = argparse.ArgumentParser(add_help=False)
    _window_options(reading)
    reading.add_argument(
        "--outcome", choices=["allowed", "blocked", "error"], default=None, help="filter"
    )
    reading.add_argument(
        "--follow", action="store_true", help="keep printing new records as they are written"
    )
    reading.add_argument("--json", action="store_true", help="machine-readable output")
    reading.add_argument("--config", default=None, help="TOML config file (or $HYDRA_CONFIG)")
    journal = commands.add_parser(
        "journal",
        help="read the audit journal (table, --json, --follow); verify | archive | export",
        parents=[reading],
        description="Read the audit journal, or: verify [PATH] | archive --before DATE | "
        "export --format parquet DIR. Exit 1 when the chain read is damaged.",
    )
    journal.set_defaults(path=None, journal_verb=None)
    verbs = journal.add_subparsers(
        dest="journal_verb", action=_VerbOrPath, metavar="{PATH,verify,archive,export}"
    )
    read = argparse.ArgumentParser(prog="hydra journal", parents=[reading])
    read.add_argument("path", help="the journal (default: the configured one)")
    verbs.read_parser = read

    quiet = argparse.SUPPRESS  # options the journal command already parsed stay as they were
    verify = verbs.add_parser("verify", help="check the whole chain, every segment, streaming")
    verify.add_argument("path", nargs="?", default=None, help="the journal (default: config)")
    verify.add_argument("--json", action="store_true", default=quiet, help="JSON output")
    verify.add_argument(
        "--jobs",
        type=int,
        default=default_workers(),
        help=f"processes checking segments side by side (default {default_workers()})",
    )
    verify.add_argument("--config", default=quiet, help="TOML config file (or $HYDRA_CONFIG)")

    archive = verbs.add_parser("archive", help="compress closed segments (kept verifiable)")
    archive.add_argument("path", nargs="?", default=None, help="the journal (default: config)")
    archive.add_argument(
        "--before", required=True, help="segments closed at or before this ISO date/time"
    )
    archive.add_argument("--codec", choices=sorted(CODEC_SUFFIXES), default="gzip")
    archive.add_argument("--config", default=quiet, help="TOML config file (or $HYDRA_CONFIG)")

    export = verbs.add_parser("export", help="decisions and events as typed Parquet columns")
    export.add_argument("--format", choices=["parquet"], required=True, help="parquet")
    export.add_argument("out", help="directory for decisions.parquet and events.parquet")
    export.add_argument("--journal", default=None, help="the journal (default: config)")
    _window_options(export, quiet)
    export.add_argument("--config", default=quiet, help="TOML config file (or $HYDRA_CONFIG)")


def _window_options(parser: argparse.ArgumentParser, default: Any = None) -> None:
    parser.add_argument("--since", default=default, help="only records at/after this ISO time")
    parser.add_argument("--until", default=default, help="only records at/before this ISO time")


async def run_journal_command(args: argparse.Namespace) -> int:
    """Run ``hydra journal`` (or its verb); the exit status (1: the chain read is damaged)."""
    verb = args.journal_verb
    if verb == "verify":
        return _verify(args)
    if verb == "archive":
        return _archive(args)
    if verb == "export":
        return _export(args)
    return _read(args)


# ---------------------------------------------------------------------------- shared
def _journal(given: str | None, config: str | None, field: str = "path") -> str:
    """The journal to read: ``given``, else the configured one; it must exist."""
    if given:
        return _existing(given, field)
    return _existing(load_settings(config).get("journal", "path"), "journal.path")


def _existing(path: str, field: str) -> str:
    if not path:
        raise InvalidInputError(field, "no journal configured; pass a path", path)
    target = Path(path)
    if target.is_dir():
        raise InvalidInputError(field, "is a directory, not a journal file", path)
    if not target.exists() and not list_segments(target):
        raise InvalidInputError(field, "no such journal file", path)
    return path


def _instant(text: str | None, field: str) -> datetime | None:
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(field, "must be an ISO date/time", text) from None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Records timed within [since, until] (either end open; both ends included)."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, args: argparse.Namespace) -> TimeWindow:
        """The window ``--since``/``--until`` name (ISO; naive means UTC)."""
        return cls(
            _instant(getattr(args, "since", None), "--since"),
            _instant(getattr(args, "until", None), "--until"),
        )

    def holds(self, data: dict[str, Any]) -> bool:
        """True for a journaled record timed inside the window (an untimed one: only if open)."""
        if self.since is None and self.until is None:
            return True
        stamp = record_time(data)
        if stamp is None:
            return False
        return (self.since is None or stamp >= self.since) and (
            self.until is None or stamp <= self.until
        )


def _typed(data: dict[str, Any]) -> AuditRecord:
    try:
        return parse_record(data)
    except InvalidInputError:
        return UnknownRecord(data)  # shown as it is, never dropped


def _problems(scan: JournalScan, path: str) -> None:
    """Tell stderr what may have been lost (escaped: a path or reason can carry anything)."""
    if scan.torn_tail is not None:
        _say(f"hydra journal: {path}: last record torn (crash while writing); ignored")
    if scan.corrupt:
        places = ", ".join(f"{segment} line {line}" for segment, line in scan.corrupt)
        _say(f"hydra journal: {path}: unreadable lines: {places}")
    if scan.damage is not None:
        _say(f"hydra journal: {path}: chain damaged: {scan.damage}")


# ---------------------------------------------------------------------------- read
def _read(args: argparse.Namespace) -> int:
    path = _journal(args.path, args.config)
    window = TimeWindow.of(args)
    if args.follow and window.until is not None:
        raise InvalidInputError("--until", "cannot be combined with --follow", args.until)
    segments = select_segments(list_segments(Path(path)), since=window.since, until=window.until)
    scan = JournalScan(path, segments=segments, follow=(lambda: False) if args.follow else None)
    table = None if args.json else TableOut(follow=args.follow)
    listing = JsonOut(follow=args.follow) if args.json else None
    told = None
    for data in scan:
        if args.follow and scan.chain_damage is not told:
            told = scan.chain_damage
            _say(f"hydra journal: {path}: chain damaged: {told}")
        if not window.holds(data):
            continue
        record = decision_listing(data) or _typed(data)
        if args.outcome is not None and getattr(record, "outcome", None) != args.outcome:
            continue
        if listing is not None:
            listing.add(data)
        elif table is not None:
            table.add(record)
    if listing is not None:
        listing.close()
    elif table is not None:
        table.close(path)
    _problems(scan, path)
    return 1 if scan.damaged else 0


# ---------------------------------------------------------------------------- verify
def _verify(args: argparse.Namespace) -> int:
    path = _journal(args.path, getattr(args, "config", None))
    if args.jobs < 1:
        raise InvalidInputError("--jobs", "must be at least 1", args.jobs)
    started = time.perf_counter()
    scan = verify_journal(path, workers=args.jobs)
    count = scan.records
    seconds = time.perf_counter() - started
    origin = scan.origin
    note = None
    if origin is not None:
        line = first_line(origin)
        record = parse_line(line) if line is not None else None
        kept = "segments before it were archived elsewhere or removed"
        if record is not None and is_checkpoint(record):
            note = (
                f"verified from the oldest checkpoint kept: {origin.name} (jseq "
                f"{scan.first_jseq}); {kept}"
            )
        else:
            note = (
                f"verified from the oldest segment kept: {origin.name} (jseq "
                f"{scan.first_jseq}), which does not open with a checkpoint; {kept}"
            )
    report = {
        "path": path,
        "intact": not scan.damaged,
        "records": count,
        "segments": len(scan.segments),
        "first_jseq": scan.first_jseq,
        "last_jseq": scan.last_jseq,
        "from": note,
        "damage": str(scan.damage) if scan.damage is not None else None,
        "torn_tail": scan.torn_tail is not None,
        "unreadable": [f"{segment} line {line}" for segment, line in scan.corrupt],
        "seconds": round(seconds, 3),
    }
    if getattr(args, "json", False):
        print(json.dumps(report, indent=2))
    else:
        if note is not None:
            print(printable(note))
        rate = count / seconds if seconds > 0 else 0.0
        verdict = "chain intact, anchor agrees" if not scan.damaged else "DAMAGED"
        print(
            printable(
                f"{path}: {count:,} records in {len(scan.segments)} segment(s), jseq "
                f"{scan.first_jseq}..{scan.last_jseq}: {verdict} ({seconds:.2f} s, "
                f"{rate:,.0f} records/s)"
            )
        )
    _problems(scan, path)
    return 1 if scan.damaged else 0


# ---------------------------------------------------------------------------- archive
def _archive(args: argparse.Namespace) -> int:
    path = _journal(args.path, getattr(args, "config", None))
    before = _instant(args.before, "--before")
    assert before is not None  # noqa: S101  (--before is required)
    done = archive_segments(Path(path), before, args.codec)
    size = sum(item.size for item in done)
    compressed = sum(item.compressed for item in done)
    for item in done:
        print(printable(f"  {item.segment} -> {item.path.name}"))
    print(
        printable(
            f"{path}: archived {len(done)} segment(s) closed by {before.isoformat()} "
            f"({args.codec}; {size:,} -> {compressed:,} bytes)"
        )
    )
    return 0


# ---------------------------------------------------------------------------- export
def _export(args: argparse.Namespace) -> int:
    path = _journal(args.journal, getattr(args, "config", None), "--journal")
    window = TimeWindow.of(args)
    segments = select_segments(list_segments(Path(path)), since=window.since, until=window.until)
    scan = JournalScan(path, segments=segments)
    report = export_parquet(
        scan.entries(), Path(args.out), account=lambda: scan.account, keep=window.holds
    )
    print(
        printable(
            f"{path}: {report.decision_rows:,} decisions -> {report.decisions}; "
            f"{report.event_rows:,} events -> {report.events}"
        )
    )
    _problems(scan, path)
    return 1 if scan.damaged else 0
