"""The gate's reads: views of the broker and breakers, status, exposure and checkpoint.

``RiskGate`` inherits them; nothing here changes the gate.
"""

from __future__ import annotations

import dataclasses

from hydra.application.audit import AuditListener, AuditTrail
from hydra.application.config import GateConfig
from hydra.application.decisions import GateStatus, OrderDecision
from hydra.application.desk import Desk
from hydra.application.exposure import ExposureLedger, LedgerEntry
from hydra.application.judge import Judge
from hydra.application.outbox import Outbox
from hydra.application.ports import BrokerPort, Unsubscribe
from hydra.application.records import Checkpoint, LedgerPosition
from hydra.application.session import SessionTracker
from hydra.application.views import BreakersView, BrokerView
from hydra.domain import (
    AccountLimits,
    CircuitBreakerManager,
    Clock,
    Instrument,
    OrderLimits,
    TradingState,
)
from hydra.domain.limit_checker import OrderLimitChecker

__all__ = ["GateReads"]


class GateReads:
    """The gate's read-only surface (``RiskGate`` inherits it)."""

    _account_limits: AccountLimits | None
    _audit: AuditTrail
    _breakers: CircuitBreakerManager
    _breakers_view: BreakersView
    _broker: BrokerPort
    _clock: Clock
    _config: GateConfig
    _desk: Desk
    _judge: Judge
    _ledger: ExposureLedger
    _limits: OrderLimitChecker | None
    _outbox: Outbox
    _session: SessionTracker
    _view: BrokerView

    @property
    def broker(self) -> BrokerView:
        """Read-only view of the broker (positions, account, qualify, cancel, state)."""
        return self._view

    @property
    def breakers(self) -> BreakersView:
        """Read-only view of the breakers (reset them through ``reset_breaker``, audited)."""
        return self._breakers_view

    @property
    def config(self) -> GateConfig:
        """The gate's own settings."""
        return self._config

    @property
    def trading_state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self._desk.state

    @property
    def last_decision(self) -> OrderDecision | None:
        """The decision on the most recent submit attempt."""
        decisions = self._outbox.decisions
        return decisions[-1] if decisions else None

    @property
    def decisions(self) -> tuple[OrderDecision, ...]:
        """Recent decisions, oldest first (bounded by ``config.history``)."""
        return tuple(self._outbox.decisions)

    @property
    def account_limits(self) -> AccountLimits | None:
        """The account-wide rules' settings (None: those rules are off)."""
        return self._account_limits

    def limits_for(self, instrument: Instrument) -> OrderLimits | None:
        """The per-order limits that apply to ``instrument`` (None: the limits are off).

        The most specific of the table's overrides wins; ``max_position_fraction`` is
        filled in from the breakers' when no override sets it.
        """
        if self._limits is None:
            return None
        own = self._limits.for_instrument(instrument)
        if own.max_position_fraction is None:
            fraction = self._breakers.config.max_position_fraction
            own = dataclasses.replace(own, max_position_fraction=fraction)
        return own

    def exposure(self, instrument: Instrument) -> LedgerEntry:
        """The ledger's view of one instrument: position, working buys and sells (a copy)."""
        spec = self._broker.contract_spec(instrument)
        key = (spec.con_id,) if spec is not None else instrument.key
        return dataclasses.replace(self._ledger.entry(key))

    def status(self) -> GateStatus:
        """Trading state, connection, every breaker, the limits and the checks in force."""
        return GateStatus(
            self._desk.state,
            self._broker.connection_state,
            self._breakers.status(),
            self._limits.limits if self._limits else None,
            self._config.derive_inputs,
            self._session.start,
            self._session.start_equity,
            self._session.peak,
            self._judge.names,
        )

    def checkpoint(self) -> Checkpoint:
        """The gate's memory as a journal checkpoint (each new journal segment opens with one).

        Reads only: trading state, latched trips, session, peak, configuration version and
        the ledger's exposure by contract id.
        """
        session = self._session
        return Checkpoint(
            time=self._clock(),
            state=self._desk.state,
            trips=self._breakers.latched,
            session_start=session.start,
            session_equity=session.start_equity,
            peak_equity=session.peak,
            config_version=self._audit.config_version,
            ledger=tuple(
                LedgerPosition(con_id, entry.position, entry.buying, entry.selling)
                for con_id, entry in self._ledger.held()
            ),
        )

    def subscribe(self, listener: AuditListener) -> Unsubscribe:
        """Receive every audit record the gate makes, typed (``hydra.application.records``).

        A listener that raises is logged and never blocks trading. Returns the function
        that unsubscribes.
        """
        return self._audit.subscribe(listener)
