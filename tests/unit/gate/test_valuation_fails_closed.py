"""Valuation that cannot decide blocks: an unpriced underlying, an unpriced holding."""

from __future__ import annotations

from hydra.adapters.sim import DEFAULT_INSTRUMENTS, SimulatedBroker
from hydra.adapters.sim.catalog import occ_symbol
from hydra.application import RiskGate
from hydra.domain import (
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderRequest,
    Right,
    SecurityType,
    Side,
)

from .desk import NY_MORNING

CALL = Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=210.0, right=Right.CALL)


async def _gate(broker: SimulatedBroker, clock: ManualClock) -> RiskGate:
    await broker.connect()
    return RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)


async def test_an_option_whose_underlying_has_no_price_is_blocked() -> None:
    """The call has its own price, AAPL has none: price.missing names the underlying."""
    clock = ManualClock(NY_MORNING)
    local = occ_symbol("AAPL", "20261218", Right.CALL, 210.0)
    broker = SimulatedBroker(prices={local: 5.0}, clock=clock)
    gate = await _gate(broker, clock)
    call = await gate.broker.qualify_contract(CALL)
    assert gate.broker.reference_price(call) is not None
    decision = await gate.place(call, OrderRequest.limit(Side.BUY, 1, 5.0))
    assert not decision.allowed
    [missing] = [r for r in decision.reasons if r.name == "underlying_price_missing"]
    assert missing.code == "price.missing"
    assert "no price for the underlying of AAPL" in missing.message


async def test_a_holding_that_cannot_be_valued_blocks_the_exposure_caps() -> None:
    """A working order in an unpriced stock leaves the portfolio unvalued: exposure.unavailable."""
    clock = ManualClock(NY_MORNING)
    unpriced = Instrument("NOPX", con_id=990_001)
    broker = SimulatedBroker((*DEFAULT_INSTRUMENTS, unpriced), {"AAPL": 200.0}, clock=clock)
    gate = await _gate(broker, clock)
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    assert (await gate.place(aapl, OrderRequest.market(Side.BUY, 1))).allowed
    broker.inject_foreign_order(unpriced, OrderRequest.limit(Side.BUY, 10, 50.0))
    decision = await gate.place(aapl, OrderRequest.market(Side.BUY, 2))
    assert decision.triggered == ("exposure_unavailable",)
    assert decision.reasons[0].code == "exposure.unavailable"
    assert "no price for NOPX" in decision.reasons[0].message
