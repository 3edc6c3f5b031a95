"""IB's own Python client (ibapi 10.x, ``ibapi-stable``) runs every flow against the fake.

ibapi is threaded: the client connects and runs its message loop in worker threads while
the gateway serves on the test's event loop. Its decoder reads fields lazily and only
reports a short message (error 320/BAD_MESSAGE), so the harness decodes each message
itself and fails the test on a short message, a left-over field or a decoder exception.
"""

from __future__ import annotations

import math

import pytest
from ibapi.execution import ExecutionFilter
from ibapi.order_cancel import OrderCancel

from hydra.testing import DEFAULT_INSTRUMENTS, FakeIBGateway
from hydra.testing import _wire_account as wire_account

from .ibapi_kit import Apps, future, order, stock, until

pytestmark = pytest.mark.integration


async def test_connect_qualify_market_data_and_history(
    apps: Apps, fake_gateway: FakeIBGateway
) -> None:
    """Ibapi negotiates 178, qualifies, streams every tick field and gets bars."""
    fake_gateway.set_price("AAPL", 100.0)
    app = await apps.connect()
    assert app.serverVersion() == 178
    app.reqContractDetails(1, stock("AAPL"))
    await until(lambda: ("details", 1) in app.done)
    [details] = app.details[1]
    assert (details.contract.conId, details.marketRuleIds, details.minTick) == (265598, "26", 0.01)

    app.reqMktData(
        2, stock("AAPL"), "", snapshot=False, regulatorySnapshot=False, mktDataOptions=[]
    )
    await until(lambda: 8 in app.ticks.get(2, {}))
    assert {k: app.ticks[2][k] for k in (1, 2, 4, 6, 7, 9)} == {
        1: 99.99,
        2: 100.01,
        4: 100.0,
        6: 100.0,
        7: 100.0,
        9: 100.0,
    }
    app.reqHistoricalData(
        3, stock("AAPL"), "", "2 D", "1 day", "TRADES", 1, 1, keepUpToDate=False, chartOptions=[]
    )
    await until(lambda: ("history", 3) in app.done)
    assert [bar.date for bar in app.bars[3]][-1].isdigit()
    assert len(app.bars[3]) == 2
    assert app.bars[3][-1].close == 100.0


async def test_place_modify_cancel_executions_positions_account(
    apps: Apps, fake_gateway: FakeIBGateway
) -> None:
    """Orders fill at the touch, modify, cancel; executions, positions, summary answer."""
    fake_gateway.set_price("AAPL", 100.0)
    app = await apps.connect()
    buy = app.take_id()
    app.placeOrder(buy, stock("AAPL"), order("BUY", 10))
    await until(lambda: app.statuses.get(buy) == "Filled")
    assert app.avg_price[buy] == 100.01
    resting = app.take_id()
    app.placeOrder(resting, stock("AAPL"), order("BUY", 5, "LMT", lmtPrice=90.0))
    await until(lambda: app.statuses.get(resting) == "Submitted")
    app.placeOrder(resting, stock("AAPL"), order("BUY", 5, "LMT", lmtPrice=101.0))
    await until(lambda: app.statuses.get(resting) == "Filled")
    doomed = app.take_id()
    app.placeOrder(doomed, stock("AAPL"), order("SELL", 1, "LMT", lmtPrice=150.0))
    await until(lambda: app.statuses.get(doomed) == "Submitted")
    app.cancelOrder(doomed, OrderCancel())
    await until(lambda: app.statuses.get(doomed) == "Cancelled")

    app.reqExecutions(7, ExecutionFilter())
    await until(lambda: ("executions", 7) in app.done)
    assert sorted(float(e.shares) for e in app.executions) == [5.0, 5.0, 10.0, 10.0]
    assert set(app.commissions) == {1.0}
    app.reqPositions()
    await until(lambda: ("positions", 0) in app.done)
    assert app.positions == {"AAPL": 15.0}
    app.reqAccountSummary(8, "All", "NetLiquidation,TotalCashValue")
    await until(lambda: ("summary", 8) in app.done)
    assert float(app.summary["TotalCashValue"]) == 100_000.0 - 10 * 100.01 - 5 * 100.0 - 2.0


async def test_bracket_what_if_and_invalid_numbers(apps: Apps, fake_gateway: FakeIBGateway) -> None:
    """A bracket waits for its parent; whatIf answers margins; a NaN order gets 201."""
    fake_gateway.set_price("AAPL", 105.0)
    app = await apps.connect()
    parent, profit, loss = app.take_id(), app.take_id(), app.take_id()
    app.placeOrder(parent, stock("AAPL"), order("BUY", 10, "LMT", lmtPrice=100.0, transmit=False))
    app.placeOrder(
        profit,
        stock("AAPL"),
        order("SELL", 10, "LMT", lmtPrice=110.0, parentId=parent, transmit=False),
    )
    app.placeOrder(loss, stock("AAPL"), order("SELL", 10, "STP", auxPrice=90.0, parentId=parent))
    await until(lambda: app.statuses.get(parent) == "Submitted")
    assert (app.statuses[profit], app.statuses[loss]) == ("PreSubmitted", "PreSubmitted")
    fake_gateway.set_price("AAPL", 99.0)
    await until(lambda: app.statuses.get(parent) == "Filled" and app.statuses[loss] == "Submitted")
    fake_gateway.set_price("AAPL", 89.0)
    await until(lambda: app.statuses.get(loss) == "Filled")
    await until(lambda: app.statuses.get(profit) == "Cancelled")

    preview = app.take_id()
    app.placeOrder(preview, stock("AAPL"), order("BUY", 4, whatIf=True))
    await until(lambda: any(oid == preview for oid, _, _ in app.open_orders))
    [state] = [s for oid, _, s in app.open_orders if oid == preview]
    assert (float(state.initMarginChange), state.commissionAndFees) == (178.0, 1.0)
    assert preview not in app.statuses

    bad = app.take_id()
    app.placeOrder(bad, stock("AAPL"), order("BUY", math.nan, "LMT", lmtPrice=10.0))
    await until(lambda: any(req == bad for req, _, _ in app.errors))
    assert [code for req, code, _ in app.errors if req == bad] == [201]


async def test_new_order_types_hours_margin_and_tick_236_in_ibs_own_client(
    apps: Apps, fake_gateway: FakeIBGateway
) -> None:
    """A TRAIL LIMIT with GTD echoes, ES details carry hours, whatIf margin, tick 236."""
    fake_gateway.set_price("ESZ6", 6000.0)
    fake_gateway.set_price("AAPL", 100.0)
    app = await apps.connect()
    es = future("ES", "202612")
    app.reqContractDetails(1, es)
    await until(lambda: ("details", 1) in app.done)
    [details] = app.details[1]
    assert (details.contract.localSymbol, details.minTick, details.timeZoneId) == (
        "ESZ6",
        0.25,
        "US/Central",
    )
    assert details.tradingHours.count(";") == 6
    trail = app.take_id()
    app.placeOrder(
        trail,
        es,
        order(
            "SELL",
            1,
            "TRAIL LIMIT",
            auxPrice=10.0,
            lmtPriceOffset=0.5,
            tif="GTD",
            goodTillDate="20261231 16:00:00 US/Central",
            outsideRth=True,
            orderRef="stop",
        ),
    )
    await until(lambda: app.statuses.get(trail) == "Submitted")
    [(_, sent, _)] = [o for o in app.open_orders if o[0] == trail]
    assert (sent.trailStopPrice, sent.lmtPriceOffset, sent.goodTillDate) == (
        5990.0,
        0.5,
        "20261231 16:00:00 US/Central",
    )
    assert (sent.outsideRth, sent.orderRef) == (True, "stop")
    preview = app.take_id()
    app.placeOrder(preview, es, order("BUY", 2, whatIf=True))
    await until(lambda: any(oid == preview for oid, _, _ in app.open_orders))
    [state] = [s for oid, _, s in app.open_orders if oid == preview]
    assert float(state.initMarginChange) == 40_000.0
    app.reqMktData(
        2, stock("AAPL"), "236", snapshot=False, regulatorySnapshot=False, mktDataOptions=[]
    )
    await until(lambda: 89 in app.ticks.get(2, {}) and 46 in app.ticks[2])
    assert (app.ticks[2][46], app.ticks[2][89]) == (3.0, 10_000_000.0)


async def test_option_chains_decode_in_ibs_own_client(apps: Apps) -> None:
    """IB's client reads reqSecDefOptParams' answer field by field, then its end."""
    app = await apps.connect()
    app.reqSecDefOptParams(7, "AAPL", "", "STK", 265598)
    await until(lambda: ("chains", 7) in app.done)
    chains = sorted(app.chains[7])
    assert [c[:4] for c in chains] == [
        ("CBOE", 265598, "AAPL", "100"),
        ("SMART", 265598, "AAPL", "100"),
    ]
    assert all(c[4] == {"20261218", "20270115"} for c in chains)
    assert all(c[5] == {190.0, 200.0, 210.0} for c in chains)


async def test_global_cancel_unsupported_request_and_reconnect(
    apps: Apps, fake_gateway: FakeIBGateway
) -> None:
    """Global cancel spans clients; an unsupported request errors; a reconnect replays."""
    fake_gateway.set_price("AAPL", 100.0)
    trader = await apps.connect(client_id=1)
    resting = trader.take_id()
    trader.placeOrder(resting, stock("AAPL"), order("BUY", 1, "LMT", lmtPrice=50.0))
    await until(lambda: trader.statuses.get(resting) == "Submitted")
    operator = await apps.connect(client_id=9)
    operator.reqHistogramData(11, stock("AAPL"), useRTH=False, timePeriod="1 week")
    await until(lambda: operator.errors)
    assert [(req, code) for req, code, _ in operator.errors] == [(11, 503)]
    operator.reqGlobalCancel(OrderCancel())
    await until(lambda: trader.statuses.get(resting) == "Cancelled")

    await fake_gateway.kill()
    await until(lambda: not trader.isConnected())
    await fake_gateway.restart()
    again = await apps.connect(client_id=1)
    again.reqAllOpenOrders()
    await until(lambda: ("open", 0) in again.done)
    assert again.open_orders == []
    again.reqExecutions(3, ExecutionFilter())
    await until(lambda: ("executions", 3) in again.done)
    assert again.executions == []


async def test_strict_decoder_catches_short_and_long_messages(
    apps: Apps, fake_gateway: FakeIBGateway
) -> None:
    """The harness reports a truncated and an overlong message, so a bad layout fails."""
    app = await apps.connect()
    full = wire_account.position("DU1", DEFAULT_INSTRUMENTS[0], 1.0, 1.0)
    fake_gateway.send_raw(1, [*full, "extra"])
    fake_gateway.send_raw(1, full[:5])
    await until(lambda: len(app.problems) == 2)
    assert "extra fields" in app.problems[0]
    assert "message 61" in app.problems[1]
    app.problems.clear()
