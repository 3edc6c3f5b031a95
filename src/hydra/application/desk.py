"""The desk controls: trading state, breaker reset, HALT requests and restore.

The kill switch and its flatten are in ``kill``; ``controls.DeskControls`` is the
public face of both.

Every control is journaled BEFORE it changes the gate's memory: its record is written
first, and a journal that refuses it leaves the memory as it was and raises
``JournalError`` to the caller (the refused write also halts the gate: no audit trail, no
trading). Who and why are validated at this door (printable UTF-8, bounded). ``restore``
works only on a fresh gate (nothing decided, changed or killed yet), and a journal that
was damaged or missing restores HALTED, never a fresh ACTIVE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from hydra.application.audit import AuditTrail
from hydra.application.ports import HaltRequests
from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    GateRestored,
    StateChanged,
)
from hydra.application.replay import JournalReplay, replay_journal
from hydra.application.session import SessionTracker
from hydra.domain import (
    BreakerName,
    BreakerStatus,
    Clock,
    InvalidInputError,
    JournalError,
    PermissionDeniedError,
    TradingState,
)
from hydra.domain._validate import audit_text
from hydra.domain.breakers import BreakerControl, CircuitBreakerManager
from hydra.domain.halt_request import HaltRequest

__all__ = ["Desk"]

_log = structlog.get_logger("hydra.gate")

RISK_GATE = "risk gate"
"""The ``who`` of what the gate does by itself (a halt on a damaged journal)."""


class Desk:
    """The gate's trading state and the controls an operator (or the host) uses on it.

    Args:
        breakers: the gate's breakers and the re-arming control it claimed.
        audit: the gate's audit trail.
        session: the session tracker (restored from the journal).
        clock: the gate's clock.
        halts: HALT requests ``hydra kill`` leaves when it cannot reach this trader (None:
            none are looked for).
    """

    def __init__(
        self,
        breakers: tuple[CircuitBreakerManager, BreakerControl],
        audit: AuditTrail,
        session: SessionTracker,
        clock: Clock,
        halts: HaltRequests | None = None,
    ) -> None:
        self._halts = halts
        self._breakers, self._control = breakers
        self._audit = audit
        self._session = session
        self._clock = clock
        self.state = TradingState.ACTIVE
        self.touched = False  # anything decided, changed or killed: restore is refused
        self.seq = 0

    # ------------------------------------------------------------------ state
    def set_trading_state(self, state: TradingState | str, *, who: str, why: str) -> None:
        """Change the trading state, journaled first.

        Raises:
            InvalidInputError: an unknown state, or a bad who/why.
            JournalError: the journal refused the record (nothing changed).
        """
        try:
            new = TradingState(state)
        except ValueError:
            known = ", ".join(s.value for s in TradingState)
            raise InvalidInputError("state", f"must be one of {known}", state) from None
        who, why = audit_text("who", who), audit_text("why", why)
        self._journal_first(
            StateChanged(time=self._clock(), previous=self.state, state=new, who=who, why=why)
        )
        self.touched = True
        self.state = new

    def reset_breaker(self, name: BreakerName | str, *, who: str, why: str) -> BreakerStatus:
        """Re-arm a latched breaker deliberately, journaled first.

        Raises:
            InvalidInputError: an unknown breaker, or a bad who/why.
            JournalError: the journal refused the record (the breaker stays as it was).
        """
        try:
            breaker = BreakerName(name)
        except ValueError:
            known = ", ".join(b.value for b in BreakerName)
            raise InvalidInputError("name", f"must be one of {known}", name) from None
        who, why = audit_text("who", who), audit_text("why", why)
        self._journal_first(BreakerReset(time=self._clock(), breaker=breaker, who=who, why=why))
        self.touched = True
        return self._control.reset(breaker, why)

    def take_halt_request(self, request: HaltRequest) -> bool:
        """HALT for an operator who could not reach the trader, journaled first (path broker).

        Never raises (it runs at the start of a decision): a journal that refuses the
        record halts the gate anyway, and False leaves the request for the next attempt.
        """
        record = StateChanged(
            time=self._clock(),
            previous=self.state,
            state=TradingState.HALTED,
            who=request.who,
            why=request.why,
            path="broker",
        )
        if not self._audit.record(record):
            return False
        self.touched = True
        self.state = TradingState.HALTED
        return True

    def _journal_first(self, record: AuditRecord) -> None:
        """Write a control's record before it takes effect; refuse the control if it fails."""
        if not self._audit.record(record):
            raise JournalError(
                "(the gate's journal)",
                f"{record.event} could not be journaled; nothing changed and trading is "
                "HALTED until the journal is fixed",
            )

    def journal_failed(self, record: Mapping[str, Any], exc: Exception) -> None:
        """No audit trail, no trading: HALT (the record itself still went to the log)."""
        _log.critical(
            "journal.write_failed", error=f"{type(exc).__name__}: {exc}", record=dict(record)
        )
        if self.state is not TradingState.HALTED:
            previous, self.state = self.state, TradingState.HALTED
            _log.critical(
                "gate.state_changed",
                previous=previous.value,
                state=TradingState.HALTED.value,
                who=RISK_GATE,
                why="audit journal cannot be written; trading halted until it is fixed",
            )

    # ------------------------------------------------------------------ sequence
    def begin_decision(self) -> int:
        """A decision begins: obey a waiting HALT request first; the decision's number.

        The gate is no longer fresh from here on.
        """
        if self._halts is not None:
            self.obey_halt_requests()
        self.touched = True
        self.seq += 1
        return self.seq

    def obey_halt_requests(self) -> None:
        """Obey a HALT request ``hydra kill`` left while it could not reach this trader.

        It is journaled, then the gate halts; if the journal refused the record, the
        request stays for the next attempt.
        """
        halts = self._halts
        # perf: gate_pass: the inbox stats its file at most every 50 ms (~0.2 us a
        # decision; a stat per decision would cost ~3 us).
        request = halts.pending() if halts is not None else None
        if request is not None and self.take_halt_request(request):
            halts.taken(request)  # type: ignore[union-attr]

    # ------------------------------------------------------------------ restore
    def restore(
        self, records: Iterable[Mapping[str, Any] | AuditRecord], *, damage: str | None = None
    ) -> JournalReplay:
        """Rebuild latched breakers, trading state, session and peak from a journal.

        ``damage`` says why the journal cannot be trusted whole (lost, torn or changed
        records): the gate then comes back HALTED, since a lost record may have been one.

        Raises:
            PermissionDeniedError: the gate is not fresh (it decided, changed or killed).
            InvalidInputError: a malformed record (named by position).
            JournalError: the restore record could not be journaled (nothing changed).
        """
        if self.touched:
            raise PermissionDeniedError(
                "restore is allowed only on a fresh gate (before any decision, state change "
                "or kill): it would rewrite the memory of a gate that is already trading"
            )
        replay = replay_journal(records)
        if not replay.records and damage is None:
            self.touched = True  # nothing to restore, and nothing to record
            self.obey_halt_requests()
            return replay
        self._journal_first(
            GateRestored(
                time=self._clock(),
                state=replay.trading_state,
                latched=tuple(trip.breaker for trip in replay.trips),
                peak_equity=replay.peak_equity,
            )
        )
        self.touched = True
        self._control.restore(replay.trips)
        self.state = replay.trading_state
        self._session.restore(replay.session, replay.peak_equity, self._clock())
        if damage is not None and self.state is not TradingState.HALTED:
            self.set_trading_state(TradingState.HALTED, who=RISK_GATE, why=damage)
        self.obey_halt_requests()  # one left while the trader was down
        return replay
