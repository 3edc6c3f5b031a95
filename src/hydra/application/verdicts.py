"""The gate's verdict pieces: the reasons it blocks with, and the fields it records.

Pure helpers of ``risk_gate``: every reason code the gate itself produces (the breakers'
and limits' come from the domain), and the conversions of inputs and reasons into the
JSON-ready fields of an audit record.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from hydra.domain import (
    BreakerInputs,
    ConnectionState,
    ContractSpec,
    Instrument,
    InvalidInputError,
    OrderRequest,
    Reason,
)

__all__ = [
    "HALTED",
    "INPUT_NAMES",
    "JOURNAL_FAILED",
    "NO_INPUTS",
    "NO_PRICE",
    "REQUIRED",
    "caller_fields",
    "caller_inputs",
    "check_error",
    "disconnected",
    "economics",
    "inputs_fields",
    "invalid",
    "invalid_type",
    "iso_time",
    "json_number",
    "not_reducing",
    "reason_fields",
    "require_text",
]

INPUT_NAMES = ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss")
NO_INPUTS = (None, None, None, None, None)
JOURNAL_FAILED = Reason(
    "journal.write_failed",
    "journal_failed",
    "the decision could not be journaled before the hand-off; the order was not sent",
)


HALTED = Reason("state.halted", "halted", "trading is HALTED: no order passes")
NO_PRICE = Reason(
    "input.unavailable",
    "unavailable_position_value",
    "position_value: no price to value the position (no reference price and no limit price)",
)
REQUIRED = "required (pass all five breaker inputs, or let the gate derive them)"


def disconnected(connection: ConnectionState) -> Reason:
    """The block while the broker connection is not up."""
    return Reason(
        f"connection.{connection.value}",
        f"connection_{connection.value}",
        f"broker connection is {connection.value}; orders are blocked until connected",
    )


def economics(contract: Instrument, spec: ContractSpec | None) -> Reason | None:
    """Why the broker's economics refuse the instrument: unqualified or disagreeing."""
    if spec is None:
        return Reason(
            "instrument.unqualified",
            "unqualified",
            f"{contract.symbol} ({contract.sec_type.value}, {contract.currency}) is not a "
            "contract the broker has qualified; qualify it first "
            "(await gate.broker.qualify_contract(...))",
        )
    wrong = spec.mismatch(contract)
    if wrong:
        return Reason(
            "instrument.economics",
            "economics_mismatch",
            f"{contract.symbol} disagrees with the broker's contract: {wrong}; the broker's "
            "economics count (use the instrument qualify_contract returns)",
        )
    return None


def not_reducing(
    order: OrderRequest, target: Instrument, views: tuple[float, ...], committed: float
) -> Reason:
    """The block in REDUCING: the order does not shrink the position in every view."""
    shown = " / ".join(f"{view:g}" for view in views)
    return Reason(
        "state.reducing",
        "reducing",
        f"trading is REDUCING: {order.side.value} {order.quantity:g} {target.symbol} "
        f"does not shrink the position {shown} (with {committed:g} in flight)",
    )


def caller_inputs(caller: tuple[float | None, ...], *, required: bool) -> BreakerInputs | None:
    """The caller's five breaker inputs, validated (None when none were given)."""
    if not required and caller == NO_INPUTS:
        return None
    missing = [name for name, value in zip(INPUT_NAMES, caller, strict=True) if value is None]
    if not missing:
        return BreakerInputs(*caller)  # type: ignore[arg-type]
    if len(missing) == len(INPUT_NAMES) and not required:
        return None
    raise InvalidInputError(
        missing[0],
        REQUIRED if required else "pass all five breaker inputs or none",
    )


def caller_fields(caller: tuple[float | None, ...]) -> dict[str, float | str | None] | None:
    """The caller's inputs as journal fields (None when none were given)."""
    if caller == NO_INPUTS or not caller or all(value is None for value in caller):
        return None
    return {name: json_number(value) for name, value in zip(INPUT_NAMES, caller, strict=True)}


def json_number(value: object) -> float | str | None:
    """A number as JSON holds it; anything else as its repr."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None if value is None else repr(value)
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def inputs_fields(inputs: BreakerInputs | None) -> dict[str, float] | None:
    """Breaker inputs as journal fields."""
    if inputs is None:
        return None
    return {
        "daily_pnl": inputs.daily_pnl,
        "peak_equity": inputs.peak_equity,
        "current_equity": inputs.current_equity,
        "position_value": inputs.position_value,
        "trade_loss": inputs.trade_loss,
    }


def reason_fields(reason: Reason) -> dict[str, Any]:
    """A reason as journal fields."""
    return {
        "code": reason.code,
        "name": reason.name,
        "message": reason.message,
        "value": reason.value,
        "limit": reason.limit,
    }


def require_text(field_name: str, value: object) -> None:
    """Refuse anything but a non-empty string for ``field_name``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, "must be a non-empty string", value)


def invalid(exc: InvalidInputError) -> Reason:
    """The block for an input that failed validation."""
    return Reason("input.invalid", f"invalid_{exc.field}", str(exc))


def invalid_type(name: str, value: object, converter: str) -> Reason:
    """The block for a contract or order that is not HYDRA's type."""
    kind = "Instrument" if name == "contract" else "OrderRequest"
    return invalid(
        InvalidInputError(
            name,
            f"must be a hydra {kind} (the ib adapter converts ib_async objects with {converter})",
            type(value).__name__,
        )
    )


def check_error(check: str, exc: Exception) -> Reason:
    """The block for a check that raised (fail closed)."""
    return Reason("check.error", f"{check}_error", f"{check} check raised {exc!r}")


class _Stamps:
    """ISO 8601 times for records, the seconds part formatted once per second (UTC only).

    The cached second and its text are one tuple, replaced in one store: gates in other
    threads never see a second paired with another second's text.
    """

    __slots__ = ("_cached",)

    def __init__(self) -> None:
        self._cached: tuple[float, str] = (-1.0, "")

    def __call__(self, now: datetime) -> str:
        micro = now.microsecond
        if not micro or now.tzinfo is not UTC:
            return now.isoformat()
        second = now.timestamp() // 1
        cached = self._cached
        if cached[0] != second:
            cached = self._cached = (second, now.replace(microsecond=0).isoformat()[:-6])
        return "%s.%06d+00:00" % (cached[1], micro)  # noqa: UP031  (the fastest here)


iso_time = _Stamps()
"""``datetime.isoformat()``, cheaper on the decision path: same text, byte for byte."""
