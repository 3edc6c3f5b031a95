"""Brackets and OCA groups at the fake gateway, with the real ib_async client."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import LimitOrder, Order, StopOrder

from hydra.testing import FakeIBGateway

from .ib_async_kit import WAIT, Clients, barrier, qualified, until

pytestmark = pytest.mark.integration


async def test_nothing_of_a_bracket_is_live_until_its_last_leg_arrives(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Legs with transmit=False rest PreSubmitted and never fill; the last leg sends them all."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    entry, take_profit, stop_loss = ib.bracketOrder("BUY", 10, 100.0, 110.0, 90.0)
    parent = ib.placeOrder(aapl, entry)
    profit = ib.placeOrder(aapl, take_profit)
    await barrier(ib)
    assert fake_gateway.order_status(entry.orderId) == "PreSubmitted"  # marketable, held
    assert fake_gateway.positions() == {}
    loss = ib.placeOrder(aapl, stop_loss)
    await until(lambda: parent.orderStatus.status == "Filled")
    await until(lambda: profit.orderStatus.status == loss.orderStatus.status == "Submitted")
    fake_gateway.set_price("AAPL", 89.0)
    await until(lambda: loss.orderStatus.status == "Filled")
    await until(lambda: profit.orderStatus.status == "Cancelled")
    assert fake_gateway.positions() == {}


async def test_an_oca_group_sent_held_goes_live_with_its_last_leg_and_fills_once(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """OCA legs held by transmit=False go live with the last; one fill cancels the rest."""
    fake_gateway.set_price("IBM", 200.0)
    ib = await clients.connect(fake_gateway)
    ibm = await qualified(ib, "IBM")
    legs = [
        LimitOrder("SELL", 5, 210.0, ocaGroup="exit-1", ocaType=1, transmit=False),
        StopOrder("SELL", 5, 190.0, ocaGroup="exit-1", ocaType=1, transmit=False),
        LimitOrder("SELL", 5, 215.0, ocaGroup="exit-1", ocaType=1),
    ]
    first, second = ib.placeOrder(ibm, legs[0]), ib.placeOrder(ibm, legs[1])
    await until(lambda: first.orderStatus.status == second.orderStatus.status == "PreSubmitted")
    fake_gateway.set_price("IBM", 211.0)  # the first leg's limit, but it is held
    assert fake_gateway.order_status(legs[0].orderId) == "PreSubmitted"
    third = ib.placeOrder(ibm, legs[2])
    await until(lambda: first.orderStatus.status == "Filled")
    await until(lambda: second.orderStatus.status == third.orderStatus.status == "Cancelled")
    assert fake_gateway.positions()["IBM"][0] == -5


async def test_oca_type_2_reduces_the_other_legs_by_the_fill(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """With ocaType 2 a fill of 3 takes 3 off a sibling of 5 and cancels a sibling of 2."""
    fake_gateway.set_price("MSFT", 400.0)
    ib = await clients.connect(fake_gateway)
    msft = await qualified(ib, "MSFT")
    small = ib.placeOrder(msft, LimitOrder("BUY", 3, 399.0, ocaGroup="scale", ocaType=2))
    large = ib.placeOrder(msft, LimitOrder("BUY", 5, 380.0, ocaGroup="scale", ocaType=2))
    tiny = ib.placeOrder(msft, LimitOrder("BUY", 2, 370.0, ocaGroup="scale", ocaType=2))
    await until(lambda: all(t.orderStatus.status == "Submitted" for t in (small, large, tiny)))
    fake_gateway.set_price("MSFT", 399.0)
    await until(lambda: small.orderStatus.status == "Filled")
    await until(lambda: tiny.orderStatus.status == "Cancelled")
    await until(lambda: large.orderStatus.remaining == 2)
    record = fake_gateway.order(large.order.orderId)
    assert record is not None
    assert (record.quantity, record.status) == (2.0, "Submitted")


async def test_the_global_cancel_cancels_every_leg(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A working bracket (parent resting, children waiting) and an OCA group all cancel."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    aapl = await qualified(ib, "AAPL")
    bracket = [ib.placeOrder(aapl, o) for o in ib.bracketOrder("BUY", 1, 95.0, 110.0, 90.0)]
    group = [
        ib.placeOrder(
            aapl, Order(action="SELL", totalQuantity=1, orderType=kind, ocaGroup="g", **prices)
        )
        for kind, prices in (("LMT", {"lmtPrice": 120.0}), ("MIT", {"auxPrice": 130.0}))
    ]
    await until(lambda: bracket[2].orderStatus.status == "PreSubmitted")
    ib.reqGlobalCancel()
    await until(lambda: all(t.orderStatus.status == "Cancelled" for t in bracket + group))
    assert await asyncio.wait_for(ib.reqAllOpenOrdersAsync(), WAIT) == []
