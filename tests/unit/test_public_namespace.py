"""The public surface: what users touch, flat in `hydra` and in `hydra.domain`; no internals."""

from __future__ import annotations

from importlib import import_module

import pytest

import hydra
import hydra.domain
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate

DOMAIN_PUBLIC = {
    # values users build
    "Instrument",
    "SecurityType",
    "ContractSpec",
    "OrderRequest",
    "OrderType",
    "Side",
    "TimeInForce",
    # rules users configure, and what they pass to them
    "CircuitBreakerManager",
    "BreakerConfig",
    "BreakerName",
    "OrderLimits",
    "TradingState",
    "SessionSchedule",
    "ManualClock",
    "Clock",
    "ClientRole",
    # what users read on handles, statuses and decisions
    "OrderStatus",
    "Fill",
    "BreakerState",
    "BreakerStatus",
    "BreakerInputs",
    "Reason",
    "ConnectionState",
    "Position",
    "AccountSnapshot",
    # what an adapter author needs beyond that (the BrokerPort's signatures)
    "OrderEvent",
    "Quote",
    # errors users catch
    "HydraError",
    "InvalidInputError",
    "ConfigError",
    "BrokerError",
    "BrokerNotConnectedError",
    "UnknownInstrumentError",
    "UnknownOrderError",
    "OrderRejectedError",
    "PermissionDeniedError",
    "LiveTradingNotAllowedError",
    "CapabilityAlreadyClaimedError",
    "NotCopyableError",
    "JournalError",
    "JournalAccountError",
    "JournalDamagedError",
    "JournalLockedError",
    "AmbiguousContractError",
    "ContractChain",
    "Right",
    "OrderLeg",
    "MarginImpact",
    "MarginModel",
    "Session",
    "TradingHours",
    "AccountLimits",
    "LimitTable",
}

DOMAIN_INTERNAL = {
    "judge": "hydra.domain.breakers",
    "Breach": "hydra.domain.breakers",
    "BreakerVerdict": "hydra.domain.breakers",
    "BreakerControl": "hydra.domain.breakers",
    "LatchedTrip": "hydra.domain.breakers",
    "TradeCheck": "hydra.domain.breakers",
    "OrderLimitChecker": "hydra.domain.limit_checker",
    "RestingOrder": "hydra.domain.limits",
    "shrinks_position": "hydra.domain.trading_state",
    "system_clock": "hydra.domain.clock",
    "Unique": "hydra.domain._unique",
}


def test_every_public_name_resolves_to_its_home() -> None:
    """Each name in hydra.__all__ imports and is the very object of its defining module."""
    for name in hydra.__all__:
        assert getattr(hydra, name) is not None, name
    assert hydra.RiskGate is RiskGate
    assert hydra.SimulatedBroker is SimulatedBroker


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name hydra does not export raises AttributeError naming it."""
    with pytest.raises(AttributeError, match="NoSuchThing"):
        hydra.NoSuchThing  # noqa: B018


def test_the_domain_exports_exactly_what_users_touch() -> None:
    """hydra.domain.__all__ is the agreed public set, and every name in it resolves."""
    assert set(hydra.domain.__all__) == DOMAIN_PUBLIC
    assert len(hydra.domain.__all__) == len(DOMAIN_PUBLIC)  # no duplicates
    for name in hydra.domain.__all__:
        assert getattr(hydra.domain, name) is not None, name


def test_every_public_domain_name_is_in_the_flat_namespace() -> None:
    """What the domain makes public, `from hydra import ...` gives too: the same object."""
    assert set(hydra.domain.__all__) <= set(hydra.__all__)
    for name in hydra.domain.__all__:
        assert getattr(hydra, name) is getattr(hydra.domain, name), name


def test_domain_machinery_is_not_re_exported() -> None:
    """Internals stay out of hydra.domain and live only in their defining module."""
    for name, home in DOMAIN_INTERNAL.items():
        assert name not in hydra.domain.__all__, name
        assert not hasattr(hydra.domain, name), name
        assert name not in hydra.__all__, name
        assert hasattr(import_module(home), name), (name, home)


def test_the_seed_import_paths_keep_working() -> None:
    """The design brief's seed paths still give the gate, the gateway and the breakers."""
    from hydra.domain import CircuitBreakerManager  # noqa: PLC0415
    from hydra.execution import BrokerGateway, RiskGate  # noqa: PLC0415
    from hydra.risk.circuit_breakers import CircuitBreakerManager as Seed  # noqa: PLC0415

    assert Seed is CircuitBreakerManager
    assert RiskGate is hydra.RiskGate
    assert BrokerGateway is hydra.BrokerGateway


def test_the_contract_suite_ships_in_hydra_testing() -> None:
    """Users subclass hydra.testing.BrokerContract for their own adapters."""
    from hydra.testing import BrokerContract, contract  # noqa: PLC0415  (the lazy name)

    assert BrokerContract is contract.BrokerContract
    assert any(name.startswith("test_") for name in dir(BrokerContract))
