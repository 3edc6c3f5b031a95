"""Risk in the broker's units over the simulator: currency, margin, caps, shorts, hours."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hydra.adapters.journal import HaltInbox, write_halt_request
from hydra.adapters.sim import SimulatedBroker
from hydra.adapters.sim.calendar import SimCalendar
from hydra.application import RiskGate
from hydra.domain import (
    AccountLimits,
    CircuitBreakerManager,
    Instrument,
    LimitTable,
    ManualClock,
    MarginImpact,
    OrderRequest,
    SecurityType,
    Side,
)
from hydra.domain.halt_request import HaltRequest

from .desk import NY_MORNING

ES = Instrument("ES", SecurityType.FUTURE, "CME", expiry="202612")
TOYOTA = Instrument("7203", currency="JPY")
FUTURES_OPEN = LimitTable(
    by_type={"FUT": {"max_position_fraction": 20.0, "max_notional": 5_000_000.0}}
)
NY = timedelta(hours=-5)  # New York's offset from UTC in January


def _at_new_york(hour: int, minute: int = 0, day: int = 5) -> datetime:
    """A January weekday (the 5th is a Monday) at New York time, as UTC."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC) - NY


async def _desk(
    broker: SimulatedBroker | None = None,
    clock: ManualClock | None = None,
    **gate: object,
) -> tuple[SimulatedBroker, RiskGate, ManualClock]:
    """A gate over a connected simulator (a $100k account at 10:00 New York by default)."""
    clock = clock or ManualClock(NY_MORNING)
    broker = broker or SimulatedBroker(clock=clock)
    await broker.connect()
    risk = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock, **gate)  # type: ignore[arg-type]
    return broker, risk, clock


def _stocks(count: int) -> list[Instrument]:
    return [Instrument(f"S{i:02d}", con_id=1000 + i) for i in range(count)]


# ------------------------------------------------------------------------------ currency
async def test_a_yen_stock_is_valued_at_the_brokers_rate() -> None:
    """100 shares at 3,000 yen are $2,000 at 150 yen a dollar; the record shows both."""
    _, gate, _ = await _desk()
    decision = await gate.place(TOYOTA, OrderRequest.market(Side.BUY, 100))
    assert decision.allowed, decision.reasons
    assert decision.valuation is not None
    assert decision.valuation.notional == 300_000.0
    assert decision.valuation.notional_base == pytest.approx(2_000.0)
    assert decision.inputs is not None
    assert decision.inputs.position_value == pytest.approx(2_000.0)
    assert decision.as_json()["valuation"]["currency"] == "JPY"


async def test_an_old_rate_blocks_and_a_fresh_one_passes() -> None:
    """A rate older than max_rate_age is no rate: fx.missing; a fresh one values the order."""
    broker, gate, clock = await _desk()
    broker.set_rate("JPY", 1 / 150, at=clock() - timedelta(hours=2))
    stale = await gate.place(TOYOTA, OrderRequest.market(Side.BUY, 100))
    assert [r.code for r in stale.reasons] == ["fx.missing"]
    assert "7200s old" in stale.reasons[0].message
    broker.set_rate("JPY", 1 / 150, at=clock() - timedelta(minutes=5))
    assert (await gate.place(TOYOTA, OrderRequest.market(Side.BUY, 100))).allowed


async def test_notional_limits_are_judged_in_the_base_currency() -> None:
    """max_notional compares dollars: 10,000 shares at 3,000 yen are $200k, under $250k."""
    _, gate, _ = await _desk(account_limits=None)
    decision = await gate.place(TOYOTA, OrderRequest.market(Side.BUY, 10_000))
    assert "max_notional" not in decision.triggered
    over = await gate.place(
        TOYOTA, OrderRequest.market(Side.BUY, 10_000, intentional_duplicate=True)
    )
    assert "max_notional" not in over.triggered


async def test_an_account_in_euros_converts_dollar_stocks() -> None:
    """With a EUR base, a $20,000 AAPL order is valued at 20,000 / 1.08 euros."""
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(clock=clock, base_currency="EUR")
    _, gate, _ = await _desk(broker, clock)
    decision = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 100))
    assert decision.valuation is not None
    assert decision.valuation.base == "EUR"
    assert decision.valuation.notional_base == pytest.approx(20_000 / 1.08)


# ------------------------------------------------------------------------------ margin
async def test_futures_opened_up_pass_one_es_and_block_six_for_margin() -> None:
    """1 ES (about $20k margin) passes; 6 ES need $120k of a $100k account: blocked."""
    _, gate, _ = await _desk(
        limits=FUTURES_OPEN,
        account_limits=AccountLimits(max_gross_exposure=25.0, max_net_exposure=25.0),
    )
    es = await gate.broker.qualify_contract(ES)
    six = await gate.place(es, OrderRequest.market(Side.BUY, 6))
    assert six.triggered == ("margin_insufficient",)
    assert six.reasons[0].value == pytest.approx(120_000.0)
    assert six.reasons[0].limit == pytest.approx(100_000.0)
    one = await gate.place(es, OrderRequest.market(Side.BUY, 1))
    assert one.allowed, one.reasons
    assert one.valuation is not None
    assert one.valuation.margin is not None
    assert one.valuation.margin.initial_after == pytest.approx(20_000.0)
    assert one.valuation.margin_source == "broker"
    assert "margin" in one.as_json()["valuation"]
    stock = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 125))
    assert "position_size" in stock.triggered


async def test_one_es_with_default_limits_is_blocked_by_size_not_margin() -> None:
    """With one set of limits for stocks, 1 ES is 250 % of equity: position size blocks it."""
    _, gate, _ = await _desk()
    es = await gate.broker.qualify_contract(ES)
    decision = await gate.place(es, OrderRequest.market(Side.BUY, 1))
    assert "position_size" in decision.triggered
    assert "margin_insufficient" not in decision.triggered


async def test_the_margin_model_judges_from_the_accounts_own_margin() -> None:
    """With margin = "model": the account's initial margin plus the model's change, no preview."""
    broker, gate, _ = await _desk(
        limits=FUTURES_OPEN,
        account_limits=AccountLimits(
            margin="model", max_gross_exposure=25.0, max_net_exposure=25.0
        ),
    )
    broker.fail_margin_previews("the broker is never asked")
    es = await gate.broker.qualify_contract(ES)
    assert (await gate.place(es, OrderRequest.market(Side.BUY, 6))).triggered == (
        "margin_insufficient",
    )
    one = await gate.place(es, OrderRequest.market(Side.BUY, 1))
    assert one.allowed, one.reasons
    assert one.valuation is not None
    assert one.valuation.margin_source == "model"


async def test_margin_off_skips_the_check() -> None:
    """With margin = "off": 6 ES are judged by the other limits alone."""
    _, gate, _ = await _desk(
        limits=FUTURES_OPEN,
        account_limits=AccountLimits(margin="off", max_gross_exposure=25.0, max_net_exposure=25.0),
    )
    es = await gate.broker.qualify_contract(ES)
    assert (await gate.place(es, OrderRequest.market(Side.BUY, 6))).allowed


async def test_a_reduction_needs_no_margin() -> None:
    """An order that only shrinks the position passes even when previews fail."""
    broker, gate, _ = await _desk()
    assert (await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 50))).allowed
    broker.fail_margin_previews("down")
    sold = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.SELL, 20))
    assert sold.allowed, sold.reasons
    bought = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 20))
    assert bought.triggered == ("margin_unavailable",)


class _NetworkMarginBroker(SimulatedBroker):
    """A simulator whose margin preview is answered over a network, like IB's whatIf."""

    answer_after = 0.0

    async def margin_impact(  # type: ignore[override]
        self, instrument: Instrument, order: OrderRequest
    ) -> MarginImpact:
        """The simulator's figures, after ``answer_after`` seconds."""
        await asyncio.sleep(self.answer_after)
        return SimulatedBroker.margin_impact(self, instrument, order)


async def test_an_awaited_preview_judges_and_a_slow_one_blocks() -> None:
    """Place awaits the broker's preview; one slower than margin_timeout blocks the order."""
    clock = ManualClock(NY_MORNING)
    broker = _NetworkMarginBroker(clock=clock)
    _, gate, _ = await _desk(
        broker, clock, account_limits=AccountLimits(margin_timeout=timedelta(seconds=0.2))
    )
    awaited = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 10))
    assert awaited.allowed, awaited.reasons
    assert awaited.valuation is not None
    assert awaited.valuation.margin is not None
    broker.answer_after = 5.0
    slow = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 11))
    assert slow.triggered == ("margin_unavailable",)
    assert "0.2s" in slow.reasons[0].message


async def test_a_pending_halt_request_is_obeyed_before_any_preview(tmp_path: Path) -> None:
    """A HALT left by `hydra kill` halts the gate first: no whatIf goes out for the order."""
    clock = ManualClock(NY_MORNING)
    broker = _NetworkMarginBroker(clock=clock)
    asked: list[OrderRequest] = []
    answer = broker.margin_impact

    async def counted(instrument: Instrument, order: OrderRequest) -> MarginImpact:
        asked.append(order)
        return await answer(instrument, order)

    broker.margin_impact = counted  # type: ignore[method-assign]
    inbox = HaltInbox(tmp_path / "j.jsonl", "SIM0001", interval=0.0)
    _, gate, _ = await _desk(broker, clock, halt_requests=inbox)
    assert (await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 10))).allowed
    write_halt_request(
        tmp_path / "j.jsonl",
        HaltRequest(id="k1", who="bob", why="unreachable", time=NY_MORNING, account="SIM0001"),
    )
    blocked = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 11))
    assert blocked.triggered == ("halted",)
    assert len(asked) == 1


async def test_a_synchronous_decision_cannot_wait_for_a_network_preview() -> None:
    """submit_with_decision over a broker previewing asynchronously blocks and says why."""
    clock = ManualClock(NY_MORNING)
    _, gate, _ = await _desk(_NetworkMarginBroker(clock=clock), clock)
    decision = gate.submit_with_decision(Instrument("AAPL"), OrderRequest.market(Side.BUY, 10))
    assert decision.triggered == ("margin_unavailable",)
    assert "await gate.place" in decision.reasons[0].message


# ------------------------------------------------------------------------------ caps
async def test_ten_positions_of_19_percent_stop_at_the_gross_cap() -> None:
    """Long and short 19 % positions pass one by one until gross exposure passes 150 %."""
    stocks = _stocks(10)
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(stocks, {s.symbol: 100.0 for s in stocks}, clock=clock)
    _, gate, _ = await _desk(broker, clock)
    outcomes = []
    for index, stock in enumerate(stocks):
        side = Side.BUY if index % 2 == 0 else Side.SELL
        outcomes.append(await gate.place(stock, OrderRequest.market(side, 190)))
    assert [d.allowed for d in outcomes] == [True] * 7 + [False] * 3
    assert outcomes[7].triggered == ("max_gross_exposure",)
    assert outcomes[7].reasons[0].value == pytest.approx(1.52)


async def test_long_positions_stop_at_the_net_cap() -> None:
    """All long, 19 % each: the sixth takes net exposure past 100 % of equity."""
    stocks = _stocks(6)
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(stocks, {s.symbol: 100.0 for s in stocks}, clock=clock)
    _, gate, _ = await _desk(broker, clock)
    outcomes = [await gate.place(s, OrderRequest.market(Side.BUY, 190)) for s in stocks]
    assert [d.allowed for d in outcomes] == [True] * 5 + [False]
    assert outcomes[5].triggered == ("max_net_exposure",)


async def test_working_orders_count_toward_the_caps() -> None:
    """Resting buys count as if filled: a cap full of working orders blocks the next."""
    stocks = _stocks(3)
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(stocks, {s.symbol: 100.0 for s in stocks}, clock=clock)
    _, gate, _ = await _desk(broker, clock, account_limits=AccountLimits(max_net_exposure=0.5))
    for stock in stocks[:2]:
        assert (await gate.place(stock, OrderRequest.limit(Side.BUY, 190, 99.0))).allowed
    third = await gate.place(stocks[2], OrderRequest.limit(Side.BUY, 190, 99.0))
    assert third.triggered == ("max_net_exposure",)


async def test_an_order_that_lowers_gross_exposure_passes_above_the_cap() -> None:
    """Above the cap (the price moved), a reduction still passes: it lowers exposure."""
    stocks = _stocks(2)
    clock = ManualClock(NY_MORNING)
    broker = SimulatedBroker(stocks, {s.symbol: 100.0 for s in stocks}, clock=clock)
    _, gate, _ = await _desk(
        broker, clock, account_limits=AccountLimits(max_gross_exposure=0.4, max_net_exposure=None)
    )
    for stock in stocks:
        assert (await gate.place(stock, OrderRequest.market(Side.BUY, 190))).allowed
    broker.set_price(stocks[0].symbol, 130.0)
    assert (await gate.place(stocks[0], OrderRequest.market(Side.SELL, 50))).allowed


async def test_short_calls_count_their_underlying_exposure() -> None:
    """5 short 210 calls count 5 x 100 x 200 = $100k of exposure and need margin for it."""
    call = Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=210.0, right="C")  # type: ignore[arg-type]
    _, gate, _ = await _desk()
    option = await gate.broker.qualify_contract(call)
    decision = await gate.place(option, OrderRequest.market(Side.SELL, 5))
    assert decision.inputs is not None
    assert decision.inputs.position_value == pytest.approx(100_000.0)
    assert "position_size" in decision.triggered
    assert decision.valuation is not None
    assert decision.valuation.margin is not None
    # premium 5 + max(20 % of 200 - 10 out of the money, 10 % of 200) = 35 a share.
    assert decision.valuation.margin.initial_after == pytest.approx(5 * 100 * 35.0)


# ------------------------------------------------------------------------------ shorts
@pytest.mark.parametrize(
    ("shares", "allowed"), [(0, False), (19, False), (20, True), (None, False)]
)
async def test_a_sale_needs_shares_for_the_part_that_goes_short(
    shares: float | None, allowed: bool
) -> None:
    """Long 30, selling 50 goes 20 short: 20 shares to borrow are needed, not 50."""
    broker, gate, _ = await _desk()
    assert (await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 30))).allowed
    broker.set_shortable("AAPL", shares)
    decision = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.SELL, 50))
    assert decision.allowed is allowed, decision.reasons
    if not allowed:
        assert decision.reasons[0].code == "short.unavailable"


async def test_unknown_shortability_can_be_allowed_and_longs_sell_freely() -> None:
    """unknown_shortable = "allow" lets the sale pass; selling a long needs no borrow."""
    broker, gate, _ = await _desk(account_limits=AccountLimits(unknown_shortable="allow"))
    broker.set_shortable("AAPL", None)
    assert (await gate.place(Instrument("AAPL"), OrderRequest.market(Side.SELL, 50))).allowed
    broker.set_shortable("AAPL", 0)
    assert (await gate.place(Instrument("MSFT"), OrderRequest.market(Side.BUY, 10))).allowed
    assert (await gate.place(Instrument("MSFT"), OrderRequest.market(Side.SELL, 10))).allowed


# ------------------------------------------------------------------------------ hours
async def _exchange_desk(at: datetime, **calendar: object) -> RiskGate:
    clock = ManualClock(at)
    broker = SimulatedBroker(clock=clock, calendar=SimCalendar(**calendar))  # type: ignore[arg-type]
    return (await _desk(broker, clock))[1]


async def test_a_market_order_at_three_in_the_morning_is_blocked() -> None:
    """03:00 New York: the exchange is closed, so nothing is sent."""
    gate = await _exchange_desk(_at_new_york(3))
    decision = await gate.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 10))
    assert decision.triggered == ("session_closed",)
    assert "closed" in decision.reasons[0].message
    early = OrderRequest.limit(Side.BUY, 10, 199.0, outside_rth=True)
    assert (await gate.place(Instrument("AAPL"), early)).triggered == ("session_closed",)


async def test_the_pre_market_takes_limits_with_outside_rth_only() -> None:
    """07:00 New York: a limit with outside_rth passes; a market order or a plain limit not."""
    gate = await _exchange_desk(_at_new_york(7))
    aapl = Instrument("AAPL")
    assert (await gate.place(aapl, OrderRequest.market(Side.BUY, 10))).triggered == (
        "session_closed",
    )
    plain = await gate.place(aapl, OrderRequest.limit(Side.BUY, 10, 199.0))
    assert plain.triggered == ("session_closed",)
    early = await gate.place(aapl, OrderRequest.limit(Side.BUY, 11, 199.0, outside_rth=True))
    assert early.allowed, early.reasons
    stop = OrderRequest.stop(Side.BUY, 12, 210.0, outside_rth=True)
    assert (await gate.place(aapl, stop)).triggered == ("session_closed",)


async def test_regular_hours_and_holidays() -> None:
    """10:00 New York trades; the same hour on a listed holiday does not."""
    assert (
        await (await _exchange_desk(_at_new_york(10))).place(
            Instrument("AAPL"), OrderRequest.market(Side.BUY, 10)
        )
    ).allowed
    holiday = await _exchange_desk(_at_new_york(10), holidays=[date(2026, 1, 5)])
    decision = await holiday.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 10))
    assert decision.triggered == ("session_closed",)
    weekend = await _exchange_desk(_at_new_york(10, day=3))
    assert (
        await weekend.place(Instrument("AAPL"), OrderRequest.market(Side.BUY, 10))
    ).triggered == ("session_closed",)


async def test_futures_trade_overnight_only_by_limit() -> None:
    """ES at 20:00 Chicago: the Globex session is open, its regular hours are not."""
    gate = await _exchange_desk(datetime(2026, 1, 6, 2, 0, tzinfo=UTC))
    es = await gate.broker.qualify_contract(ES)
    market = await gate.place(es, OrderRequest.market(Side.BUY, 1))
    assert "session_closed" in market.triggered
    night = await gate.place(es, OrderRequest.limit(Side.BUY, 1, 4999.0, outside_rth=True))
    assert "session_closed" not in night.triggered


async def test_unknown_hours_block_unless_allowed() -> None:
    """A contract the calendar does not list has unknown hours: blocked by default."""
    forex = Instrument("EUR", SecurityType.FOREX, "IDEALPRO", "USD", con_id=12087792)
    clock = ManualClock(NY_MORNING)

    async def decide(allow: str) -> tuple[str, ...]:
        broker = SimulatedBroker((forex,), {"EUR": 1.08}, clock=clock, calendar=SimCalendar())
        _, gate, _ = await _desk(broker, clock, account_limits=AccountLimits(unknown_hours=allow))
        return (await gate.place(forex, OrderRequest.market(Side.BUY, 1000))).triggered

    assert await decide("block") == ("session_unknown",)
    assert "session_unknown" not in await decide("allow")


# ------------------------------------------------------------------------------ per class
async def test_the_effective_limits_of_an_instrument() -> None:
    """limits_for shows each instrument's own limits: options 20 %, ES opened up."""
    table = LimitTable(
        by_type={"FUT": {"max_position_fraction": 20.0}},
        by_contract={"ES": {"max_notional": 2e6}, "ESH7": {"max_notional": 3e6}},
    )
    broker, gate, _ = await _desk(limits=table)
    esz6 = await broker.qualify_contract(ES)
    esh7 = await broker.qualify_contract(
        Instrument("ES", SecurityType.FUTURE, "CME", expiry="202703")
    )
    call = await broker.qualify_contract(
        Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=200.0, right="C")  # type: ignore[arg-type]
    )
    own = gate.limits_for(esz6)
    assert own is not None
    assert (own.max_notional, own.max_position_fraction) == (2e6, 20.0)
    assert gate.limits_for(esh7).max_notional == 3e6  # type: ignore[union-attr]
    assert gate.limits_for(call).price_collar == 0.20  # type: ignore[union-attr]
    stock = gate.limits_for(Instrument("AAPL"))
    assert stock is not None
    assert (stock.price_collar, stock.max_position_fraction) == (0.10, 0.20)


async def test_an_options_collar_is_twenty_percent() -> None:
    """A limit 15 % from an option's price passes its 20 % collar; a stock's 10 % does not."""
    _, gate, _ = await _desk()
    call = await gate.broker.qualify_contract(
        Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=200.0, right="C")  # type: ignore[arg-type]
    )
    option = await gate.place(call, OrderRequest.limit(Side.BUY, 1, 5.75))
    assert "price_collar" not in option.triggered
    stock = await gate.place(Instrument("AAPL"), OrderRequest.limit(Side.BUY, 1, 230.0))
    assert "price_collar" in stock.triggered
