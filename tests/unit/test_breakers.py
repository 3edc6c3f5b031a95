"""Circuit breakers: the seed's defaults, units, invalid inputs, memory and status."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

import pytest

from hydra.domain import (
    BreakerConfig,
    BreakerName,
    BreakerState,
    CircuitBreakerManager,
    InvalidInputError,
    ManualClock,
    SessionSchedule,
)
from hydra.domain.breakers import LatchedTrip

OK = (0.0, 100_000.0, 100_000.0, 1_000.0, 0.0)


def test_seed_daily_loss_example_trips() -> None:
    """The seed's example: daily_pnl -0.05 against the -2 % default blocks, naming daily_loss."""
    allowed, triggered = CircuitBreakerManager().check_trade(-0.05, 100000.0, 95000.0, 1000.0, 0.0)
    assert allowed is False
    assert triggered == ("daily_loss",)


def test_healthy_inputs_pass() -> None:
    """Nothing near a threshold: allowed, nothing triggered, every breaker ACTIVE."""
    manager = CircuitBreakerManager()
    assert manager.check_trade(*OK) == (True, ())
    assert {s.state for s in manager.status()} == {BreakerState.ACTIVE}


def test_default_thresholds_match_the_documented_table() -> None:
    """Defaults: daily loss -2 %, drawdown 10 %, position 20 % of equity, trade loss 1 %."""
    config = BreakerConfig()
    assert config.daily_loss_limit == -0.02
    assert config.max_drawdown == 0.10
    assert config.max_position_fraction == 0.20
    assert config.max_trade_loss == 0.01
    assert config.trade_loss_cooldown == timedelta(minutes=15)
    assert config.session == SessionSchedule("America/New_York", time(0, 0))


@pytest.mark.parametrize(
    ("inputs", "name"),
    [
        ((-0.02, 100_000.0, 100_000.0, 0.0, 0.0), "daily_loss"),
        ((0.0, 100_000.0, 90_000.0, 0.0, 0.0), "drawdown"),
        ((0.0, 100_000.0, 100_000.0, 20_000.01, 0.0), "position_size"),
        ((0.0, 100_000.0, 100_000.0, 0.0, 0.01), "trade_loss"),
    ],
)
def test_each_breaker_trips_at_its_boundary(
    inputs: tuple[float, float, float, float, float], name: str
) -> None:
    """Losses trip on reaching the limit; position size on exceeding it."""
    assert CircuitBreakerManager().check_trade(*inputs) == (False, (name,))


def test_position_exactly_at_limit_passes() -> None:
    """A position of exactly 20 % of equity is allowed (only exceeding blocks)."""
    assert CircuitBreakerManager().check_trade(0.0, 1e5, 1e5, 20_000.0, 0.0).allowed


@pytest.mark.parametrize(
    ("index", "bad", "field"),
    [
        (0, math.nan, "daily_pnl"),
        (0, math.inf, "daily_pnl"),
        (1, 0.0, "peak_equity"),
        (1, -1.0, "peak_equity"),
        (2, 0.0, "current_equity"),
        (2, -5.0, "current_equity"),
        (2, math.nan, "current_equity"),
        (3, -1.0, "position_value"),
        (4, -0.01, "trade_loss"),
        (4, math.inf, "trade_loss"),
    ],
)
def test_invalid_inputs_raise_naming_the_argument(index: int, bad: float, field: str) -> None:
    """NaN, infinity, zero/negative equity and negative sizes raise InvalidInputError."""
    inputs = list(OK)
    inputs[index] = bad
    with pytest.raises(InvalidInputError) as caught:
        CircuitBreakerManager().check_trade(*inputs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"daily_loss_limit": 0.02}, "breakers.daily_loss_limit"),
        ({"max_drawdown": 1.5}, "breakers.max_drawdown"),
        ({"max_position_fraction": 0}, "breakers.max_position_fraction"),
        ({"max_trade_loss": math.nan}, "breakers.max_trade_loss"),
        ({"trade_loss_cooldown": timedelta(seconds=-1)}, "breakers.trade_loss_cooldown"),
    ],
)
def test_bad_config_is_refused_by_name(kwargs: dict[str, object], field: str) -> None:
    """A threshold that makes no sense is refused when the config is built."""
    with pytest.raises(InvalidInputError) as caught:
        BreakerConfig(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_daily_loss_latches_until_the_session_boundary() -> None:
    """Once tripped, daily loss blocks healthy inputs until the next New York midnight."""
    clock = ManualClock(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))  # 10:00 New York
    manager = CircuitBreakerManager(clock=clock)
    assert not manager.check_trade(-0.05, 1e5, 95_000.0, 0.0, 0.0).allowed
    clock.advance(timedelta(hours=8))  # 18:00 New York, same session
    check = manager.check_trade(*OK)
    assert check == (False, ("daily_loss",))
    status = {s.name: s for s in manager.status()}[BreakerName.DAILY_LOSS]
    assert status.state is BreakerState.TRIPPED
    assert status.until == datetime(2026, 1, 6, 5, 0, tzinfo=UTC)
    clock.advance(timedelta(hours=6, minutes=1))  # 00:01 New York next day
    assert manager.check_trade(*OK).allowed


def test_drawdown_latches_until_a_deliberate_reset() -> None:
    """Drawdown stays tripped across sessions until reset(name, reason)."""
    clock = ManualClock()
    manager = CircuitBreakerManager(clock=clock)
    assert not manager.check_trade(0.0, 100_000.0, 85_000.0, 0.0, 0.0).allowed
    clock.advance(timedelta(days=3))
    assert manager.check_trade(*OK) == (False, ("drawdown",))
    with pytest.raises(InvalidInputError, match="reason"):
        manager.reset("drawdown", "  ")
    status = manager.reset("drawdown", "risk desk reviewed the loss")
    assert status.state is BreakerState.ACTIVE
    assert manager.check_trade(*OK).allowed


def test_trade_loss_cools_down_then_rearms() -> None:
    """A single-trade loss blocks for the cooldown, then the breaker re-arms by itself."""
    clock = ManualClock()
    manager = CircuitBreakerManager(BreakerConfig(trade_loss_cooldown=timedelta(minutes=5)), clock)
    assert not manager.check_trade(0.0, 1e5, 1e5, 0.0, 0.02).allowed
    clock.advance(timedelta(minutes=4))
    assert manager.check_trade(*OK) == (False, ("trade_loss",))
    state = {s.name: s.state for s in manager.status()}
    assert state[BreakerName.TRADE_LOSS] is BreakerState.COOLDOWN
    clock.advance(timedelta(minutes=1))
    assert manager.check_trade(*OK).allowed


def test_latched_verdict_follows_every_trip_change() -> None:
    """With several trips latched, a new trip, a reset and an expiry each show at once."""
    clock = ManualClock()
    manager = CircuitBreakerManager(BreakerConfig(trade_loss_cooldown=timedelta(minutes=5)), clock)
    manager.check_trade(0.0, 100_000.0, 85_000.0, 0.0, 0.0)  # drawdown latches
    assert manager.check_trade(*OK).triggered == ("drawdown",)
    manager.check_trade(0.0, 1e5, 1e5, 0.0, 0.02)  # trade loss cools down
    assert manager.check_trade(*OK).triggered == ("drawdown", "trade_loss")
    manager.check_trade(-0.05, 1e5, 95_000.0, 0.0, 0.0)  # daily loss latches too
    assert manager.check_trade(*OK).triggered == ("daily_loss", "drawdown", "trade_loss")
    manager.reset("drawdown", "risk desk reviewed the loss")
    assert manager.check_trade(*OK).triggered == ("daily_loss", "trade_loss")
    clock.advance(timedelta(minutes=6))  # the trade-loss cooldown ends
    assert manager.check_trade(*OK).triggered == ("daily_loss",)


def test_position_size_blocks_that_order_only() -> None:
    """An oversized order is blocked, and the next normal one passes."""
    manager = CircuitBreakerManager()
    assert not manager.check_trade(0.0, 1e5, 1e5, 50_000.0, 0.0).allowed
    assert manager.check_trade(*OK).allowed


def test_latched_trips_can_be_restored_after_restart() -> None:
    """A new manager restored with a remembered drawdown trip comes back tripped."""
    clock = ManualClock()
    first = CircuitBreakerManager(clock=clock)
    first.check_trade(0.0, 100_000.0, 80_000.0, 0.0, 0.0)
    remembered = first.latched
    second = CircuitBreakerManager(clock=clock)
    second.restore(remembered)
    assert second.check_trade(*OK) == (False, ("drawdown",))
    with pytest.raises(InvalidInputError):
        second.restore([LatchedTrip(BreakerName.POSITION_SIZE, clock(), 0.5, "x")])


def test_status_reports_value_threshold_and_since() -> None:
    """status() lists all four breakers with the last value seen and the threshold."""
    clock = ManualClock()
    manager = CircuitBreakerManager(clock=clock)
    manager.check_trade(-0.03, 100_000.0, 97_000.0, 5_000.0, 0.0)
    by_name = {s.name: s for s in manager.status()}
    assert list(by_name) == list(BreakerName)
    daily = by_name[BreakerName.DAILY_LOSS]
    assert (daily.value, daily.threshold, daily.since) == (-0.03, -0.02, clock())
    assert by_name[BreakerName.POSITION_SIZE].value == pytest.approx(5_000 / 97_000)


def test_session_schedule_handles_zones_and_refuses_unknown_ones() -> None:
    """The boundary follows the configured zone's local reset time; a bad zone is refused."""
    schedule = SessionSchedule("Europe/London", time(7, 0))
    now = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)  # 06:00 London (BST)
    assert schedule.session_start(now) == datetime(2026, 6, 30, 6, 0, tzinfo=UTC)
    assert schedule.next_boundary(now) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match=r"session\.timezone"):
        SessionSchedule("Mars/Olympus")


def test_session_boundary_is_right_in_the_repeated_dst_hour() -> None:
    """On the DST fall-back night the boundary is computed in UTC, never in the past."""
    schedule = SessionSchedule("America/New_York", time(1, 30))
    now = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST, the second 01:xx
    assert schedule.session_start(now).astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert schedule.next_boundary(now) > now
