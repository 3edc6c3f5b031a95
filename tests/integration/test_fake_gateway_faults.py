from __future__ import annotations

import asyncio

import pytest
from ib_async import LimitOrder

from hydra.testing import FakeIBGateway

from .ib_async_kit import Clients, barrier, qualified, record_errors, until

pytestmark = pytest.mark.integration


async def test_pacing_answers_excess_messages_with_error_100(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """Past the per-second limit, each further message gets error 100 and no answer."""
    ib = await clients.connect(fake_gateway)
    ib.client.MaxRequests = 0  # ib_async's own pacing off, so the burst reaches the gateway
    errors = record_errors(ib)
    answers: list[object] = []
    ib.wrapper.currentTime = answers.append  # type: ignore[method-assign]
    await asyncio.sleep(1.05)  # the start-up requests leave the one-second window
    fake_gateway.max_messages_per_second = 10
    for _ in range(15):
        ib.client.reqCurrentTime()
    await until(lambda: len(answers) + len(errors) == 15)
    assert len(answers) == 10
    assert [code for _, code, _ in errors] == [100] * 5


async def test_pacing_off_answers_every_message(clients: Clients) -> None:
    """With max_messages_per_second=None a burst of 120 requests is answered in full."""
    async with FakeIBGateway(max_messages_per_second=None) as gateway:
        ib = await clients.connect(gateway)
        ib.client.MaxRequests = 0
        answers: list[object] = []
        ib.wrapper.currentTime = answers.append  # type: ignore[method-assign]
        for _ in range(120):
            ib.client.reqCurrentTime()
        await until(lambda: len(answers) == 120)
        await clients.close()


def test_pacing_limit_is_validated() -> None:
    """A pacing limit below 1 is refused at construction and at run time."""
    with pytest.raises(ValueError, match="max_messages_per_second"):
        FakeIBGateway(max_messages_per_second=0)
    gateway = FakeIBGateway()
    with pytest.raises(ValueError, match="max_messages_per_second"):
        gateway.max_messages_per_second = -1


async def test_drop_connection_cuts_one_client_mid_stream(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """drop_connection closes one client's socket; the other stays, the dropped reconnects."""
    fake_gateway.set_price("AAPL", 100.0)
    dropped = await clients.connect(fake_gateway, client_id=1)
    survivor = await clients.connect(fake_gateway, client_id=2)
    ticker = dropped.reqMktData(await qualified(dropped, "AAPL"))
    await until(lambda: ticker.last == 100.0)
    fake_gateway.drop_connection(1)
    await until(lambda: not dropped.isConnected())
    assert survivor.isConnected()
    await barrier(survivor)
    assert fake_gateway.connected_client_ids() == {2}
    assert fake_gateway.market_data_subscriptions() == {}
    again = await clients.connect(fake_gateway, client_id=1)
    assert again.isConnected()
    with pytest.raises(LookupError, match="client id 5"):
        fake_gateway.drop_connection(5)


async def test_connectivity_loss_and_restore_codes(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """1100 stops ticks; 1102 resumes them; 1101 drops subscriptions, as IB does."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    ticker = ib.reqMktData(await qualified(ib, "AAPL"))
    await until(lambda: ticker.last == 100.0)

    fake_gateway.lose_connectivity()
    fake_gateway.set_price("AAPL", 101.0)
    await barrier(ib)
    assert ticker.last == 100.0
    fake_gateway.restore_connectivity()
    await until(lambda: ticker.last == 101.0)

    fake_gateway.lose_connectivity()
    fake_gateway.restore_connectivity(data_lost=True)
    fake_gateway.set_price("AAPL", 102.0)
    await barrier(ib)
    assert ticker.last == 101.0
    assert fake_gateway.market_data_subscriptions() == {}
    assert [code for _, code, _ in errors] == [1100, 1102, 1100, 1101]
    assert ib.isConnected()


async def test_foreign_stop_order_triggers_for_every_client(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """A foreign stop order is reported to all clients and fills when its stop is reached."""
    fake_gateway.set_price("AAPL", 100.0)
    one = await clients.connect(fake_gateway, client_id=1)
    two = await clients.connect(fake_gateway, client_id=2)
    fake_gateway.inject_foreign_order("AAPL", "SELL", 2, order_type="STP", stop_price=95.0)
    await until(lambda: len(one.openTrades()) == len(two.openTrades()) == 1)
    fake_gateway.set_price("AAPL", 94.0)
    await until(lambda: one.trades()[0].orderStatus.status == "Filled")
    await until(lambda: two.trades()[0].orderStatus.status == "Filled")
    assert one.trades()[0].orderStatus.avgFillPrice == 93.99


async def test_position_delay_applies_to_a_second_client_too(clients: Clients) -> None:
    """The delayed position push reaches every subscribed client after the delay."""
    async with FakeIBGateway(prices={"MSFT": 10.0}, position_delay=0.1) as gateway:
        trader = await clients.connect(gateway, client_id=1)
        watcher = await clients.connect(gateway, client_id=2)
        trade = trader.placeOrder(await qualified(trader, "MSFT"), LimitOrder("BUY", 1, 11.0))
        await until(lambda: trade.orderStatus.status == "Filled")
        await barrier(watcher)
        assert watcher.positions() == []
        await until(lambda: [p.position for p in watcher.positions()] == [1.0])
        await clients.close()


async def test_refused_cancels_leave_every_order_working_until_taken_again(
    fake_gateway: FakeIBGateway, clients: Clients
) -> None:
    """refuse_cancels: a cancel gets 161, a global cancel nothing; None lets both work again."""
    fake_gateway.set_price("AAPL", 100.0)
    ib = await clients.connect(fake_gateway)
    errors = record_errors(ib)
    trade = ib.placeOrder(await qualified(ib, "AAPL"), LimitOrder("BUY", 5, 50.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    order_id = trade.order.orderId
    fake_gateway.refuse_cancels("exchange halted")
    ib.cancelOrder(trade.order)
    ib.reqGlobalCancel()
    await until(lambda: any(code == 161 for _, code, _ in errors))
    await barrier(ib)
    assert [(i, c) for i, c, _ in errors] == [(order_id, 161)]
    assert "exchange halted" in errors[0][2]
    assert fake_gateway.order_status(order_id) == "Submitted"
    fake_gateway.refuse_cancels(None)
    ib.reqGlobalCancel()
    await until(lambda: fake_gateway.order_status(order_id) == "Cancelled")
