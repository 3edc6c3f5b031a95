"""The order vocabulary every adapter honours, through the gate: types, amend, lists, identity.

``BrokerContract`` includes this suite, so every adapter that passes the contract trades
stops, trailing stops, MOC, amendments, brackets and OCA groups the same way, names futures
and options by their contract fields, and adopts foreign orders of any type.
"""

from __future__ import annotations

import pytest

from hydra.application import RiskGate
from hydra.application.records import DecisionRecord, ForeignOrder
from hydra.domain import (
    AmbiguousContractError,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    Right,
    SecurityType,
    Side,
)
from hydra.testing.contract_kit import BrokerHarness, eventually

__all__ = ["OrderVocabularyContract"]


async def _filled(handle: object) -> None:
    await eventually(lambda: getattr(handle, "status", None) is OrderStatus.FILLED)


async def _aapl_at_200(harness: BrokerHarness, gate: RiskGate) -> Instrument:
    """AAPL qualified, once the gate sees its reference price of 200."""
    harness.set_price("AAPL", 200.0)
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    await eventually(lambda: gate.broker.reference_price(aapl) is not None)
    return aapl


async def _long_aapl(harness: BrokerHarness, gate: RiskGate, quantity: float) -> Instrument:
    """Hold ``quantity`` AAPL bought at 200 (the reference price)."""
    aapl = await _aapl_at_200(harness, gate)
    bought = await gate.submit(aapl, OrderRequest.market(Side.BUY, quantity))
    assert bought is not None
    await _filled(bought)
    await eventually(lambda: bool(gate.broker.positions()))
    return aapl


class OrderVocabularyContract:
    """IB's order types, amendments, order lists and contract identity on every adapter."""

    async def test_a_stop_rests_until_the_price_trades_through(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A protective STP rests, then fills once the price falls through it."""
        aapl = await _long_aapl(harness, gate, 10)
        stop = await gate.submit(aapl, OrderRequest.stop(Side.SELL, 10, 195.0))
        assert stop is not None
        await eventually(lambda: stop.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 198.0)
        assert stop.status is OrderStatus.SUBMITTED
        harness.set_price("AAPL", 194.0)
        await _filled(stop)

    async def test_a_trailing_stop_follows_the_price(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A TRAIL 5.00 behind: the price rises to 210, then a fall to 204 triggers it."""
        aapl = await _long_aapl(harness, gate, 5)
        trail = await gate.submit(aapl, OrderRequest.trailing_stop(Side.SELL, 5, amount=5.0))
        assert trail is not None
        await eventually(lambda: trail.status is OrderStatus.SUBMITTED)
        for price in (203.0, 207.0, 210.0, 206.0):
            harness.set_price("AAPL", price)
        assert trail.status is OrderStatus.SUBMITTED  # 206 is above 210 - 5
        harness.set_price("AAPL", 204.0)
        await _filled(trail)

    async def test_a_stop_limit_triggers_then_fills_only_within_its_limit(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """STP LMT 195 / 193: a gap to 190 triggers it but it rests; 194 fills it."""
        aapl = await _long_aapl(harness, gate, 10)
        stop = await gate.submit(aapl, OrderRequest.stop_limit(Side.SELL, 10, 195.0, 193.0))
        assert stop is not None
        await eventually(lambda: stop.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 196.0)
        harness.set_price("AAPL", 190.0)  # through the stop, below the limit
        assert stop.status is OrderStatus.SUBMITTED
        harness.set_price("AAPL", 194.0)
        await _filled(stop)
        assert stop.avg_fill_price >= 193.0

    async def test_market_if_touched_buys_when_the_price_falls_to_it(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A buy MIT at 195 rests at 200 and 197, and fills once 195 trades."""
        aapl = await _aapl_at_200(harness, gate)
        mit = await gate.submit(
            aapl, OrderRequest(Side.BUY, 3, OrderType.MARKET_IF_TOUCHED, stop_price=195.0)
        )
        assert mit is not None
        await eventually(lambda: mit.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 197.0)
        assert mit.status is OrderStatus.SUBMITTED
        harness.set_price("AAPL", 195.0)
        await _filled(mit)

    async def test_an_amended_stop_keeps_its_id_and_triggers_at_the_new_price(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A protective stop raised from 190 to 196 under the same id fills at 195."""
        aapl = await _long_aapl(harness, gate, 5)
        records: list[DecisionRecord] = []
        gate.subscribe(lambda r: records.append(r) if isinstance(r, DecisionRecord) else None)
        stop = await gate.submit(aapl, OrderRequest.stop(Side.SELL, 5, 190.0))
        assert stop is not None
        await eventually(lambda: stop.status is OrderStatus.SUBMITTED)
        assert await gate.modify(stop, stop_price=196.0) is stop
        assert [r.amends for r in records] == [None, stop.order_id]
        harness.set_price("AAPL", 197.0)
        assert stop.status is OrderStatus.SUBMITTED
        harness.set_price("AAPL", 195.0)
        await _filled(stop)
        assert stop.request.stop_price == 196.0

    async def test_an_amended_limit_keeps_its_id_and_fills_at_the_new_price(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Two amendments under one broker id, each written ahead; the second price fills."""
        aapl = await _aapl_at_200(harness, gate)
        records: list[DecisionRecord] = []
        gate.subscribe(lambda r: records.append(r) if isinstance(r, DecisionRecord) else None)
        handle = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 3, 192.0))
        assert handle is not None
        await eventually(lambda: handle.status is OrderStatus.SUBMITTED)
        assert await gate.modify(handle, limit_price=194.0) is handle
        assert await gate.modify(handle, limit_price=196.0) is handle
        assert [r.amends for r in records] == [None, handle.order_id, handle.order_id]
        harness.set_price("AAPL", 195.5)
        await _filled(handle)
        assert handle.request.limit_price == 196.0

    async def test_a_bracket_stop_fills_and_cancels_the_take_profit(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Entry, take-profit and stop as one decision; the stop's fill cancels the TP."""
        aapl = await _aapl_at_200(harness, gate)
        bracket = await gate.submit_bracket(
            aapl,
            OrderRequest.limit(Side.BUY, 4, 200.0),
            take_profit=OrderRequest.limit(Side.SELL, 4, 209.0),
            stop_loss=OrderRequest.stop(Side.SELL, 4, 195.0),
        )
        assert bracket is not None
        assert bracket.take_profit is not None
        assert bracket.stop_loss is not None
        await _filled(bracket.entry)
        harness.set_price("AAPL", 194.0)
        await _filled(bracket.stop_loss)
        await eventually(lambda: bracket.take_profit.status is OrderStatus.CANCELLED)  # type: ignore[union-attr]

    async def test_the_kill_switch_cancels_every_leg_of_a_bracket(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """An unfilled bracket: the kill report lists entry, take-profit and stop; all end."""
        aapl = await _aapl_at_200(harness, gate)
        bracket = await gate.submit_bracket(
            aapl,
            OrderRequest.limit(Side.BUY, 4, 190.0),
            take_profit=OrderRequest.limit(Side.SELL, 4, 199.0),
            stop_loss=OrderRequest.stop(Side.SELL, 4, 185.0),
        )
        assert bracket is not None
        legs = [leg for leg in bracket if leg is not None]
        assert len(legs) == 3
        await eventually(lambda: bracket.entry.status is OrderStatus.SUBMITTED)
        report = await gate.kill_switch(who="contract", why="bracket legs")
        assert sorted(report.cancelled) == sorted(leg.order_id for leg in legs)
        await eventually(lambda: all(leg.status is OrderStatus.CANCELLED for leg in legs))
        await eventually(lambda: not gate.broker.open_orders())

    async def test_an_oca_group_fills_one_leg(self, harness: BrokerHarness, gate: RiskGate) -> None:
        """A breakout pair in one OCA group: the buy stop fills, the buy limit is cancelled."""
        aapl = await _aapl_at_200(harness, gate)
        legs = await gate.submit_oca(
            [
                (aapl, OrderRequest.limit(Side.BUY, 2, 195.0)),
                (aapl, OrderRequest.stop(Side.BUY, 2, 205.0)),
            ],
            group="contract-breakout",
        )
        assert legs is not None
        low, high = legs
        await eventually(lambda: high.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 206.0)
        await _filled(high)
        await eventually(lambda: low.status is OrderStatus.CANCELLED)

    async def test_a_future_is_named_by_expiry_and_priced_on_its_tick(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Bare ES lists both expiries; ES Dec-26 qualifies; 4990.10 is off its 0.25 tick."""
        with pytest.raises(AmbiguousContractError):
            await gate.broker.qualify_contract(Instrument("ES", SecurityType.FUTURE, "CME"))
        es = await gate.broker.qualify_contract(
            Instrument("ES", SecurityType.FUTURE, "CME", expiry="202612")
        )
        assert (es.local_symbol, es.multiplier) == ("ESZ6", 50.0)
        harness.set_price("ESZ6", 5000.0)
        await eventually(lambda: gate.broker.reference_price(es) is not None)
        chain = await gate.broker.contract_chain(Instrument("ES", SecurityType.FUTURE, "CME"))
        assert chain.expiries[:2] == ("20261218", "20270319")
        off = await gate.place(es, OrderRequest.limit(Side.BUY, 1, 4990.10))
        assert "tick" in off.triggered

    async def test_an_option_from_the_chain_is_traded_and_trailed(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """The AAPL option chain lists Dec-26 and strike 200; the call is bought and trailed."""
        chain = await gate.broker.contract_chain(Instrument("AAPL", SecurityType.OPTION))
        assert "20261218" in chain.expiries
        assert 200.0 in chain.strikes
        call = await gate.broker.qualify_contract(
            Instrument(
                "AAPL", SecurityType.OPTION, expiry="20261218", strike=200.0, right=Right.CALL
            )
        )
        assert call.multiplier == 100.0
        harness.set_price(call.local_symbol or call.label, 5.0)
        await eventually(lambda: gate.broker.reference_price(call) is not None)
        bought = await gate.submit(call, OrderRequest.limit(Side.BUY, 1, 5.0))
        assert bought is not None
        await _filled(bought)
        trail = await gate.submit(call, OrderRequest.trailing_stop(Side.SELL, 1, percent=10.0))
        assert trail is not None
        await eventually(lambda: trail.status is OrderStatus.SUBMITTED)
        harness.set_price(call.local_symbol or call.label, 6.0)
        harness.set_price(call.local_symbol or call.label, 5.3)
        await _filled(trail)

    async def test_reduce_only_orders_flatten_and_never_grow(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A reduce-only sell closes the long; another reduce-only sell is blocked."""
        aapl = await _long_aapl(harness, gate, 6)
        close = await gate.submit(aapl, OrderRequest.market(Side.SELL, 6, reduce_only=True))
        assert close is not None
        await _filled(close)
        await eventually(lambda: not gate.broker.positions())
        again = await gate.place(aapl, OrderRequest.market(Side.SELL, 1, reduce_only=True))
        assert again.triggered == ("reduce_only",)

    async def test_a_foreign_stop_counts_is_recorded_and_killed(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A STP placed in TWS counts as exposure, is an order.foreign, and the kill cancels it."""
        aapl = await _long_aapl(harness, gate, 5)
        records: list[ForeignOrder] = []
        gate.subscribe(lambda r: records.append(r) if isinstance(r, ForeignOrder) else None)
        harness.inject_foreign_stop("AAPL", "SELL", 5, 150.0)
        await eventually(lambda: bool(records))
        [foreign] = [h for h in gate.broker.open_orders() if h.foreign]
        assert foreign.request.order_type is OrderType.STOP
        assert gate.exposure(aapl).selling == 5
        report = await gate.kill_switch(who="contract", why="foreign stop")
        assert foreign.order_id in report.cancelled

    async def test_market_on_close_waits_for_the_auction(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """An MOC buy rests through price moves and fills in the closing auction."""
        aapl = await _aapl_at_200(harness, gate)
        moc = await gate.submit(aapl, OrderRequest(Side.BUY, 2, OrderType.MARKET_ON_CLOSE))
        assert moc is not None
        await eventually(lambda: moc.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 199.0)
        assert moc.status is OrderStatus.SUBMITTED
        harness.close_market()
        await _filled(moc)

    async def test_an_oca_leg_that_fills_on_arrival_cancels_the_rest(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """The first leg is marketable: it fills, and the later legs never can."""
        aapl = await _aapl_at_200(harness, gate)
        legs = await gate.submit_oca(
            [
                (aapl, OrderRequest.limit(Side.BUY, 1, 201.0)),
                (aapl, OrderRequest.limit(Side.BUY, 1, 199.0)),
            ],
            group="contract-marketable",
        )
        assert legs is not None
        first, second = legs
        await _filled(first)
        await eventually(lambda: second.status is OrderStatus.CANCELLED)
        harness.set_price("AAPL", 198.0)
        assert second.status is OrderStatus.CANCELLED
