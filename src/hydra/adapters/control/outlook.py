"""Can the gate trade now? The answer the console's banner and ``hydra breakers`` show.

The trading state alone misleads: an ACTIVE gate with a tripped ``daily_loss`` breaker
takes no new risk until the next session. The outlook combines the trading state, the
broker connection (the gate fails closed while it is not connected) and every latched
breaker into one sentence and a level:

* ``open``: new risk passes the checks (each order is still judged on its own);
* ``reduce_only``: new risk is blocked (REDUCING, or a latched loss breaker);
* ``closed``: nothing passes (HALTED, or the broker is not connected).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hydra.application import GateStatus
from hydra.domain import BreakerState, BreakerStatus, ConnectionState, TradingState

__all__ = ["Blocker", "Outlook", "trading_outlook", "zone_label"]


@dataclass(frozen=True, slots=True)
class Blocker:
    """A latched breaker blocking new risk, and until when (``"reset"`` if by hand only)."""

    breaker: str
    state: str
    until: str | None
    until_text: str


@dataclass(frozen=True, slots=True)
class Outlook:
    """The gate's ability to trade now: ``level``, ``text`` and what blocks it."""

    level: str
    text: str
    new_risk: bool
    blockers: tuple[Blocker, ...]


def zone_label(timezone: str) -> str:
    """``America/New_York`` -> ``New York``: the city an operator recognises."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ")


def _until_text(until: datetime | None, now: datetime, timezone: str) -> str:
    if until is None:
        return "reset"
    local = until.astimezone(ZoneInfo(timezone))
    when = local.strftime("%H:%M")
    if until - now >= timedelta(hours=24):
        when = local.strftime("%a %d %b %H:%M")
    return f"{when} {zone_label(timezone)}"


def _blocker(status: BreakerStatus, now: datetime, timezone: str) -> Blocker:
    return Blocker(
        breaker=status.name.value,
        state=status.state.value,
        until=status.until.isoformat() if status.until else None,
        until_text=_until_text(status.until, now, timezone),
    )


def trading_outlook(status: GateStatus, now: datetime, timezone: str) -> Outlook:
    """What the gate lets through at ``now``; times are shown in the session's ``timezone``."""
    blockers = tuple(
        _blocker(b, now, timezone) for b in status.breakers if b.state is not BreakerState.ACTIVE
    )
    state = status.trading_state
    by = ", ".join(
        f"{b.breaker} until {b.until_text}" if b.until else f"{b.breaker} until reset"
        for b in blockers
    )
    if state is TradingState.HALTED:
        return Outlook("closed", "HALTED: no order passes", new_risk=False, blockers=blockers)
    if status.connection is not ConnectionState.CONNECTED:
        text = f"{state.value}: no order passes while the broker is {status.connection.value}"
        return Outlook("closed", text, new_risk=False, blockers=blockers)
    if state is TradingState.REDUCING:
        text = "REDUCING: only orders that shrink a position pass"
        if by:
            text += f"; breakers tripped: {by}"
        return Outlook("reduce_only", text, new_risk=False, blockers=blockers)
    if blockers:
        return Outlook(
            "reduce_only", f"ACTIVE: new risk blocked by {by}", new_risk=False, blockers=blockers
        )
    return Outlook("open", "ACTIVE: trading", new_risk=True, blockers=())
