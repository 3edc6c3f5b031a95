"""``slot_init`` and ``tuple_maker``: the value objects built on every order behave as before."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hydra.application.exposure import Exposure
from hydra.application.records import DecisionRecord, Valuation
from hydra.domain import (
    AccountSnapshot,
    BreakerInputs,
    Fill,
    Instrument,
    InvalidInputError,
    Position,
    Reason,
    Side,
)
from hydra.domain._slots import slot_init, tuple_maker

WHEN = datetime(2026, 1, 5, 15, tzinfo=UTC)
EXAMPLES = [
    BreakerInputs(-0.01, 100_000.0, 99_000.0, 2_000.0, 0.0),
    Fill(7, "AAPL", Side.BUY, 10.0, 200.0, WHEN, "SIM.00000007", 1.0),
    Fill(8, "AAPL", Side.SELL, 5.0, 201.0, WHEN),
    AccountSnapshot("DU123", 1e6, 9e5, 10.0, -5.0, "USD", 2e4, 1e6),
    AccountSnapshot("DU123", 1e6, 9e5),
    Position(Instrument("AAPL", con_id=265598), -3.0, 190.0),
    Position(Instrument("AAPL", con_id=265598), 3.0),
    Reason("limit.price_collar", "price_collar", "limit 150 is 25.00% away", 0.25, 0.05),
    Reason("state.halted", "halted", "trading is HALTED"),
]


@dataclass(frozen=True, slots=True)
class _Twin:
    """A plain frozen, slotted dataclass: the behaviour slot_init must keep."""

    a: float
    b: str = "b"

    def __post_init__(self) -> None:
        if self.a < 0:
            raise InvalidInputError("a", "must be >= 0", self.a)


@slot_init
@dataclass(frozen=True, slots=True)
class _Fast:
    """The same fields and validation, with slot_init."""

    a: float
    b: str = "b"

    def __post_init__(self) -> None:
        if self.a < 0:
            raise InvalidInputError("a", "must be >= 0", self.a)


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_the_fast_init_keeps_fields_signature_replace_pickle_and_frozenness(value: object) -> None:
    """Each value object is built, copied, pickled and frozen exactly as a dataclass is."""
    cls = type(value)
    names = [f.name for f in dataclasses.fields(value)]  # type: ignore[arg-type]
    assert list(inspect.signature(cls).parameters) == names
    values = [getattr(value, name) for name in names]
    assert cls(*values) == value
    assert cls(**dict(zip(names, values, strict=True))) == value
    assert dataclasses.replace(value) == value  # type: ignore[type-var]
    assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301  (our own bytes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, names[0], values[0])


def test_the_fast_init_still_validates() -> None:
    """The classes' own validation runs: a bad field is refused, naming it."""
    with pytest.raises(InvalidInputError, match="peak_equity"):
        BreakerInputs(0.0, -1.0, 1.0, 0.0, 0.0)
    with pytest.raises(InvalidInputError, match="quantity"):
        Fill(1, "AAPL", Side.BUY, 0.0, 200.0, WHEN)
    with pytest.raises(InvalidInputError, match="net_liquidation"):
        AccountSnapshot("DU123", -1.0, 0.0)
    with pytest.raises(InvalidInputError, match="avg_cost"):
        Position(Instrument("AAPL"), 1.0, -2.0)
    assert Position(Instrument("AAPL"), 2, 3).quantity == 2.0  # normalised, as before


@given(a=st.floats(allow_nan=False), b=st.text(max_size=5), default=st.booleans())
def test_slot_init_behaves_as_the_dataclass_it_replaces(a: float, b: str, default: bool) -> None:
    """For any arguments, the fast class stores, defaults and refuses exactly as its twin."""
    args: tuple[object, ...] = (a,) if default else (a, b)
    try:
        twin = _Twin(*args)  # type: ignore[arg-type]
    except InvalidInputError as exc:
        with pytest.raises(InvalidInputError, match=str(exc.field)):
            _Fast(*args)  # type: ignore[arg-type]
        return
    fast = _Fast(*args)  # type: ignore[arg-type]
    assert (fast.a, fast.b) == (twin.a, twin.b)
    assert repr(fast).replace("_Fast", "_Twin") == repr(twin)


def test_slot_init_refuses_what_it_cannot_reproduce() -> None:
    """Only frozen, slotted dataclasses with plain fields: anything else is a TypeError."""

    class Plain:
        pass

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = field(default_factory=list)

    @dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        a: int

    for cls in (Plain, NoSlots, NotFrozen, Factory, KeywordOnly):
        with pytest.raises(TypeError, match="slot_init"):
            slot_init(cls)


@pytest.mark.parametrize("cls", [DecisionRecord, Valuation, Exposure])
def test_tuple_maker_builds_what_make_builds(cls: type[tuple[object, ...]]) -> None:
    """``tuple_maker(cls)(fields)`` is ``cls._make(fields)``: same type, fields and equality."""
    fields = tuple(f"field {i}" for i in range(len(cls._fields)))  # type: ignore[attr-defined]
    made = tuple_maker(cls)(fields)
    expected = cls._make(fields)  # type: ignore[attr-defined]
    assert type(made) is cls
    assert made == expected
    assert made._asdict() == expected._asdict()  # type: ignore[attr-defined]
