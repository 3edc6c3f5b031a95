"""Contract economics come from the broker: multiplier, type, currency, size increment."""

from __future__ import annotations

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import (
    CircuitBreakerManager,
    ContractSpec,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderRequest,
    SecurityType,
    Side,
)

# The December contract, with the multiplier left at 1.
ES_AS_CALLER_WROTE_IT = Instrument("ES", SecurityType.FUTURE, "CME", expiry="202612")


async def _gate(clock: ManualClock, **kwargs: object) -> tuple[SimulatedBroker, RiskGate]:
    broker = SimulatedBroker(clock=clock, cash=1_000_000.0, **kwargs)  # type: ignore[arg-type]
    await broker.connect()
    return broker, RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)


async def test_a_multiplier_that_disagrees_with_the_broker_is_blocked(clock: ManualClock) -> None:
    """ES with multiplier 1 against the broker's 50 is refused as economics_mismatch."""
    _, gate = await _gate(clock)
    decision = gate.submit_with_decision(ES_AS_CALLER_WROTE_IT, OrderRequest.market(Side.BUY, 50))
    assert decision.triggered == ("economics_mismatch",)
    assert "multiplier 1.0 (broker: 50.0)" in decision.reasons[0].message


async def test_the_qualified_contract_is_valued_with_the_brokers_multiplier(
    clock: ManualClock,
) -> None:
    """The broker's ES (x50): 1 contract is 250k of 1M, so the 20 % position limit blocks it."""
    _, gate = await _gate(clock)
    es = await gate.broker.qualify_contract(ES_AS_CALLER_WROTE_IT)
    assert es.multiplier == 50.0
    decision = gate.submit_with_decision(es, OrderRequest.market(Side.BUY, 1))
    assert "position_size" in decision.triggered
    assert decision.inputs is not None
    assert decision.inputs.position_value == pytest.approx(5000.0 * 50)


async def test_an_instrument_the_broker_never_qualified_is_blocked(clock: ManualClock) -> None:
    """A contract the broker does not know has its own reason: unqualified."""
    _, gate = await _gate(clock)
    decision = gate.submit_with_decision(Instrument("ZZZZ"), OrderRequest.market(Side.BUY, 1))
    assert decision.triggered == ("unqualified",)
    assert decision.reasons[0].code == "instrument.unqualified"


async def test_a_quantity_off_the_size_increment_is_blocked(clock: ManualClock) -> None:
    """1e-9 ES, and 1.5 of a whole-contract future, are refused as size_increment."""
    _, gate = await _gate(clock)
    es = await gate.broker.qualify_contract(ES_AS_CALLER_WROTE_IT)
    for quantity in (1e-9, 1.5):
        decision = gate.submit_with_decision(es, OrderRequest.market(Side.SELL, quantity))
        assert "size_increment" in decision.triggered, quantity


async def test_a_fractional_increment_admits_its_multiples(clock: ManualClock) -> None:
    """With a 0.5 increment the broker states, 2.5 passes the size check and 2.25 does not."""
    _, gate = await _gate(clock, size_increments={"AAPL": 0.5})
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    assert gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 2.5)).allowed
    off = gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 2.25))
    assert off.triggered == ("size_increment",)


def test_contract_spec_validates_its_fields() -> None:
    """A spec with a zero increment or no contract id is refused, naming the field."""
    with pytest.raises(InvalidInputError, match=r"spec\.size_increment"):
        ContractSpec(1, "ES", SecurityType.FUTURE, "USD", 50.0, 0.0)
    with pytest.raises(InvalidInputError, match=r"spec\.con_id"):
        ContractSpec(0, "ES", SecurityType.FUTURE, "USD")
