"""The settings of valuation in the broker's units: limit tables, account limits, hours, margin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hydra.adapters.sim.calendar import ExchangeHours, SimCalendar
from hydra.application.records import DecisionRecord, Valuation, compact_valuation, parse_record
from hydra.domain import (
    AccountLimits,
    Instrument,
    InvalidInputError,
    LimitTable,
    MarginImpact,
    MarginModel,
    OrderLimits,
    Right,
    SecurityType,
    Session,
    TradingHours,
)

ESZ6 = Instrument(
    "ES", SecurityType.FUTURE, con_id=495512563, expiry="20261218", local_symbol="ESZ6"
)
CALL = Instrument("AAPL", SecurityType.OPTION, con_id=700000001, strike=200.0, right=Right.CALL)


def test_the_most_specific_override_wins() -> None:
    """Base, then the type's, then symbol, local symbol and contract id, each over the last."""
    table = LimitTable(
        OrderLimits(max_notional=100.0),
        by_type={"FUT": {"max_notional": 200.0, "max_quantity": 5.0}},
        by_contract={"ES": {"max_notional": 300.0}, 495512563: {"price_collar": 0.3}},
    )
    own = table.for_instrument(ESZ6)
    assert (own.max_notional, own.max_quantity, own.price_collar) == (300.0, 5.0, 0.3)
    assert table.for_instrument(Instrument("AAPL")).max_notional == 100.0
    assert table.for_instrument(CALL).price_collar == 0.20


def test_a_toml_contract_id_key_is_a_contract_id() -> None:
    """TOML keys are strings: "495512563" names the contract id, not a symbol."""
    table = LimitTable(by_contract={"495512563": {"max_quantity": 2.0}})
    assert table.for_instrument(ESZ6).max_quantity == 2.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"by_type": {"FUT": {"max_notionl": 1.0}}}, "limits.FUT.max_notionl"),
        ({"by_type": {"FUT": {"max_notional": -1.0}}}, "limits.FUT.max_notional"),
        ({"by_contract": {"ES": {"price_collar": 2.0}}}, "limits.ES.price_collar"),
        ({"by_type": {"FUT": "wide"}}, "limits.FUT"),
    ],
)
def test_bad_overrides_are_named(kwargs: dict[str, object], field: str) -> None:
    """An unknown field or a value OrderLimits refuses names the table and the field."""
    with pytest.raises(InvalidInputError) as raised:
        LimitTable(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_an_unknown_security_type_is_refused() -> None:
    """[limits.FUTURES] is not a security type: the error lists the real ones."""
    with pytest.raises(InvalidInputError, match="FUTURES"):
        LimitTable(by_type={"FUTURES": {"max_quantity": 1.0}})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"margin": "broker-ish"}, "limits.margin"),
        ({"margin_fraction": 1.5}, "limits.margin_fraction"),
        ({"margin_timeout": timedelta(0)}, "limits.margin_timeout"),
        ({"max_gross_exposure": 0.0}, "limits.max_gross_exposure"),
        ({"max_net_exposure": float("inf")}, "limits.max_net_exposure"),
        ({"unknown_shortable": "maybe"}, "limits.unknown_shortable"),
        ({"unknown_hours": "ignore"}, "limits.unknown_hours"),
        ({"max_rate_age": 60}, "limits.max_rate_age"),
    ],
)
def test_account_limits_name_a_bad_setting(kwargs: dict[str, object], field: str) -> None:
    """Every account-wide setting is validated and named."""
    with pytest.raises(InvalidInputError) as raised:
        AccountLimits(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_margin_model_rules() -> None:
    """Stocks 50 %, ES per contract, short calls on the underlying with a floor, puts on strike."""
    model = MarginModel()
    assert model.initial(SecurityType.STOCK, "AAPL", -100, 200.0, 1.0) == 10_000.0
    assert model.initial(SecurityType.FUTURE, "ES", 2, 5000.0, 50.0) == 40_000.0
    assert model.initial(SecurityType.FUTURE, "NQ", 1, 20_000.0, 20.0) == 32_000.0
    far = model.initial(
        SecurityType.OPTION,
        "AAPL",
        -1,
        1.0,
        100.0,
        strike=300.0,
        right=Right.CALL,
        underlying=200.0,
    )
    assert far == pytest.approx(100 * (1.0 + 20.0))  # the floor: 10 % of the underlying
    put = model.initial(
        SecurityType.OPTION, "AAPL", -1, 1.0, 100.0, strike=100.0, right=Right.PUT, underlying=200.0
    )
    assert put == pytest.approx(100 * (1.0 + 10.0))  # the floor: 10 % of the strike
    assert model.initial(SecurityType.OPTION, "AAPL", 3, 5.0, 100.0) == 1_500.0
    with pytest.raises(InvalidInputError, match="underlying"):
        model.initial(SecurityType.OPTION, "AAPL", -1, 5.0, 100.0, strike=200.0, right=Right.CALL)


def test_trading_hours_know_what_they_do_not_know() -> None:
    """Inside a session: open; between sessions: closed; beyond the listed days: unknown."""
    start = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    hours = TradingHours(
        "America/New_York",
        (Session(start, start + timedelta(hours=7)),),
        (Session(start, start + timedelta(hours=6)),),
        start - timedelta(hours=10),
        start + timedelta(days=1),
    )
    assert hours.is_open(start + timedelta(hours=6, minutes=30), regular=False) is True
    assert hours.is_open(start + timedelta(hours=6, minutes=30), regular=True) is False
    assert hours.is_open(start - timedelta(hours=1), regular=False) is False
    assert hours.is_open(start + timedelta(days=2), regular=False) is None
    assert hours.next_open(start - timedelta(hours=1), regular=True) == start
    with pytest.raises(InvalidInputError, match="time_zone"):
        TradingHours("Mars/Olympus", (), (), start, start)
    with pytest.raises(InvalidInputError, match=r"session\.end"):
        Session(start, start)


def test_the_calendar_lists_a_week_with_holidays_and_overnight_sessions() -> None:
    """A holiday has no session; CME's opens the evening before; rows are validated."""
    calendar = SimCalendar(holidays=[date(2026, 1, 6)])
    now = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    stock = calendar.hours(Instrument("AAPL", con_id=1), now)
    assert stock is not None
    assert [s.start.day for s in stock.liquid] == [5, 7, 8, 9]
    future = calendar.hours(ESZ6, now)
    assert future is not None
    assert future.trading[0].start.hour == 17
    with pytest.raises(InvalidInputError, match="HHMM"):
        ExchangeHours("UTC", ("930", "1600"), ("0930", "1600"))
    with pytest.raises(InvalidInputError, match="time zone"):
        ExchangeHours("Nowhere/Town", ("0930", "1600"), ("0930", "1600"))


def test_a_decisions_valuation_reads_back_from_the_journal() -> None:
    """The valuation's JSON form (margin included) parses back to the same values."""
    valuation = Valuation(
        "JPY",
        "USD",
        1 / 150,
        300_000.0,
        2_000.0,
        MarginImpact(0.0, 1_000.0, 100_000.0),
        "broker",
        2_000.0,
        2_000.0,
    )
    record = DecisionRecord(
        1, datetime(2026, 1, 5, tzinfo=UTC), "7203", allowed=True, valuation=valuation
    )
    parsed = parse_record(record.as_json())
    assert isinstance(parsed, DecisionRecord)
    assert parsed.valuation == valuation


@pytest.mark.parametrize(
    "valuation",
    [
        Valuation("USD", "USD", 1.0, 3000.0, 3000.0),
        Valuation("JPY", "USD", 1 / 150, 300_000.0, 300_000.0 * (1 / 150)),  # as valued
        Valuation("JPY", "USD", None, 300_000.0, None),
        Valuation("USD", "USD", 1.0, None, None),
    ],
    ids=["same-currency", "converted", "no-rate", "no-notional"],
)
def test_the_journals_compact_valuation_reads_back_whole(valuation: Valuation) -> None:
    """What the journal leaves out of a valuation (base, rate 1, notional x rate) reads back."""
    compact = compact_valuation(valuation.as_json())
    assert Valuation.from_json(compact) == valuation
    if valuation.currency == valuation.base:
        assert "base" not in compact
        assert "rate" not in compact
    assert "notional_base" not in compact or valuation.rate is None


_FIGURE = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False), st.just(1.0))
_MARGIN = st.one_of(
    st.none(),
    st.builds(
        MarginImpact,
        st.floats(0, 1e9),
        st.floats(0, 1e9),
        st.floats(-1e9, 1e9),
        st.sampled_from(["USD", "JPY"]),
    ),
)


@given(
    currency=st.sampled_from(["USD", "JPY"]),
    base=st.sampled_from(["USD", "JPY"]),
    rate=_FIGURE,
    notional=_FIGURE,
    derived=st.booleans(),
    other=_FIGURE,
    margin=_MARGIN,
    gross=_FIGURE,
    net=_FIGURE,
)
def test_the_journals_valuation_is_the_compact_form_key_for_key(
    currency: str,
    base: str,
    rate: float | None,
    notional: float | None,
    derived: bool,
    other: float | None,
    margin: MarginImpact | None,
    gross: float | None,
    net: float | None,
) -> None:
    """``compact_json`` is ``compact_valuation(as_json())``: same keys, values and order."""
    notional_base = (
        notional * rate if derived and notional is not None and rate is not None else other
    )
    valuation = Valuation(
        currency, base, rate, notional, notional_base, margin, "model" if margin else "", gross, net
    )
    assert list(valuation.compact_json().items()) == list(
        compact_valuation(valuation.as_json()).items()
    )
    record = DecisionRecord(
        1, datetime(2026, 1, 5, tzinfo=UTC), "7203", allowed=True, valuation=valuation
    )
    assert record.journal_json() == {**record.as_json(), "valuation": valuation.compact_json()}
