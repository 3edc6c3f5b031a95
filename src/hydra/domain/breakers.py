"""Circuit breakers: the seed's four account-level risk rules, with memory.

``CircuitBreakerManager.check_trade`` judges five numbers about the account and the order
and says whether the order may go. The arguments, their units and signs:

==================  ==================================================================
argument            meaning
==================  ==================================================================
``daily_pnl``       P&L since the session start as a signed FRACTION of start-of-session
                    equity: -0.05 is a 5 % loss, +0.01 a 1 % gain. Any finite number.
``peak_equity``     highest account equity seen (account currency); finite, > 0.
``current_equity``  account equity now (net liquidation, account currency); finite, > 0.
``position_value``  absolute market value of the position in the instrument AFTER this
                    order would fill (account currency); finite, >= 0.
``trade_loss``      loss of the single trade being judged (or the last closed trade) as a
                    non-negative FRACTION of current equity: 0.01 is a 1 % loss; 0 for none.
==================  ==================================================================

Default thresholds (``BreakerConfig``):

=================  ==========================  =======  ==================================
breaker            trips when                  default  memory once tripped
=================  ==========================  =======  ==================================
``daily_loss``     daily_pnl <= limit          -0.02    latched until the next session
                                                        boundary (America/New_York 00:00)
``drawdown``       (peak-current)/peak >= max  0.10     latched until ``reset(name, reason)``
``position_size``  position_value/current_     0.20     none: blocks that order only
                   equity > max
``trade_loss``     trade_loss >= max           0.01     cooldown (15 min), then re-arms
=================  ==========================  =======  ==================================

A loss breaker trips when the loss *reaches* its limit; the size limit when it is *exceeded*.
What reduces risk can always leave: an order that shrinks the position (counting working
orders, never flipping it) passes a tripped loss breaker and the size limit, unless
``block_reducing`` is set (then a tripped loss breaker blocks reductions too).
Invalid inputs (NaN, infinity, zero or negative equity, negative position value or trade
loss) raise ``InvalidInputError`` naming the argument; the RiskGate turns that into a block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from math import isfinite as _isfinite
from typing import NamedTuple

from hydra.domain._slots import slot_init
from hydra.domain._unique import Unique
from hydra.domain._validate import finite, non_negative, positive
from hydra.domain.clock import Clock, SessionSchedule, system_clock
from hydra.domain.errors import (
    CapabilityAlreadyClaimedError,
    InvalidInputError,
    PermissionDeniedError,
)

__all__ = [
    "Breach",
    "BreakerConfig",
    "BreakerControl",
    "BreakerInputs",
    "BreakerName",
    "BreakerState",
    "BreakerStatus",
    "BreakerVerdict",
    "CircuitBreakerManager",
    "LatchedTrip",
    "TradeCheck",
    "judge",
]


class BreakerName(StrEnum):
    """The four circuit breakers, by their stable names."""

    DAILY_LOSS = "daily_loss"
    DRAWDOWN = "drawdown"
    POSITION_SIZE = "position_size"
    TRADE_LOSS = "trade_loss"


class BreakerState(StrEnum):
    """ACTIVE: armed and clear. TRIPPED: latched, blocking. COOLDOWN: blocking until re-armed."""

    ACTIVE = "ACTIVE"
    TRIPPED = "TRIPPED"
    COOLDOWN = "COOLDOWN"


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """Every breaker threshold in one place; see the module docstring for the table."""

    daily_loss_limit: float = field(
        default=-0.02,
        metadata={
            "doc": "daily P&L fraction of session-start equity that trips (until the session ends)"
        },
    )
    max_drawdown: float = field(
        default=0.10,
        metadata={"doc": "drawdown fraction from the peak that trips (stays until reset)"},
    )
    max_position_fraction: float = field(
        default=0.20, metadata={"doc": "position value / equity above which an order is blocked"}
    )
    max_trade_loss: float = field(
        default=0.01,
        metadata={"doc": "single-trade loss fraction of equity that trips (then cools down)"},
    )
    trade_loss_cooldown: timedelta = field(
        default=timedelta(minutes=15),
        metadata={"doc": "how long the trade-loss breaker cools down"},
    )
    session: SessionSchedule = field(default_factory=SessionSchedule)
    block_reducing: bool = field(
        default=False,
        metadata={"doc": "a tripped loss breaker blocks reductions too (outside REDUCING)"},
    )

    def __post_init__(self) -> None:
        limit = finite("breakers.daily_loss_limit", self.daily_loss_limit)
        if not -1.0 < limit < 0.0:
            raise InvalidInputError(
                "breakers.daily_loss_limit", "must be a loss fraction in (-1, 0)", limit
            )
        for name in ("max_drawdown", "max_trade_loss"):
            value = positive(f"breakers.{name}", getattr(self, name))
            if value >= 1.0:
                raise InvalidInputError(f"breakers.{name}", "must be a fraction in (0, 1)", value)
        positive("breakers.max_position_fraction", self.max_position_fraction)
        if not isinstance(self.trade_loss_cooldown, timedelta) or self.trade_loss_cooldown < (
            timedelta(0)
        ):
            raise InvalidInputError(
                "breakers.trade_loss_cooldown",
                "must be a non-negative duration",
                self.trade_loss_cooldown,
            )
        if not isinstance(self.block_reducing, bool):
            raise InvalidInputError(
                "breakers.block_reducing", "must be true or false", self.block_reducing
            )

    def threshold(self, name: BreakerName) -> float:
        """The threshold the named breaker compares against."""
        return {
            BreakerName.DAILY_LOSS: self.daily_loss_limit,
            BreakerName.DRAWDOWN: self.max_drawdown,
            BreakerName.POSITION_SIZE: self.max_position_fraction,
            BreakerName.TRADE_LOSS: self.max_trade_loss,
        }[name]


_INPUT_CHECKS = (
    ("daily_pnl", finite),
    ("peak_equity", positive),
    ("current_equity", positive),
    ("position_value", non_negative),
    ("trade_loss", non_negative),
)


@slot_init
@dataclass(frozen=True, slots=True)
class BreakerInputs:
    """The five numbers ``check_trade`` judges, validated (units in the module docstring)."""

    daily_pnl: float
    peak_equity: float
    current_equity: float
    position_value: float
    trade_loss: float

    def __post_init__(self) -> None:
        d, p, c, v, t = (
            self.daily_pnl,
            self.peak_equity,
            self.current_equity,
            self.position_value,
            self.trade_loss,
        )
        # perf: gate_pass (the gate builds one per order; +2.6 % instructions without it):
        # five plain floats in range. A sum is finite only if every term is (an overflow
        # merely falls through to the full check).
        if (
            type(d) is float
            and type(p) is float
            and type(c) is float
            and type(v) is float
            and type(t) is float
            and p > 0.0
            and c > 0.0
            and v >= 0.0
            and t >= 0.0
            and _isfinite(d + p + c + v + t)
        ):
            return
        object.__setattr__(self, "daily_pnl", finite("daily_pnl", self.daily_pnl))
        object.__setattr__(self, "peak_equity", positive("peak_equity", self.peak_equity))
        object.__setattr__(self, "current_equity", positive("current_equity", self.current_equity))
        object.__setattr__(
            self, "position_value", non_negative("position_value", self.position_value)
        )
        object.__setattr__(self, "trade_loss", non_negative("trade_loss", self.trade_loss))

    @property
    def drawdown(self) -> float:
        """Fall from peak as a fraction of peak; 0 when equity is at or above the peak."""
        return max(0.0, (self.peak_equity - self.current_equity) / self.peak_equity)

    @property
    def position_fraction(self) -> float:
        """Position value as a fraction of current equity."""
        return self.position_value / self.current_equity


INPUT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(BreakerInputs))
"""The five inputs' names, in ``check_trade``'s order (the seed's five floats)."""


@dataclass(frozen=True, slots=True)
class Breach:
    """One breaker blocking one order: what it saw, what it compared against, and why."""

    breaker: BreakerName
    value: float
    limit: float
    message: str
    latched: bool = False

    @property
    def code(self) -> str:
        """Stable reason code for audit records, e.g. ``breaker.daily_loss``."""
        return f"breaker.{self.breaker.value}"


class TradeCheck(NamedTuple):
    """The seed's result: ``allowed, triggered = manager.check_trade(...)``."""

    allowed: bool
    triggered: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BreakerVerdict:
    """The full decision of the breakers for one order, breaches included."""

    breaches: tuple[Breach, ...]

    @property
    def allowed(self) -> bool:
        """True when no breaker blocks."""
        return not self.breaches

    @property
    def triggered(self) -> tuple[str, ...]:
        """Names of the breakers that block, in breaker order."""
        return tuple(b.breaker.value for b in self.breaches)


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """One breaker's state for ``status()``: value last seen, threshold, since when."""

    name: BreakerName
    state: BreakerState
    value: float | None
    threshold: float
    since: datetime | None
    until: datetime | None
    reason: str

    def as_json(self) -> dict[str, object]:
        """JSON-ready fields, for reports and the CLI."""
        return {
            "name": self.name.value,
            "state": self.state.value,
            "value": self.value,
            "threshold": self.threshold,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LatchedTrip:
    """A breaker's remembered trip; enough to restore it after a restart."""

    breaker: BreakerName
    since: datetime
    value: float
    reason: str


def _value_of(inputs: BreakerInputs | None, name: BreakerName) -> float | None:
    """The value a breaker last judged (None before the first judgement)."""
    if inputs is None:
        return None
    if name is BreakerName.DAILY_LOSS:
        return inputs.daily_pnl
    if name is BreakerName.DRAWDOWN:
        return inputs.drawdown
    if name is BreakerName.POSITION_SIZE:
        return inputs.position_fraction
    return inputs.trade_loss


def judge(
    inputs: BreakerInputs, config: BreakerConfig, max_position_fraction: float | None = None
) -> tuple[Breach, ...]:
    """Pure rule: the breaches these inputs cause under ``config``, without memory.

    ``max_position_fraction`` is the instrument's own position-size threshold (None:
    the config's). The four comparisons are made once; a Breach (and its message) is
    built only for a breaker that trips, so inputs that trip nothing cost four
    comparisons.
    """
    equity, peak = inputs.current_equity, inputs.peak_equity
    largest = (
        config.max_position_fraction if max_position_fraction is None else max_position_fraction
    )
    daily = inputs.daily_pnl <= config.daily_loss_limit
    drawdown = (peak - equity) / peak >= config.max_drawdown
    fraction = inputs.position_value / equity > largest
    trade = inputs.trade_loss >= config.max_trade_loss
    if not (daily or drawdown or fraction or trade):
        return ()
    breaches: list[Breach] = []
    if daily:
        breaches.append(
            Breach(
                BreakerName.DAILY_LOSS,
                inputs.daily_pnl,
                config.daily_loss_limit,
                f"daily P&L {inputs.daily_pnl:.4%} at or below limit {config.daily_loss_limit:.2%}",
            )
        )
    if drawdown:
        value = inputs.drawdown
        breaches.append(
            Breach(
                BreakerName.DRAWDOWN,
                value,
                config.max_drawdown,
                f"drawdown {value:.4%} from peak at or above max {config.max_drawdown:.2%}",
            )
        )
    if fraction:
        value = inputs.position_fraction
        breaches.append(
            Breach(
                BreakerName.POSITION_SIZE,
                value,
                largest,
                f"position {value:.4%} of equity above max {largest:.2%}",
            )
        )
    if trade:
        breaches.append(
            Breach(
                BreakerName.TRADE_LOSS,
                inputs.trade_loss,
                config.max_trade_loss,
                f"trade loss {inputs.trade_loss:.4%} of equity at or above max "
                f"{config.max_trade_loss:.2%}",
            )
        )
    return tuple(breaches)


_LATCHING = (BreakerName.DAILY_LOSS, BreakerName.DRAWDOWN, BreakerName.TRADE_LOSS)
# perf: gate_block_breaker: read on every decision with a latched trip (see hydra.domain._members)
_DAILY_LOSS, _TRADE_LOSS = BreakerName.DAILY_LOSS, BreakerName.TRADE_LOSS


class CircuitBreakerManager(Unique):
    """The four breakers with memory; time comes from the injected ``clock``.

    ``check_trade`` is the seed's API. ``evaluate`` returns the full verdict, ``status``
    every breaker's state, and ``reset`` re-arms a latched breaker deliberately.
    """

    def __init__(self, config: BreakerConfig | None = None, clock: Clock | None = None) -> None:
        self._config = config if config is not None else BreakerConfig()
        self._clock: Clock = clock if clock is not None else system_clock
        self._trips: dict[BreakerName, LatchedTrip] = {}
        self._new_trips: list[LatchedTrip] = []
        self._last_inputs: BreakerInputs | None = None
        # The daily-loss trip's end, computed once per trip. perf: gate_block_breaker
        self._daily_end: tuple[LatchedTrip, datetime] | None = None
        # The verdict while only latched trips block (no fresh breach): every order gets
        # the same one until a trip is added, expires or is reset.
        self._latched: BreakerVerdict | None = None
        self._owned = False

    @property
    def owned(self) -> bool:
        """True once a RiskGate owns these breakers (re-arming then goes through the gate)."""
        return self._owned

    def claim_control(self) -> BreakerControl:
        """Hand the re-arming controls (reset, restore) to one owner, once.

        From then on ``reset`` and ``restore`` on the manager refuse: re-arming a breaker
        is a risk decision, and its owner (the RiskGate) audits who did it and why.

        Raises:
            CapabilityAlreadyClaimedError: another owner claimed them before.
        """
        if self._owned:
            raise CapabilityAlreadyClaimedError(
                "these circuit breakers already belong to a RiskGate (one gate per manager)"
            )
        self._owned = True
        return BreakerControl(self)

    @property
    def config(self) -> BreakerConfig:
        """The thresholds in force."""
        return self._config

    def check_trade(
        self,
        daily_pnl: float,
        peak_equity: float,
        current_equity: float,
        position_value: float,
        trade_loss: float,
    ) -> TradeCheck:
        """Judge one order: ``(allowed, triggered breaker names)``; invalid input raises."""
        verdict = self.evaluate(daily_pnl, peak_equity, current_equity, position_value, trade_loss)
        return TradeCheck(verdict.allowed, verdict.triggered)

    def evaluate(
        self,
        daily_pnl: float,
        peak_equity: float,
        current_equity: float,
        position_value: float,
        trade_loss: float,
    ) -> BreakerVerdict:
        """Judge one order and remember trips; see the module docstring for units."""
        inputs = BreakerInputs(daily_pnl, peak_equity, current_equity, position_value, trade_loss)
        return self.evaluate_inputs(inputs)

    def evaluate_inputs(
        self, inputs: BreakerInputs, max_position_fraction: float | None = None
    ) -> BreakerVerdict:
        """As ``evaluate``, for already-validated inputs.

        ``max_position_fraction`` is the instrument's own position-size threshold (the
        gate passes its per-instrument limit; None: the config's).
        """
        self._last_inputs = inputs
        fresh = judge(inputs, self._config, max_position_fraction)
        if not fresh and not self._trips:
            return _CLEAR  # nothing trips and nothing is latched: no time to read
        now = self._clock()
        self._expire(now)
        if not fresh:
            if not self._trips:
                return _CLEAR
            # perf: gate_block_breaker (+4.7 % instructions without it): while only latched
            # trips block, every order gets the same verdict until a trip changes.
            latched = self._latched
            if latched is None:
                latched = self._latched = BreakerVerdict(
                    tuple(
                        sorted(
                            (self._remembered(trip) for trip in self._trips.values()),
                            key=lambda b: _ORDER[b.breaker],
                        )
                    )
                )
            return latched
        fresh_names = {b.breaker for b in fresh}
        for breach in fresh:
            if breach.breaker in _LATCHING and breach.breaker not in self._trips:
                trip = LatchedTrip(breach.breaker, now, breach.value, breach.message)
                self._trips[breach.breaker] = trip
                self._latched = None
                self._new_trips.append(trip)
        remembered = [
            self._remembered(trip)
            for trip in self._trips.values()
            if trip.breaker not in fresh_names
        ]
        return BreakerVerdict(tuple(sorted((*fresh, *remembered), key=lambda b: _ORDER[b.breaker])))

    def _remembered(self, trip: LatchedTrip) -> Breach:
        """The breach a latched trip stands for (built once per trip: it blocks many orders)."""
        return Breach(
            trip.breaker,
            trip.value,
            self._config.threshold(trip.breaker),
            f"{trip.breaker.value} tripped at {trip.since.isoformat()}: {trip.reason}",
            latched=True,
        )

    @property
    def latched(self) -> tuple[LatchedTrip, ...]:
        """Breakers currently tripped or cooling down (after expiring old trips)."""
        self._expire(self._clock())
        return tuple(self._trips.values())

    def take_new_trips(self) -> list[LatchedTrip]:
        """Trips latched since the last call (for the audit trail), oldest first."""
        trips, self._new_trips = self._new_trips, []
        return trips

    def restore(self, trips: Iterable[LatchedTrip]) -> None:
        """Re-establish trips remembered from a previous run (expired ones are dropped).

        Raises:
            PermissionDeniedError: a RiskGate owns these breakers (use ``gate.restore``).
        """
        self._refuse_when_owned("restore", "gate.restore(records) before the first order")
        self._restore(trips)

    def _restore(self, trips: Iterable[LatchedTrip]) -> None:
        for trip in trips:
            if trip.breaker not in _LATCHING:
                raise InvalidInputError("trip.breaker", "does not latch", trip.breaker)
            self._trips[trip.breaker] = trip
        self._latched = None
        self._expire(self._clock())

    def reset(self, name: BreakerName | str, reason: str) -> BreakerStatus:
        """Deliberately re-arm a breaker; ``reason`` is required and recorded by the caller.

        Raises:
            PermissionDeniedError: a RiskGate owns these breakers (use ``gate.reset_breaker``).
        """
        self._refuse_when_owned("reset", "gate.reset_breaker(name, who=..., why=...)")
        return self._reset(name, reason)

    def _refuse_when_owned(self, action: str, instead: str) -> None:
        if self._owned:
            raise PermissionDeniedError(
                f"cannot {action} breakers a RiskGate owns: the gate audits who and why; "
                f"use {instead}"
            )

    def _reset(self, name: BreakerName | str, reason: str) -> BreakerStatus:
        try:
            breaker = BreakerName(name)
        except ValueError:
            known = ", ".join(b.value for b in BreakerName)
            raise InvalidInputError("name", f"must be one of {known}", name) from None
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInputError("reason", "a reset needs a reason", reason)
        self._trips.pop(breaker, None)
        self._latched = None
        return self._status_of(breaker)

    def status(self) -> tuple[BreakerStatus, ...]:
        """Every breaker's state, last value seen, threshold and since/until when."""
        self._expire(self._clock())
        return tuple(self._status_of(name) for name in BreakerName)

    def _status_of(self, name: BreakerName) -> BreakerStatus:
        trip = self._trips.get(name)
        threshold = self._config.threshold(name)
        value = _value_of(self._last_inputs, name)
        if trip is None:
            return BreakerStatus(name, BreakerState.ACTIVE, value, threshold, None, None, "")
        if name is BreakerName.TRADE_LOSS:
            until = trip.since + self._config.trade_loss_cooldown
            return BreakerStatus(
                name, BreakerState.COOLDOWN, value, threshold, trip.since, until, trip.reason
            )
        until_boundary = (
            self._config.session.next_boundary(trip.since)
            if name is BreakerName.DAILY_LOSS
            else None
        )
        return BreakerStatus(
            name, BreakerState.TRIPPED, value, threshold, trip.since, until_boundary, trip.reason
        )

    def _daily_until(self, trip: LatchedTrip) -> datetime:
        """When a daily-loss trip expires: the next session boundary after it (cached)."""
        # perf: gate_block_breaker (+11.6 % instructions without the cache)
        cached = self._daily_end
        if cached is None or cached[0] is not trip:
            # In UTC: comparing with the (UTC) clock then needs no time-zone lookup.
            boundary = self._config.session.next_boundary(trip.since).astimezone(UTC)
            cached = self._daily_end = (trip, boundary)
        return cached[1]

    def _expire(self, now: datetime) -> None:
        if not self._trips:
            return
        daily = self._trips.get(_DAILY_LOSS)
        if daily is not None and now >= self._daily_until(daily):
            del self._trips[_DAILY_LOSS]
            self._latched = None
        cooling = self._trips.get(_TRADE_LOSS)
        if cooling is not None and now >= cooling.since + self._config.trade_loss_cooldown:
            del self._trips[_TRADE_LOSS]
            self._latched = None


_CLEAR = BreakerVerdict(())
_ORDER = {name: index for index, name in enumerate(BreakerName)}


class BreakerControl(Unique):
    """The owner's handle on a manager's re-arming controls (see ``claim_control``)."""

    __slots__ = ("__manager",)

    def __init__(self, manager: CircuitBreakerManager) -> None:
        self.__manager = manager

    def reset(self, name: BreakerName | str, reason: str) -> BreakerStatus:
        """Re-arm a breaker (the owner audits it)."""
        return self.__manager._reset(name, reason)

    def restore(self, trips: Iterable[LatchedTrip]) -> None:
        """Re-establish remembered trips (the owner audits it)."""
        self.__manager._restore(trips)
