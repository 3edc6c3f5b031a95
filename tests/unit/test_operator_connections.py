"""The container wires the operator CLI's broker connections; the CLI builds none itself."""

from __future__ import annotations

import pytest

from hydra.adapters.ib import BrokerGateway
from hydra.adapters.ib.emergency import EmergencyClient
from hydra.container import build_container
from hydra.domain import InvalidInputError, PermissionDeniedError


def test_cli_gateway_is_client_3_read_only_at_the_configured_gateway() -> None:
    """`cli_gateway` is a read-only client id 3 at [broker] host/port, even for a trader config."""
    container = build_container(
        env={}, overrides={"broker": {"mode": "paper", "host": "127.0.0.2", "port": 4102}}
    )
    gateway = container.cli_gateway()
    assert isinstance(gateway, BrokerGateway)
    assert (gateway.host, gateway.port, gateway.client_id) == ("127.0.0.2", 4102, 3)
    assert gateway.readonly
    with pytest.raises(PermissionDeniedError):
        gateway.claim_submit_capability()
    assert container.cli_gateway(port=4103).port == 4103  # --port points it elsewhere


def test_emergency_client_uses_the_configured_emergency_id() -> None:
    """`emergency_client` carries [control] emergency_client_id and the broker's address."""
    container = build_container(
        env={"HYDRA_CONTROL_EMERGENCY_CLIENT_ID": "42", "HYDRA_BROKER_PORT": "4102"}
    )
    emergency = container.emergency_client()
    assert isinstance(emergency, EmergencyClient)
    assert (emergency.host, emergency.port, emergency.client_id) == ("127.0.0.1", 4102, 42)


def test_emergency_client_refuses_the_traders_id() -> None:
    """Client id 1 is the trader's: the emergency client refuses it, naming the setting."""
    with pytest.raises(InvalidInputError, match=r"control\.emergency_client_id"):
        EmergencyClient("127.0.0.1", 4002, 1)
