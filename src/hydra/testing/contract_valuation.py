"""Risk in the broker's units, on every adapter: currency, margin, shorts, hours, caps.

``BrokerContract`` includes this suite: on a $100k account, every adapter values a yen
stock in dollars with the broker's rate and blocks without one, previews margin (and
blocks when the preview fails), refuses a short sale the broker cannot lend for, keeps
market orders out of a closed exchange, values short calls on their underlying, and
stops at the portfolio caps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hydra.application import RiskGate
from hydra.application.records import DecisionRecord
from hydra.domain import (
    AccountLimits,
    CircuitBreakerManager,
    Instrument,
    LimitTable,
    OrderRequest,
    OrderStatus,
    Right,
    SecurityType,
    Session,
    Side,
    TradingHours,
)
from hydra.testing.contract_kit import BrokerHarness, eventually

__all__ = ["ValuationContract", "pre_market_hours"]

_FUTURES_OPEN = LimitTable(
    by_type={"FUT": {"max_position_fraction": 20.0, "max_notional": 5_000_000.0}}
)
"""``[limits.FUT] max_position_fraction = 20.0, max_notional = 5000000``."""


def pre_market_hours(now: datetime, *, extended: bool = True) -> TradingHours:
    """Hours in which ``now`` is before the regular session (in the extended one, or not).

    Minute-aligned, as IB lists hours.
    """
    at = now.astimezone(UTC).replace(second=0, microsecond=0)
    trading = (Session(at - timedelta(hours=2), at + timedelta(hours=6)),) if extended else ()
    liquid = (Session(at + timedelta(hours=2), at + timedelta(hours=5)),)
    return TradingHours("UTC", trading, liquid, at - timedelta(days=1), at + timedelta(days=6))


async def _priced(
    gate: RiskGate, harness: BrokerHarness, name: str, price: float, contract: Instrument
) -> Instrument:
    """The qualified contract, once the broker has ``price`` as its reference."""
    harness.set_price(name, price)
    qualified = await gate.broker.qualify_contract(contract)
    await eventually(lambda: gate.broker.reference_price(qualified) is not None)
    return qualified


async def _filled(decision: DecisionRecord) -> None:
    assert decision.allowed, decision.reasons
    handle = decision.handle
    assert handle is not None
    assert await handle.wait(timeout=5) is OrderStatus.FILLED


class ValuationContract:
    """Valuation in the broker's units, the same on every adapter."""

    async def test_a_yen_stock_is_valued_in_dollars(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """100 shares of a 3,000 yen stock pass, valued at about $2,000 (both currencies)."""
        toyota = await _priced(gate, harness, "7203", 3000.0, Instrument("7203", currency="JPY"))
        decision = await gate.place(toyota, OrderRequest.market(Side.BUY, 100))
        await _filled(decision)
        valuation = decision.valuation
        assert valuation is not None
        assert (valuation.currency, valuation.base) == ("JPY", "USD")
        assert valuation.notional == 300_000.0
        assert valuation.notional_base is not None
        assert 1_500.0 < valuation.notional_base < 2_500.0

    async def test_a_missing_rate_blocks(self, harness: BrokerHarness, gate: RiskGate) -> None:
        """Without the broker's yen rate the order cannot be valued, so it is blocked."""
        toyota = await _priced(gate, harness, "7203", 3000.0, Instrument("7203", currency="JPY"))
        harness.set_exchange_rate("JPY", None)
        await eventually(lambda: gate.broker.exchange_rate("JPY") is None)
        before = harness.received()
        decision = await gate.place(toyota, OrderRequest.market(Side.BUY, 100))
        assert [r.code for r in decision.reasons] == ["fx.missing"]
        assert harness.received() == before

    async def test_a_short_sale_needs_shares_to_borrow(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """No shares to lend, or none reported, blocks a short sale; shares let it pass."""
        aapl = await _priced(gate, harness, "AAPL", 200.0, Instrument("AAPL"))
        sell = OrderRequest.market(Side.SELL, 50)
        harness.set_shortable("AAPL", 0)
        await eventually(lambda: gate.broker.shortable_shares(aapl) == 0)
        assert "short_unavailable" in (await gate.place(aapl, sell)).triggered
        harness.set_shortable("AAPL", None)
        await eventually(lambda: gate.broker.shortable_shares(aapl) is None)
        unknown = await gate.place(aapl, OrderRequest.market(Side.SELL, 51))
        assert "short_unavailable" in unknown.triggered
        harness.set_shortable("AAPL", 5_000)
        await eventually(lambda: gate.broker.shortable_shares(aapl) == 5_000)
        await _filled(await gate.place(aapl, OrderRequest.market(Side.SELL, 52)))

    async def test_one_es_passes_and_six_are_blocked_for_margin(
        self, harness: BrokerHarness
    ) -> None:
        """With futures opened up, 1 ES passes (margin about $20k) and 6 ES need too much."""
        gate = RiskGate(
            harness.broker,  # type: ignore[arg-type]
            CircuitBreakerManager(),
            limits=_FUTURES_OPEN,
            account_limits=AccountLimits(max_gross_exposure=25.0, max_net_exposure=25.0),
        )
        future = Instrument("ES", SecurityType.FUTURE, "CME", expiry="202612")
        es = await _priced(gate, harness, "ESZ6", 5000.0, future)
        six = await gate.place(es, OrderRequest.market(Side.BUY, 6))
        assert six.triggered == ("margin_insufficient",), six.reasons
        one = await gate.place(es, OrderRequest.market(Side.BUY, 1))
        assert one.valuation is not None
        assert one.valuation.margin is not None
        assert 15_000.0 < one.valuation.margin.initial_after < 25_000.0
        await _filled(one)
        stock = await _priced(gate, harness, "AAPL", 200.0, Instrument("AAPL"))
        quarter = await gate.place(stock, OrderRequest.market(Side.BUY, 125))
        assert "position_size" in quarter.triggered

    async def test_a_failed_margin_preview_blocks(self, harness: BrokerHarness) -> None:
        """A preview that errs, or never answers in time, blocks the order (fail closed)."""
        gate = RiskGate(
            harness.broker,  # type: ignore[arg-type]
            CircuitBreakerManager(),
            account_limits=AccountLimits(margin_timeout=timedelta(seconds=0.5)),
        )
        aapl = await _priced(gate, harness, "AAPL", 200.0, Instrument("AAPL"))
        for mode in ("error", "ignore"):
            harness.margin_previews(mode)
            before = harness.received()
            decision = await gate.place(aapl, OrderRequest.market(Side.BUY, 10))
            assert decision.triggered == ("margin_unavailable",), (mode, decision.reasons)
            assert harness.received() == before
        harness.margin_previews("answer")
        await _filled(await gate.place(aapl, OrderRequest.market(Side.BUY, 10)))

    async def test_market_orders_wait_for_the_regular_session(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Pre-market: a market order is blocked, a limit with outside_rth passes."""
        harness.set_hours("AAPL", pre_market_hours(datetime.now(UTC)))
        aapl = await _priced(gate, harness, "AAPL", 200.0, Instrument("AAPL"))
        market = await gate.place(aapl, OrderRequest.market(Side.BUY, 10))
        assert market.triggered == ("session_closed",), market.reasons
        plain = await gate.place(aapl, OrderRequest.limit(Side.BUY, 10, 199.0))
        assert plain.triggered == ("session_closed",), plain.reasons
        early = await gate.place(aapl, OrderRequest.limit(Side.BUY, 10, 199.0, outside_rth=True))
        assert early.allowed, early.reasons

    async def test_nothing_trades_while_the_exchange_is_closed(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Outside every session even a limit with outside_rth is blocked."""
        harness.set_hours("AAPL", pre_market_hours(datetime.now(UTC), extended=False))
        aapl = await _priced(gate, harness, "AAPL", 200.0, Instrument("AAPL"))
        order = OrderRequest.limit(Side.BUY, 10, 199.0, outside_rth=True)
        assert (await gate.place(aapl, order)).triggered == ("session_closed",)

    async def test_short_calls_are_valued_on_their_underlying(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """5 naked short calls count 5 x 100 x the underlying's price, not the premium."""
        harness.set_price("AAPL", 200.0)
        call = Instrument(
            "AAPL", SecurityType.OPTION, expiry="20261218", strike=210.0, right=Right.CALL
        )
        option = await _priced(gate, harness, "AAPL  261218C00210000", 5.0, call)
        stock = await gate.broker.qualify_contract(Instrument("AAPL"))
        await eventually(lambda: gate.broker.reference_price(stock) is not None)
        decision = await gate.place(option, OrderRequest.market(Side.SELL, 5))
        assert decision.inputs is not None
        assert decision.inputs.position_value == 5 * 100 * 200.0
        assert "position_size" in decision.triggered
        assert decision.valuation is not None
        assert decision.valuation.notional == 2_500.0

    async def test_the_gross_cap_counts_every_position(self, harness: BrokerHarness) -> None:
        """Positions of 19 % each, long and short, stop where gross exposure passes its cap."""
        gate = RiskGate(
            harness.broker,  # type: ignore[arg-type]
            CircuitBreakerManager(),
            account_limits=AccountLimits(max_gross_exposure=0.5),
        )
        aapl = await _priced(gate, harness, "AAPL", 200.0, Instrument("AAPL"))
        msft = await _priced(gate, harness, "MSFT", 400.0, Instrument("MSFT"))
        ibm = await _priced(gate, harness, "IBM", 250.0, Instrument("IBM"))
        await _filled(await gate.place(aapl, OrderRequest.market(Side.BUY, 95)))
        await _filled(await gate.place(msft, OrderRequest.market(Side.SELL, 47)))
        third = await gate.place(ibm, OrderRequest.market(Side.BUY, 76))
        assert third.triggered == ("max_gross_exposure",), third.reasons
