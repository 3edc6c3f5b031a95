"""BrokerGateway's contract specs carry IB's trading hours, kept listed while it runs.

The real ib_async client over loopback against FakeIBGateway.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from hydra.adapters.ib import BrokerGateway
from hydra.domain import ContractSpec, Instrument, SecurityType, Session, TradingHours
from hydra.testing import FakeIBGateway, ib_hours_text
from hydra.testing.contract import eventually
from tests.integration.gateway_harness import make_gateway

pytestmark = pytest.mark.integration

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 12, 21)  # Friday 25 December is the holiday below
ES = Instrument("ES", SecurityType.FUTURE, exchange="CME", expiry="202612", multiplier=50)


def hours_of(gateway: BrokerGateway, instrument: Instrument) -> TradingHours | None:
    """The hours of a qualified instrument's spec."""
    spec = gateway.contract_spec(instrument)
    assert isinstance(spec, ContractSpec)
    return spec.hours


def closed_now(time_zone: str) -> TradingHours:
    """Three days known from today's midnight, whose one session ended an hour ago."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    midnight = now.astimezone(ZoneInfo(time_zone)).replace(hour=0, minute=0)
    session = Session(now - timedelta(hours=3), now - timedelta(hours=1))
    return TradingHours(time_zone, (session,), (session,), midnight, midnight + timedelta(days=3))


async def test_the_fake_by_default_is_open_at_any_hour_for_a_week(
    fake_gateway: FakeIBGateway,
) -> None:
    """A stock qualified now is open, regular hours too, and known for about a week."""
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    hours = hours_of(gateway, aapl)
    assert hours is not None
    now = datetime.now(UTC)
    assert hours.is_open(now, regular=True) is True
    assert hours.time_zone == "US/Eastern"
    assert hours.known_until - now > timedelta(days=6)
    await gateway.disconnect()


async def test_exchange_hours_come_through_with_holidays_and_overnight_sessions(
    fake_gateway: FakeIBGateway,
) -> None:
    """ES in Chicago: 17:00-16:00 sessions, liquid 08:30-15:00, Christmas closed."""
    fake_gateway.use_exchange_hours()
    fake_gateway.list_hours_from(MONDAY)
    fake_gateway.set_holidays({date(2026, 12, 25)})
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    es = await gateway.qualify_contract(ES)
    hours = hours_of(gateway, es)
    assert hours is not None
    monday = datetime(2026, 12, 21, tzinfo=CHICAGO)
    assert hours.known_from == monday
    assert hours.known_until == monday + timedelta(days=7)
    assert hours.is_open(monday.replace(hour=2), regular=False) is True
    assert hours.is_open(monday.replace(hour=2), regular=True) is False
    assert hours.is_open(monday.replace(hour=9), regular=True) is True
    assert hours.is_open(monday.replace(hour=16, minute=30), regular=False) is False
    christmas = datetime(2026, 12, 25, 10, tzinfo=CHICAGO)
    assert hours.is_open(christmas, regular=False) is False
    assert hours.is_open(monday - timedelta(hours=1), regular=False) is None
    await gateway.disconnect()


async def test_unreadable_hours_leave_none_and_a_warning_naming_the_contract(
    fake_gateway: FakeIBGateway,
) -> None:
    """Hours IB sends that cannot be read are unknown (None), never guessed."""
    fake_gateway.set_trading_hours("MSFT", "every weekday", "9 to 5")
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    with capture_logs() as logs:
        msft = await gateway.qualify_contract(Instrument("MSFT"))
    assert hours_of(gateway, msft) is None
    [warning] = [e for e in logs if e["event"] == "gateway.hours_unreadable"]
    assert warning["contract"] == "MSFT"
    assert warning["log_level"] == "warning"
    await gateway.disconnect()


async def test_the_listed_calendar_is_refreshed_before_it_runs_out(
    fake_gateway: FakeIBGateway,
) -> None:
    """A listing that ended at midnight is unknown now; the periodic refresh brings today."""
    week_ago = datetime.now(ZoneInfo("US/Eastern")).date() - timedelta(days=7)
    fake_gateway.list_hours_from(week_ago)
    gateway = make_gateway(fake_gateway, contract_refresh=0.2)
    await gateway.connect()
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    hours = hours_of(gateway, aapl)
    assert hours is not None
    assert hours.is_open(datetime.now(UTC), regular=False) is None  # ran off the list
    fake_gateway.list_hours_from(None)  # IB lists from today again
    await eventually(lambda: hours_of(gateway, aapl).is_open(datetime.now(UTC), regular=True))  # type: ignore[union-attr]
    fake_gateway.set_trading_hours("AAPL", *ib_hours_text(closed_now("US/Eastern")))
    await eventually(
        lambda: hours_of(gateway, aapl).is_open(datetime.now(UTC), regular=False) is False  # type: ignore[union-attr]
    )
    await gateway.disconnect()


async def test_a_reconnect_reads_the_hours_again(fake_gateway: FakeIBGateway) -> None:
    """With hours a day apart from refreshing, the reconnect alone brings the new ones."""
    gateway = make_gateway(fake_gateway, contract_refresh=86_400)
    await gateway.connect()
    aapl = await gateway.qualify_contract(Instrument("AAPL"))
    now = datetime.now(UTC)
    assert hours_of(gateway, aapl).is_open(now, regular=True) is True  # type: ignore[union-attr]
    fake_gateway.set_trading_hours("AAPL", *ib_hours_text(closed_now("US/Eastern")))
    assert await gateway.refresh_contract_details() == 1  # the explicit refresh, once
    assert hours_of(gateway, aapl).is_open(now, regular=False) is False  # type: ignore[union-attr]
    fake_gateway.set_trading_hours("AAPL", None)  # back to 24-hour days
    reconnects = gateway.reconnects
    fake_gateway.drop_connection(1)
    await eventually(lambda: gateway.reconnects > reconnects and gateway.is_connected())
    await eventually(lambda: hours_of(gateway, aapl).is_open(now, regular=True) is True)  # type: ignore[union-attr]
    await gateway.disconnect()


async def test_hours_written_in_another_zone_mean_the_same_instants(
    fake_gateway: FakeIBGateway,
) -> None:
    """A calendar built in New York time, written in 7203's Tokyo zone, reads back the same."""
    start = datetime.now(ZoneInfo("Asia/Tokyo")).replace(hour=9, minute=0, second=0, microsecond=0)
    session = Session(start.astimezone(NEW_YORK), (start + timedelta(hours=6)).astimezone(NEW_YORK))
    calendar = TradingHours(
        "America/New_York",
        (session,),
        (session,),
        session.start - timedelta(hours=2),
        session.start + timedelta(hours=20),
    )
    fake_gateway.set_trading_hours("7203", *ib_hours_text(calendar, "Asia/Tokyo"))
    gateway = make_gateway(fake_gateway)
    await gateway.connect()
    toyota = await gateway.qualify_contract(Instrument("7203", currency="JPY"))
    hours = hours_of(gateway, toyota)
    assert hours is not None
    assert hours.time_zone == "Asia/Tokyo"
    assert hours.trading == (session,)
    assert hours.is_open(start + timedelta(hours=1), regular=True) is True
    assert hours.is_open(start - timedelta(minutes=1), regular=True) is False
    await gateway.disconnect()
