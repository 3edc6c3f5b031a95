"""BrokerGateway never gives up on IB: the real ib_async client against a killed FakeIBGateway."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from hydra.adapters.ib import BrokerGateway
from hydra.application import RiskGate
from hydra.domain import (
    CircuitBreakerManager,
    ConnectionState,
    Instrument,
    InvalidInputError,
    OrderRequest,
    OrderStatus,
    Side,
)
from hydra.testing import FakeIBGateway
from hydra.testing.contract import eventually
from tests.integration.gateway_harness import make_gateway

pytestmark = pytest.mark.integration

WINDOW = (0.01,) * 10
"""The seed's ten attempts, 10 ms apart: the window closes in about 0.1 s."""


async def test_the_trader_trades_again_after_an_outage_longer_than_the_backoff_window(
    fake_gateway: FakeIBGateway,
) -> None:
    """Down past the ten attempts, the gateway keeps trying, fail-closed; back up, it trades."""
    fake_gateway.set_price("AAPL", 200.0)
    gateway = make_gateway(fake_gateway, reconnect_delays=WINDOW, reconnect_jitter=0.5)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())
    aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
    assert gate.broker.reconnects == 0
    with capture_logs() as logs:
        await fake_gateway.kill()
        await eventually(lambda: gate.broker.reconnects > 25, timeout=10)
        assert gate.broker.connection_state is ConnectionState.RECONNECTING
        blocked = await gate.place(aapl, OrderRequest.market(Side.BUY, 1))
        assert [r.code for r in blocked.reasons] == ["connection.reconnecting"]
        assert fake_gateway.placed == []
        await fake_gateway.restart()
        await eventually(gateway.is_connected, timeout=10)
    attempts = [e for e in logs if e["event"] == "gateway.reconnect_attempt"]
    assert [a["attempt"] for a in attempts] == list(range(1, len(attempts) + 1))
    assert all(a["of"] == 10 for a in attempts[:10])
    persistent = [a["delay_s"] for a in attempts[10:]]
    assert all(a["of"] is None for a in attempts[10:])
    assert all(0.005 <= delay <= 0.01 for delay in persistent)  # the cap, less its jitter
    assert len(set(persistent)) > 1
    assert [e["event"] for e in logs].count("gateway.reconnect_persisting") == 1
    assert gate.broker.reconnects == len(attempts)
    handle = await gate.submit(aapl, OrderRequest.market(Side.BUY, 1))
    assert handle is not None
    assert await handle.wait(timeout=5) is OrderStatus.FILLED
    await gateway.disconnect()


async def test_disconnect_stops_the_endless_reconnect(fake_gateway: FakeIBGateway) -> None:
    """A deliberate disconnect() ends the attempts past the window; the gateway stays down."""
    gateway = make_gateway(fake_gateway, reconnect_delays=WINDOW)
    await gateway.connect()
    gate = RiskGate(gateway, CircuitBreakerManager())
    await fake_gateway.kill()
    await eventually(lambda: gateway.reconnects > 12, timeout=10)
    await gateway.disconnect()
    stopped_at = gateway.reconnects
    await fake_gateway.restart()
    await asyncio.sleep(0.3)  # thirty capped delays: an attempt would have happened
    assert gateway.reconnects == stopped_at
    assert gateway.connection_state is ConnectionState.DISCONNECTED
    assert fake_gateway.connected_client_ids() == set()
    decision = await gate.place(Instrument("AAPL", con_id=265598), OrderRequest.market(Side.BUY, 1))
    assert [r.code for r in decision.reasons] == ["connection.disconnected"]


async def test_reconnect_keeps_the_seeds_contract(fake_gateway: FakeIBGateway) -> None:
    """A host's reconnect() tries once per delay, then raises ConnectionError; all counted."""
    port = fake_gateway.port
    await fake_gateway.stop()
    gateway = make_gateway(fake_gateway, reconnect_delays=(0.0,) * 10)
    with capture_logs() as logs, pytest.raises(ConnectionError, match="after 10 attempts"):
        await gateway.reconnect()
    assert gateway.port == port
    assert gateway.reconnects == 10
    assert [e["attempt"] for e in logs if e["event"] == "gateway.reconnect_attempt"] == list(
        range(1, 11)
    )
    assert gateway.connection_state is ConnectionState.DISCONNECTED
    await asyncio.sleep(0.05)
    assert gateway.reconnects == 10  # no background attempts after the host's own call


@pytest.mark.parametrize("jitter", [-0.1, 1.0, float("nan")])
def test_reconnect_jitter_must_be_a_fraction(jitter: float) -> None:
    """The jitter is a fraction of the capped delay in [0, 1); anything else is refused."""
    with pytest.raises(InvalidInputError, match="reconnect_jitter"):
        BrokerGateway(reconnect_jitter=jitter)
