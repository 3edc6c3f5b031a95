"""The numbers the gate trusts, over BrokerGateway + FakeIBGateway with the real ib_async."""

from __future__ import annotations

import pytest

from hydra.adapters.ib import BrokerGateway
from hydra.application import RiskGate
from hydra.application.records import ForeignOrder
from hydra.domain import (
    CircuitBreakerManager,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    SecurityType,
    Side,
    TradingState,
)
from hydra.testing import FakeIBGateway, FakeInstrument, MemoryJournal
from hydra.testing.contract import eventually

from .gateway_harness import make_gateway

pytestmark = pytest.mark.integration

ES = FakeInstrument("ES", 495512563, sec_type="FUT", exchange="CME", multiplier=50.0)


async def _gate(fake: FakeIBGateway, **kwargs: object) -> tuple[BrokerGateway, RiskGate]:
    gateway = make_gateway(fake)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager(), **kwargs)  # type: ignore[arg-type]
    return gateway, gate


async def test_filled_buys_count_before_ibs_late_position_message() -> None:
    """With position messages 300 ms late, sequential filled buys stop at the 20 % limit."""
    async with FakeIBGateway(prices={"AAPL": 200.0}, position_delay=0.3) as fake:
        gateway, gate = await _gate(fake, limits=None)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        equity = gate.broker.account().net_liquidation
        quantity = round(0.09 * equity / 200.0)  # 9 % of equity each
        order = OrderRequest(Side.BUY, quantity, intentional_duplicate=True)
        allowed = []
        for _ in range(4):
            handle = await gate.submit(aapl, order)
            allowed.append(handle is not None)
            if handle is not None:
                assert await handle.wait(timeout=5) is OrderStatus.FILLED
        assert allowed == [True, True, False, False]
        assert gate.exposure(aapl).position == 2 * quantity
        await eventually(lambda: bool(gate.broker.positions()))  # IB's message, late
        await eventually(lambda: gate.broker.positions()[0].quantity == 2 * quantity)
        assert not gate.exposure(aapl).mismatch
        await gateway.disconnect()


async def test_reducing_does_not_flip_while_ibs_position_message_lags() -> None:
    """In REDUCING, a second sell of the whole position is blocked before IB reports it."""
    async with FakeIBGateway(prices={"AAPL": 200.0}) as fake:
        gateway, gate = await _gate(fake, limits=None)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        buy = await gate.submit(aapl, OrderRequest.market(Side.BUY, 40))
        assert buy is not None
        await buy.wait(timeout=5)
        await eventually(lambda: bool(gate.broker.positions()))
        fake.position_delay = 0.5
        gate.set_trading_state(TradingState.REDUCING, who="ops", why="de-risk")
        sell = await gate.submit(aapl, OrderRequest.market(Side.SELL, 40))
        assert sell is not None
        assert await sell.wait(timeout=5) is OrderStatus.FILLED
        again = await gate.place(aapl, OrderRequest(Side.SELL, 40, intentional_duplicate=True))
        assert again.triggered == ("reducing",)
        assert gate.broker.positions()[0].quantity == 40  # IB has not said so yet
        await gateway.disconnect()


async def test_the_brokers_multiplier_values_a_future() -> None:
    """ES qualified at the fake carries IB's multiplier 50; a multiplier-1 ES is refused."""
    async with FakeIBGateway(instruments=[ES], prices={"ES": 5000.0}) as fake:
        gateway, gate = await _gate(fake)
        careless = Instrument("ES", SecurityType.FUTURE, "CME")
        es = await gate.broker.qualify_contract(careless)
        assert es.multiplier == 50.0
        spec = gate.broker.contract_spec(es)
        assert spec is not None
        assert (spec.multiplier, spec.size_increment) == (50.0, 1.0)
        wrong = careless.qualified(es.con_id)  # the right id, the caller's multiplier 1
        assert (await gate.place(wrong, OrderRequest.market(Side.BUY, 2))).triggered == (
            "economics_mismatch",
        )
        decision = await gate.place(es, OrderRequest.market(Side.BUY, 2))
        assert decision.inputs is not None
        assert decision.inputs.position_value == pytest.approx(2 * 5000.0 * 50)
        assert not decision.allowed  # 500k on a 1M account: past the 20 % position limit
        assert (await gate.place(es, OrderRequest.market(Side.BUY, 1e-9))).triggered == (
            "size_increment",
        )
        await gateway.disconnect()


async def test_a_foreign_order_counts_is_audited_and_the_global_cancel_reaches_it() -> None:
    """A TWS order appears: it reserves exposure, raises order.foreign; the kill cancels it."""
    async with FakeIBGateway(prices={"AAPL": 200.0}) as fake:
        journal = MemoryJournal()
        gateway, gate = await _gate(fake, journal=journal)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        assert (await gate.place(aapl, OrderRequest.limit(Side.BUY, 5, 199.0))).allowed
        fake.inject_foreign_order("AAPL", "BUY", 90, limit_price=195.0)
        await eventually(lambda: bool(journal.of_type(ForeignOrder)))
        (alert,) = journal.of_type(ForeignOrder)
        assert alert.quantity == 90
        assert gate.exposure(aapl).buying == 95
        assert [h.foreign for h in gate.broker.open_orders()].count(True) == 1
        report = await gate.kill_switch(who="ops", why="foreign order seen")
        assert len(report.cancelled) == 2
        await eventually(lambda: not gate.broker.open_orders())
        await eventually(lambda: gate.exposure(aapl).buying == 0)
        assert all(
            fake.order_status(order_id) == "Cancelled"
            for order_id in (o.order_id for o in fake.placed if not o.what_if)
        )
        await gateway.disconnect()


@pytest.mark.parametrize(
    ("order_type", "tif", "limit_price"),
    [("REL", "DAY", None), ("VWAP", "DAY", None), ("LMT", "DTC", 250.0)],
)
async def test_a_foreign_order_hydra_cannot_model_counts_as_a_market_order(
    order_type: str, tif: str, limit_price: float | None
) -> None:
    """A TWS order of a type or TIF HYDRA lacks counts as a market order, audited and killed."""
    async with FakeIBGateway(prices={"AAPL": 200.0}) as fake:
        journal = MemoryJournal()
        gateway, gate = await _gate(fake, journal=journal)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        fake.inject_foreign_order(
            "AAPL", "SELL", 30, order_type=order_type, tif=tif, limit_price=limit_price
        )
        await eventually(lambda: bool(journal.of_type(ForeignOrder)))
        (alert,) = journal.of_type(ForeignOrder)
        assert (alert.side, alert.quantity) == (Side.SELL, 30)
        (foreign,) = [h for h in gate.broker.open_orders() if h.foreign]
        assert foreign.request.order_type is OrderType.MARKET
        assert gate.exposure(aapl).selling == 30
        report = await gate.kill_switch(who="ops", why="foreign order seen")
        assert report.cancelled == (foreign.order_id,)
        await eventually(lambda: gate.exposure(aapl).selling == 0)
        await gateway.disconnect()
