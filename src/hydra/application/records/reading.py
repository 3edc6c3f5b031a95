"""Reading journaled records fast: the few fields a restart or a listing needs, alone.

A restart needs only a decision's peak equity, a listing a few names and numbers, a time
window each record's time; building the whole typed decision (``parse_record``) for each
would cost ~15 us a record. These read those fields straight from the journal form, in
the records package, which is the one place record keys are spelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from hydra.application.records._codec import instrument_from, time_from
from hydra.domain import InvalidInputError

__all__ = [
    "DecisionListing",
    "config_version_of",
    "decision_listing",
    "decision_peak",
    "is_decision",
    "record_time",
]

_DECISION_KINDS = frozenset(("decision", "flatten"))


def is_decision(data: Mapping[str, Any]) -> bool:
    """True for a decision's journal form (kinds ``decision`` and ``flatten``)."""
    return data.get("kind") in _DECISION_KINDS


def decision_peak(data: Mapping[str, Any]) -> float | None:
    """The peak equity a journaled decision saw (None: it recorded no inputs).

    A decision's only part in a replay is that number, so a restart reads it alone instead
    of the whole decision (``parse_record``: ~15 us a decision; this: ~0.3 us).

    Raises:
        InvalidInputError: the decision's inputs are malformed (field "record").
    """
    inputs = data.get("inputs")  # perf: journal_restart_gate_s
    if inputs is None:
        return None
    try:
        peak = inputs["peak_equity"]
        if isinstance(peak, bool) or not isinstance(peak, int | float):
            raise TypeError(f"peak_equity is {peak!r}")
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(
            "record", f"malformed {data.get('kind')!r} record: inputs: {exc}"
        ) from None
    return float(peak)


class DecisionListing(NamedTuple):
    """What a listing shows of a journaled decision, read without building the decision.

    ``hydra journal`` prints thousands of rows; the typed decision (``parse_record``)
    builds and validates the instrument, the order and both sets of inputs (~15 us), of
    which a row shows a few names and numbers (this: ~3 us). ``label`` names the exact
    contract (``Instrument.label``: ``ESZ6`` where ``symbol`` is ``ES``).
    """

    time: datetime
    kind: str
    seq: int
    symbol: str
    label: str
    side: str | None
    quantity: float | None
    outcome: str
    triggered: tuple[str, ...]
    exemption: str
    order_id: int | None


def decision_listing(data: Mapping[str, Any]) -> DecisionListing | None:
    """A journaled decision as a listing shows it (None: not a decision, or unreadable).

    Decisions written before the typed records (flat fields) give None too: the caller
    then builds the typed record.
    """
    if not is_decision(data):
        return None
    try:  # perf: journal_since_made_s
        instrument = data.get("instrument")
        order = data.get("order")
        # A dict (what the journal's JSON gives) is checked before the Mapping ABC.
        if type(instrument) is dict or isinstance(instrument, Mapping):
            symbol, label = instrument["symbol"], _label(instrument)
        elif "contract" in data:
            symbol = data["contract"]
            label = str(symbol)
        else:
            return None  # the flat form of older journals
        side: str | None = None
        quantity = None
        if type(order) is dict or isinstance(order, Mapping):
            side, quantity = str(order["side"]), order.get("quantity")
        seq = data.get("seq") or 0
        order_id = data.get("order_id")
        return DecisionListing(
            time_from(data["time"]),
            str(data["kind"]),
            seq if isinstance(seq, int) else 0,
            str(symbol),
            label,
            side,
            float(quantity) if isinstance(quantity, int | float) else None,
            "allowed" if data.get("outcome") == "allowed" else "blocked",
            tuple(str(reason["name"]) for reason in data.get("reasons") or ()),
            str(data.get("exemption") or ""),
            order_id if isinstance(order_id, int) else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _label(instrument: Mapping[str, Any]) -> str:
    """The contract's ``Instrument.label`` (``ESZ6``), from its journal form."""
    if "sec_type" not in instrument and "expiry" not in instrument:
        return str(instrument["symbol"])  # perf: journal_since_made_s (a stock's is its symbol)
    built = instrument_from(instrument)
    return built.label if built is not None else str(instrument["symbol"])


def record_time(data: Mapping[str, Any]) -> datetime | None:
    """A journaled record's time, read alone (None: it has no readable time).

    A filtered read (``hydra journal --since``) tests the time of every record it streams
    and builds the typed record only for those inside the window.
    """
    try:
        return time_from(data["time"])  # perf: journal_since_made_s
    except (KeyError, TypeError, ValueError):
        return None


def config_version_of(data: Mapping[str, Any]) -> str:
    """The configuration version a journaled record names ("" when none: decisions)."""
    version = data.get("config_version")
    return version if isinstance(version, str) else ""
