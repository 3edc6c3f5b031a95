"""A strategy using only the public API, start to end, over both adapters (issue 18's walk).

ES chosen by expiry and entered with a limit; the limit amended twice; the fill protected
by a broker-held take-profit and stop in one OCA group; the stop fills and the
take-profit is cancelled; a call chosen from the option chain is bought and trailed;
everything left is flattened with reduce-only orders. Every decision is written ahead,
and the kill switch lists and cancels every working leg.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from hydra import (
    CircuitBreakerManager,
    DecisionRecord,
    Instrument,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    Right,
    RiskGate,
    SecurityType,
    Side,
    SimulatedBroker,
)
from hydra.testing import FakeIBGateway, MemoryJournal
from hydra.testing.contract_kit import eventually
from tests.integration.gateway_harness import SIM_PRICES, make_gateway

pytestmark = pytest.mark.integration

Prices = Callable[[str, float], None]
LIMITS = OrderLimits(max_notional=1_000_000.0, max_quantity=100.0)


@pytest.fixture(params=["simulator", "ib"])
async def venue(request: pytest.FixtureRequest) -> AsyncIterator[tuple[object, Prices]]:
    """A connected broker with 2M of cash (1 ES is 12.5 %), and how a test moves its prices."""
    if request.param == "simulator":
        sim = SimulatedBroker(cash=2_000_000.0)
        await sim.connect()
        yield sim, sim.set_price
        await sim.disconnect()
        return
    fake = FakeIBGateway(port=0, market_fill="last", cash=2_000_000.0, prices=SIM_PRICES)
    await fake.start()
    gateway = make_gateway(fake)
    await gateway.connect()
    try:
        yield gateway, fake.set_price
    finally:
        await gateway.disconnect()
        await fake.stop()


async def _filled(handle: object) -> None:
    await eventually(lambda: getattr(handle, "status", None) is OrderStatus.FILLED)


async def test_a_desk_strategy_from_entry_to_flat(venue: tuple[object, Prices]) -> None:
    """Enter ES by expiry, amend, protect, stop out, trail an option, flatten; all journaled."""
    broker, set_price = venue
    journal = MemoryJournal()
    breakers = CircuitBreakerManager()
    gate = RiskGate(broker, breakers, limits=LIMITS, journal=journal)  # type: ignore[arg-type]
    set_price("ESZ6", 5000.0)
    es = await gate.broker.qualify_contract(
        Instrument("ES", SecurityType.FUTURE, "CME", expiry="202612")
    )
    await eventually(lambda: gate.broker.reference_price(es) is not None)

    # Enter with a limit below the market, then amend it twice (the same broker order).
    entry = await gate.submit(es, OrderRequest.limit(Side.BUY, 1, 4990.0))
    assert entry is not None, gate.last_decision
    await eventually(lambda: entry.status is OrderStatus.SUBMITTED)
    assert await gate.modify(entry, limit_price=4992.5) is entry
    assert await gate.modify(entry, limit_price=4995.0) is entry
    set_price("ESZ6", 4994.0)
    await _filled(entry)

    # Protect the fill at the broker: take-profit and stop in one OCA group.
    protection = await gate.submit_oca(
        [
            (es, OrderRequest.limit(Side.SELL, 1, 5040.0, reduce_only=True)),
            (es, OrderRequest.stop(Side.SELL, 1, 4970.0, reduce_only=True)),
        ],
        group="es-protect",
    )
    assert protection is not None, gate.last_decision
    take_profit, stop = protection
    await eventually(lambda: stop.status is OrderStatus.SUBMITTED)
    set_price("ESZ6", 4969.0)
    await _filled(stop)
    await eventually(lambda: take_profit.status is OrderStatus.CANCELLED)

    # A call chosen from the chain: bought, then trailed 10 %.
    chain = await gate.broker.contract_chain(Instrument("AAPL", SecurityType.OPTION))
    expiry = chain.expiries[0]
    strike = min(chain.strikes, key=lambda s: abs(s - 200.0))
    call = await gate.broker.qualify_contract(
        Instrument("AAPL", SecurityType.OPTION, expiry=expiry, strike=strike, right=Right.CALL)
    )
    name = call.local_symbol or call.label
    set_price(name, 5.0)
    await eventually(lambda: gate.broker.reference_price(call) is not None)
    bought = await gate.submit(call, OrderRequest.limit(Side.BUY, 2, 5.0))
    assert bought is not None, gate.last_decision
    await _filled(bought)
    trail = await gate.submit(
        call, OrderRequest.trailing_stop(Side.SELL, 1, percent=10.0, reduce_only=True)
    )
    assert trail is not None, gate.last_decision
    await eventually(lambda: trail.status is OrderStatus.SUBMITTED)

    # The kill switch lists and cancels every working leg (the trailing stop here)...
    report = await gate.kill_switch(who="desk", why="end of the walk", flatten=False)
    assert trail.order_id in report.cancelled
    await eventually(lambda: trail.status is OrderStatus.CANCELLED)
    gate.set_trading_state("ACTIVE", who="desk", why="flatten what is left")
    # ... and what is left is flattened with reduce-only orders, which never grow it.
    await eventually(
        lambda: any(p.instrument.con_id == call.con_id for p in gate.broker.positions())
    )
    flat = await gate.submit(call, OrderRequest.market(Side.SELL, 2, reduce_only=True))
    assert flat is not None, gate.last_decision
    await _filled(flat)
    too_far = await gate.place(call, OrderRequest.market(Side.SELL, 1, reduce_only=True))
    assert too_far.triggered == ("reduce_only",)

    # Every allowed decision was written ahead, naming its broker order id.
    decisions = journal.of_type(DecisionRecord)
    allowed = [d for d in decisions if d.allowed]
    assert all(d.order_id is not None for d in allowed)
    assert [d.amends for d in allowed if d.amends is not None] == [entry.order_id] * 2
    [oca] = [d for d in allowed if d.legs]
    assert (oca.order_id, oca.legs[0].order_id) == (take_profit.order_id, stop.order_id)
