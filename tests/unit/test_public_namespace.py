"""The flat public namespace: `from hydra import ...` gives what users touch, lazily."""

from __future__ import annotations

import pytest

import hydra
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate


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


def test_the_contract_suite_ships_in_hydra_testing() -> None:
    """Users subclass hydra.testing.BrokerContract for their own adapters."""
    from hydra.testing import BrokerContract, contract  # noqa: PLC0415  (the lazy name)

    assert BrokerContract is contract.BrokerContract
    assert any(name.startswith("test_") for name in dir(BrokerContract))
