"""What /status and /positions tell an operator: can it trade now, and the money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hydra.adapters.control.outlook import trading_outlook, zone_label
from hydra.application import GateStatus
from hydra.domain import (
    BreakerName,
    BreakerState,
    BreakerStatus,
    ConnectionState,
    TradingState,
)
from tests.control.conftest import Running
from tests.control.scenes import buy, trip_daily_loss


def _status(state: TradingState, *breakers: BreakerStatus) -> GateStatus:
    return GateStatus(
        trading_state=state,
        connection=ConnectionState.CONNECTED,
        breakers=breakers,
        limits=None,
        derive_inputs=True,
        session_start=None,
        session_start_equity=None,
        peak_equity=None,
    )


def _tripped(name: BreakerName, until: datetime | None) -> BreakerStatus:
    since = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    return BreakerStatus(name, BreakerState.TRIPPED, -0.03, -0.02, since, until, "x")


async def test_a_tripped_daily_loss_shows_in_the_outlook_until_the_session_boundary(
    running: Running,
) -> None:
    """ACTIVE with daily_loss tripped reads 'new risk blocked by daily_loss until 00:00 NY'."""
    status = (await running.client.get("/api/v1/status")).json()
    assert status["outlook"]["level"] == "open"
    assert status["outlook"]["text"] == "ACTIVE: trading"
    await trip_daily_loss(running)
    status = (await running.client.get("/api/v1/status")).json()
    assert status["trading_state"] == "ACTIVE"
    outlook = status["outlook"]
    assert outlook["level"] == "reduce_only"
    assert outlook["new_risk"] is False
    assert outlook["text"] == "ACTIVE: new risk blocked by daily_loss until 00:00 New York"
    assert [b["breaker"] for b in outlook["blockers"]] == ["daily_loss"]
    running.gate.set_trading_state("HALTED", who="t", why="t")
    halted = (await running.client.get("/api/v1/status")).json()["outlook"]
    assert (halted["level"], halted["text"]) == ("closed", "HALTED: no order passes")


async def test_reducing_and_a_lost_broker_are_their_own_answers(running: Running) -> None:
    """REDUCING says only reductions pass; a dropped broker closes everything."""
    running.gate.set_trading_state("REDUCING", who="t", why="t")
    outlook = (await running.client.get("/api/v1/status")).json()["outlook"]
    assert outlook["level"] == "reduce_only"
    assert outlook["text"] == "REDUCING: only orders that shrink a position pass"
    running.gate.set_trading_state("ACTIVE", who="t", why="t")
    running.broker.drop_connection()
    outlook = (await running.client.get("/api/v1/status")).json()["outlook"]
    assert outlook["level"] == "closed"
    assert outlook["text"] == "ACTIVE: no order passes while the broker is disconnected"


def test_drawdown_waits_for_a_reset_and_far_boundaries_name_the_day() -> None:
    """A drawdown trip lasts 'until reset'; a boundary a day or more away shows its date."""
    now = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
    drawdown = trading_outlook(
        _status(TradingState.ACTIVE, _tripped(BreakerName.DRAWDOWN, None)), now, "Europe/London"
    )
    assert drawdown.text == "ACTIVE: new risk blocked by drawdown until reset"
    far = now + timedelta(days=2)
    daily = trading_outlook(
        _status(TradingState.REDUCING, _tripped(BreakerName.DAILY_LOSS, far)), now, "Asia/Tokyo"
    )
    assert daily.text == (
        "REDUCING: only orders that shrink a position pass; "
        "breakers tripped: daily_loss until Thu 08 Jan 00:30 Tokyo"
    )
    assert zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires"


async def test_money_and_positions_are_valued_at_the_brokers_price(running: Running) -> None:
    """Equity, daily P&L (abs and %), P&L and each position's value agree with the broker."""
    await buy(running, "AAPL", 10)
    await buy(running, "MSFT", 4)
    running.broker.set_price("AAPL", 190.0)
    account = running.gate.broker.account()
    money = (await running.client.get("/api/v1/status")).json()["money"]
    start = money["session_start_equity"]
    assert money["equity"] == pytest.approx(account.net_liquidation)
    assert money["daily_pnl"] == pytest.approx(account.net_liquidation - start)
    assert money["daily_pnl_fraction"] == pytest.approx((account.net_liquidation - start) / start)
    assert money["realized_pnl"] == pytest.approx(account.realized_pnl)
    assert money["unrealized_pnl"] == pytest.approx(account.unrealized_pnl)
    body = (await running.client.get("/api/v1/positions")).json()
    assert body["currency"] == "USD"
    rows = {p["symbol"]: p for p in body["positions"]}
    aapl = rows["AAPL"]
    assert aapl["market_price"] == 190.0
    assert aapl["market_value"] == pytest.approx(10 * 190.0)
    assert aapl["unrealized_pnl"] == pytest.approx((190.0 - aapl["avg_cost"]) * 10)
    msft_price = running.broker.price("MSFT")
    assert rows["MSFT"]["market_value"] == pytest.approx(4 * (msft_price or 0.0))
    assert money["gross_exposure"] == pytest.approx(1900.0 + 4 * (msft_price or 0.0))
    assert sum(p["unrealized_pnl"] for p in rows.values()) == pytest.approx(account.unrealized_pnl)


async def test_history_charts_decisions_and_equity_per_minute(running: Running) -> None:
    """/history counts decisions per minute and carries equity samples, since the session."""
    await buy(running, "AAPL", 1)
    await trip_daily_loss(running)
    history = (await running.client.get("/api/v1/history")).json()
    assert history["session_start"] is not None
    assert sum(history["allowed"]) == 1
    assert sum(history["blocked"]) == 1
    assert len(history["time"]) == len(history["equity"]) >= 1
    assert history["equity"][-1] == pytest.approx(running.gate.broker.account().net_liquidation)


async def test_a_position_in_another_currency_is_valued_at_the_brokers_rate(
    running: Running,
) -> None:
    """Toyota in yen: value and P&L in dollars at the broker's rate; no rate, no value."""
    await buy(running, "7203", 100, currency="JPY")
    running.broker.set_price("7203", 3100.0)
    rate = running.gate.broker.exchange_rate("JPY")
    assert rate is not None
    assert rate.price < 0.1
    toyota = (await running.client.get("/api/v1/positions")).json()["positions"][0]
    assert (toyota["currency"], toyota["market_price"]) == ("JPY", 3100.0)
    assert toyota["local_market_value"] == pytest.approx(310_000.0)
    assert toyota["market_value"] == pytest.approx(310_000.0 * rate.price)
    assert toyota["unrealized_pnl"] == pytest.approx(toyota["local_unrealized_pnl"] * rate.price)
    money = (await running.client.get("/api/v1/status")).json()["money"]
    assert money["gross_exposure"] == pytest.approx(310_000.0 * rate.price)
    assert money["unvalued"] == []
    running.broker.set_rate("JPY", None)  # the broker withdraws its rate
    toyota = (await running.client.get("/api/v1/positions")).json()["positions"][0]
    assert (toyota["market_value"], toyota["local_market_value"]) == (
        None,
        pytest.approx(310_000.0),
    )
    money = (await running.client.get("/api/v1/status")).json()["money"]
    assert money["unvalued"] == ["7203"]
    assert money["gross_exposure"] == 0.0
