"""BrokerContract: one pytest suite every BrokerPort adapter must pass, written once.

Ship it against your own adapter as zarr's ``StoreTests`` are used: subclass
``BrokerContract`` in a test module and give it a ``harness`` fixture (see
``BrokerHarness``). The broker must know AAPL (contract id 265598) and accept a price for
it. pytest and pytest-asyncio are needed to run it (``pip install
'hydra-execution[testing]'``), in ``auto`` or ``strict`` asyncio mode; importing this
module imports pytest.

A subclass provides a ``harness`` fixture: the connected adapter plus the few scripting
hooks a test needs to arrange the world (set a price, reject the next order, see what
reached the broker, drop and restore the connection). The same tests then run over the
simulator and over BrokerGateway + FakeIBGateway.
"""

from __future__ import annotations

import asyncio

import pytest

from hydra.application import RiskGate
from hydra.application.records import AuditRecord, DecisionRecord, OrderSent
from hydra.domain import (
    BreakerInputs,
    CapabilityAlreadyClaimedError,
    CircuitBreakerManager,
    ConnectionState,
    Instrument,
    OrderEvent,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    Side,
    TradingState,
    UnknownInstrumentError,
    UnknownOrderError,
)
from hydra.testing.contract_kit import OK, BrokerHarness, eventually
from hydra.testing.contract_order_kinds import OrderKindsContract
from hydra.testing.contract_orders import OrderVocabularyContract
from hydra.testing.contract_valuation import ValuationContract


class BrokerContract(OrderVocabularyContract, OrderKindsContract, ValuationContract):
    """The behaviour every adapter shares. Subclasses define the ``harness`` fixture.

    Its tests carry the ``asyncio`` mark, so they run under pytest-asyncio's strict mode
    too (there, make ``harness`` a ``@pytest_asyncio.fixture`` when it is async).
    """

    pytestmark = pytest.mark.asyncio

    @pytest.fixture
    def gate(self, harness: BrokerHarness) -> RiskGate:
        """A RiskGate over the adapter under test."""
        return RiskGate(harness.broker, CircuitBreakerManager())  # type: ignore[arg-type]

    async def test_connected_after_connect(self, harness: BrokerHarness) -> None:
        """A connected adapter reports it, in both forms."""
        broker = harness.broker
        assert broker.is_connected()  # type: ignore[attr-defined]
        assert broker.connection_state is ConnectionState.CONNECTED  # type: ignore[attr-defined]

    async def test_qualify_known_and_unknown(self, gate: RiskGate) -> None:
        """A known symbol comes back with its contract id; an unknown one raises."""
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        assert aapl.symbol == "AAPL"
        assert aapl.con_id == 265598
        with pytest.raises(UnknownInstrumentError):
            await gate.broker.qualify_contract(Instrument("NOSUCHSYM"))

    async def test_market_order_fills_and_shows_in_positions_and_account(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A market buy fills at the reference price; position and equity reflect it."""
        harness.set_price("AAPL", 200.0)
        before = gate.broker.account()
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 10), *OK)
        assert handle is not None
        assert await handle.wait(timeout=5) is OrderStatus.FILLED
        assert handle.filled == 10
        assert handle.avg_fill_price == 200.0
        await eventually(lambda: bool(gate.broker.positions()))
        [position] = gate.broker.positions()
        assert (position.symbol, position.quantity) == ("AAPL", 10)
        await eventually(lambda: gate.broker.account().cash < before.cash)
        after = gate.broker.account()
        assert after.cash <= before.cash - 2000.0

    async def test_decision_record_names_the_id_the_broker_uses(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """The write-ahead record's reserved order id is the id the broker gives the order."""
        records: list[AuditRecord] = []
        gate.subscribe(records.append)
        harness.set_price("AAPL", 200.0)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        first = await gate.submit(aapl, OrderRequest.market(Side.BUY, 1), *OK)
        second = await gate.submit(aapl, OrderRequest.market(Side.SELL, 1), *OK)
        assert first is not None
        assert second is not None
        reserved = [r.order_id for r in records if isinstance(r, DecisionRecord)]
        assert reserved == [first.order_id, second.order_id]
        assert first.order_id != second.order_id
        await eventually(lambda: second.order_id in harness.received())
        assert not [r for r in records if isinstance(r, OrderSent)]  # no correction needed

    async def test_limit_order_rests_then_cancels(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A limit below the market rests (SUBMITTED) until cancelled (CANCELLED)."""
        harness.set_price("MSFT", 400.0)
        msft = await gate.broker.qualify_contract(Instrument("MSFT"))
        handle = await gate.submit(msft, OrderRequest.limit(Side.BUY, 5, 390.0), *OK)
        assert handle is not None
        await eventually(lambda: handle.status is OrderStatus.SUBMITTED)
        assert [h.order_id for h in gate.broker.open_orders()] == [handle.order_id]
        await gate.cancel(handle)
        assert await handle.wait(timeout=5) is OrderStatus.CANCELLED
        assert gate.broker.open_orders() == []
        with pytest.raises(UnknownOrderError):
            await gate.cancel(handle)

    async def test_limit_order_fills_when_price_crosses(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A resting sell limit fills once the price rises to it, at that price."""
        harness.set_price("IBM", 250.0)
        ibm = await gate.broker.qualify_contract(Instrument("IBM"))
        handle = await gate.submit(ibm, OrderRequest.limit(Side.SELL, 2, 255.0), *OK)
        assert handle is not None
        await eventually(lambda: handle.status is OrderStatus.SUBMITTED)
        harness.set_price("IBM", 256.0)
        assert await handle.wait(timeout=5) is OrderStatus.FILLED
        assert handle.avg_fill_price == 256.0
        await eventually(lambda: bool(gate.broker.positions()))
        assert gate.broker.positions()[0].quantity == -2

    async def test_rejected_order_reaches_handle_with_message(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A broker rejection ends the handle REJECTED carrying the broker's reason."""
        harness.set_price("AAPL", 200.0)
        harness.reject_next("insufficient margin")
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 1), *OK)
        assert handle is not None
        assert await handle.wait(timeout=5) is OrderStatus.REJECTED
        assert "insufficient margin" in handle.message

    async def test_blocked_order_never_reaches_the_broker(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """An order the breakers block is not sent: the broker's own record proves it."""
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        before = harness.received()
        result = await gate.submit(
            aapl, OrderRequest.market(Side.BUY, 1), -0.05, 1e5, 95_000.0, 0.0, 0.0
        )
        assert result is None
        await asyncio.sleep(0.05)
        assert harness.received() == before

    async def test_capability_is_claimable_once(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """With a gate in place, claiming the submit capability again raises."""
        with pytest.raises(CapabilityAlreadyClaimedError):
            harness.broker.claim_submit_capability()  # type: ignore[attr-defined]

    async def test_events_reach_subscribers(self, harness: BrokerHarness, gate: RiskGate) -> None:
        """Subscribers see the order's status changes, the fill among them."""
        events: list[OrderEvent] = []
        unsubscribe = harness.broker.subscribe(events.append)  # type: ignore[attr-defined]
        harness.set_price("AAPL", 200.0)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 3), *OK)
        assert handle is not None
        await handle.wait(timeout=5)
        unsubscribe()
        mine = [e for e in events if e.order_id == handle.order_id]
        assert mine[-1].status is OrderStatus.FILLED
        assert any(e.fill is not None and e.fill.quantity == 3 for e in mine)

    async def test_gate_blocks_while_disconnected_and_recovers(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A dropped connection blocks orders, restored they flow; the reconnect is counted."""
        harness.set_price("AAPL", 200.0)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        assert gate.broker.reconnects == 0
        await harness.drop()
        await eventually(lambda: not gate.broker.is_connected())
        before = harness.received()
        assert await gate.submit(aapl, OrderRequest.market(Side.BUY, 1), *OK) is None
        assert gate.last_decision is not None
        assert gate.last_decision.reasons[0].code.startswith("connection.")
        assert harness.received() == before
        await harness.restore()
        await eventually(gate.broker.is_connected, timeout=10)
        assert gate.broker.reconnects >= 1
        handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 1), *OK)
        assert handle is not None
        assert await handle.wait(timeout=5) is OrderStatus.FILLED

    async def test_kill_switch_halts_and_cancels_every_open_order(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """The kill switch halts the gate and cancels every working order at the broker."""
        harness.set_price("MSFT", 400.0)
        msft = await gate.broker.qualify_contract(Instrument("MSFT"))
        handles = [
            await gate.submit(msft, OrderRequest.limit(Side.BUY, qty, price), *OK)
            for qty, price in ((5, 390.0), (3, 391.0))
        ]
        assert all(h is not None for h in handles)
        await eventually(lambda: len(gate.broker.open_orders()) == 2)
        report = await gate.kill_switch(who="contract", why="kill switch over every adapter")
        assert gate.trading_state is TradingState.HALTED
        assert sorted(report.cancelled) == sorted(h.order_id for h in handles if h)
        for handle in handles:
            assert handle is not None
            assert await handle.wait(timeout=5) is OrderStatus.CANCELLED
        before = harness.received()
        assert await gate.submit(msft, OrderRequest.market(Side.BUY, 1), *OK) is None
        assert harness.received() == before

    async def test_per_order_limits_block_before_the_broker(self, harness: BrokerHarness) -> None:
        """Quantity, notional and collar limits block at the gate on every adapter."""
        gate = RiskGate(
            harness.broker,  # type: ignore[arg-type]
            CircuitBreakerManager(),
            limits=OrderLimits(max_quantity=100, max_notional=10_000.0, price_collar=0.05),
        )
        harness.set_price("AAPL", 200.0)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        await eventually(lambda: gate.broker.reference_price(aapl) is not None)
        before = harness.received()
        cases = {
            "max_quantity": OrderRequest.limit(Side.BUY, 101, 200.0),
            "max_notional": OrderRequest.market(Side.BUY, 60),
            "price_collar": OrderRequest.limit(Side.BUY, 1, 180.0),
        }
        for name, order in cases.items():
            decision = await gate.place(aapl, order)
            assert name in decision.triggered, (name, decision.reasons)
        assert harness.received() == before
        within = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 10, 199.0), *OK)
        assert within is not None

    async def test_a_tripped_loss_breaker_lets_reductions_out(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """With daily_loss latched, a buy on a long is blocked and a reducing sell fills."""
        harness.set_price("AAPL", 200.0)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        await eventually(lambda: gate.broker.reference_price(aapl) is not None)
        opened = await gate.submit(aapl, OrderRequest.market(Side.BUY, 20), *OK)
        assert opened is not None
        assert await opened.wait(timeout=5) is OrderStatus.FILLED
        await eventually(lambda: bool(gate.broker.positions()))
        equity = gate.broker.account().net_liquidation
        trip = await gate.place(
            aapl,
            OrderRequest.market(Side.BUY, 1),
            inputs=BreakerInputs(-0.05, equity, equity, 4_000.0, 0.0),
        )
        assert "daily_loss" in trip.triggered
        assert "daily_loss" in (await gate.place(aapl, OrderRequest.market(Side.BUY, 1))).triggered
        out = await gate.place(aapl, OrderRequest.market(Side.SELL, 5))
        assert out.allowed, out.reasons
        assert out.handle is not None
        assert await out.handle.wait(timeout=5) is OrderStatus.FILLED
        flip = await gate.place(aapl, OrderRequest.market(Side.SELL, 40))
        assert "daily_loss" in flip.triggered
