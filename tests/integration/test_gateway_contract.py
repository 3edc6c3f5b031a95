"""The BrokerContract suite over BrokerGateway + the real ib_async client + FakeIBGateway.

Below it, what only the IB path has: the wire of an order list, read from what the fake
received (``fake.placed``: every placeOrder as parsed off the socket), and an amendment IB
reads only after the order filled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hydra.application import RiskGate
from hydra.domain import CircuitBreakerManager, Instrument, OrderRequest, OrderStatus, Side
from hydra.testing import FakeIBGateway, PlacedOrder
from hydra.testing.contract import BrokerContract
from hydra.testing.contract_kit import (
    aapl_at_200,
    broker_caught_up,
    buy_bracket,
    eventually,
    filled,
)
from tests.integration.gateway_harness import SIM_PRICES, GatewayHarness, connected_harness

pytestmark = pytest.mark.integration


@pytest.fixture
async def fake_gateway() -> AsyncIterator[FakeIBGateway]:
    """A started FakeIBGateway filling market orders at the reference price, like the simulator.

    It starts from the simulator's prices too, so an option's underlying has one. The
    adapter contract holds the simulator and the IB path to the same fills; touch fills
    (the gateway's default) are pinned in test_fake_gateway_market.py.
    """
    gateway = FakeIBGateway(port=0, market_fill="last", prices=SIM_PRICES)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.fixture
async def gateway_harness(fake_gateway: FakeIBGateway) -> AsyncIterator[GatewayHarness]:
    """A BrokerGateway connected to the fake as the trading client."""
    async with connected_harness(fake_gateway) as harness:
        yield harness


class TestBrokerGatewayContract(BrokerContract):
    """BrokerGateway honours the BrokerPort contract, over a real socket."""

    @pytest.fixture
    def harness(self, gateway_harness: GatewayHarness) -> GatewayHarness:
        """The gateway harness, under the name the contract asks for."""
        return gateway_harness


@pytest.fixture
async def ib(gateway_harness: GatewayHarness) -> tuple[GatewayHarness, RiskGate, Instrument]:
    """The harness, a gate over its gateway, and AAPL qualified at 200."""
    gate = RiskGate(gateway_harness.broker, CircuitBreakerManager())
    return gateway_harness, gate, await aapl_at_200(gateway_harness, gate)


def _sent(fake: FakeIBGateway, *order_ids: int) -> list[PlacedOrder]:
    """The orders (not previews) the fake received under ``order_ids``, in arrival order."""
    return [p for p in fake.placed if not p.what_if and p.order_id in order_ids]


async def test_a_bracket_goes_out_held_until_its_last_leg_with_children_on_the_entry(
    ib: tuple[GatewayHarness, RiskGate, Instrument],
) -> None:
    """Entry, take-profit, stop in order; children parentId = entry, OCA-linked; transmit last."""
    harness, gate, aapl = ib
    fake = harness.fake
    legs = await buy_bracket(gate, aapl, 4, 190.0, 199.0, 185.0)
    ids = tuple(leg.order_id for leg in legs)
    await eventually(lambda: len(_sent(fake, *ids)) == 3)
    entry, take_profit, stop_loss = _sent(fake, *ids)
    assert [p.order_id for p in (entry, take_profit, stop_loss)] == list(ids)
    assert [p.order_type for p in (entry, take_profit, stop_loss)] == ["LMT", "LMT", "STP"]
    assert [p.parent_id for p in (entry, take_profit, stop_loss)] == [0, ids[0], ids[0]]
    assert [p.transmit for p in (entry, take_profit, stop_loss)] == [False, False, True]
    assert entry.oca_group == ""
    assert take_profit.oca_group == stop_loss.oca_group != ""
    assert (take_profit.oca_type, stop_loss.oca_type) == (1, 1)
    # An amended child goes out on its own id, still under its entry and in its group.
    assert await gate.modify(legs[2], stop_price=187.0) is legs[2]
    await broker_caught_up(harness, aapl)
    amended = _sent(fake, ids[2])[-1]
    assert (amended.aux_price, amended.parent_id, amended.transmit) == (187.0, ids[0], True)
    assert (amended.oca_group, amended.oca_type) == (stop_loss.oca_group, 1)


async def test_an_oca_group_goes_out_held_until_its_last_leg_every_leg_in_the_group(
    ib: tuple[GatewayHarness, RiskGate, Instrument],
) -> None:
    """Three OCA legs: each carries ocaGroup and ocaType 1, no parent; only the last transmits."""
    harness, gate, aapl = ib
    fake = harness.fake
    legs = await gate.submit_oca(
        [
            (aapl, OrderRequest.limit(Side.BUY, 2, 195.0)),
            (aapl, OrderRequest.stop(Side.BUY, 2, 205.0)),
            (aapl, OrderRequest.limit(Side.BUY, 2, 193.0)),
        ],
        group="contract-wire",
    )
    assert legs is not None
    ids = tuple(leg.order_id for leg in legs)
    await eventually(lambda: len(_sent(fake, *ids)) == 3)
    sent = _sent(fake, *ids)
    assert [p.order_id for p in sent] == list(ids)
    assert [(p.oca_group, p.oca_type, p.parent_id) for p in sent] == [("contract-wire", 1, 0)] * 3
    assert [p.transmit for p in sent] == [False, False, True]
    await eventually(lambda: all(leg.status is OrderStatus.SUBMITTED for leg in legs))
    assert {fake.order_status(order_id) for order_id in ids} == {"Submitted"}


async def test_an_amendment_ib_refuses_does_not_stand_in_the_handle(
    ib: tuple[GatewayHarness, RiskGate, Instrument],
) -> None:
    """A buy of 3 filled before IB reads its raise to 6 (104): the handle shows 3, as IB did."""
    harness, gate, aapl = ib
    handle = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 3, 195.0))
    assert handle is not None
    await eventually(lambda: handle.status is OrderStatus.SUBMITTED)
    await gate.modify(handle, quantity=6)
    harness.set_price("AAPL", 195.0)  # the fake fills 3 before it reads the raise
    await filled(handle)
    await broker_caught_up(harness, aapl)  # the 104 has come back
    assert harness.fake.positions()["AAPL"][0] == handle.filled == 3
    assert handle.request.quantity == 3
    assert handle.remaining == 0
    assert "amendment refused by IB (error 104)" in handle.message


async def test_an_amendment_ib_confirms_stands_whatever_ib_says_later(
    ib: tuple[GatewayHarness, RiskGate, Instrument],
) -> None:
    """Once IB's openOrder echoes the raise to 6, a later error leaves the handle at 6."""
    harness, gate, aapl = ib
    handle = await gate.submit(aapl, OrderRequest.limit(Side.BUY, 3, 190.0))
    assert handle is not None
    await eventually(lambda: handle.status is OrderStatus.SUBMITTED)
    await gate.modify(handle, quantity=6)
    await broker_caught_up(harness, aapl)  # IB has read the raise and echoed it
    harness.fake.send_order_error(1, handle.order_id, 105, "does not match the original order")
    await broker_caught_up(harness, aapl)  # the error has come back
    assert handle.request.quantity == 6
    assert handle.remaining == 6
    assert handle.status is OrderStatus.SUBMITTED
