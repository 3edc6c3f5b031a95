"""The desk controls: trading state, breaker reset, kill switch, flatten and restore.

Every control is journaled BEFORE it changes the gate's memory: its record is written
first, and a journal that refuses it leaves the memory as it was and raises
``JournalError`` to the caller (the refused write also halts the gate: no audit trail, no
trading). Who and why are validated at this door (printable UTF-8, bounded). ``restore``
works only on a fresh gate (nothing decided, changed or killed yet), and a journal that
was damaged or missing restores HALTED, never a fresh ACTIVE.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from hydra.application.audit import AuditTrail
from hydra.application.context import ContextBuilder
from hydra.application.decisions import KillReport
from hydra.application.exposure import ExposureLedger
from hydra.application.orders import OrderHandle
from hydra.application.outbox import Outbox
from hydra.application.ports import BrokerPort, HaltRequests
from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    GateRestored,
    KillRecord,
    StateChanged,
)
from hydra.application.replay import JournalReplay, replay_journal
from hydra.application.session import SessionTracker
from hydra.domain import (
    BreakerName,
    BreakerStatus,
    BrokerError,
    Clock,
    ConnectionState,
    InvalidInputError,
    JournalError,
    OrderRequest,
    PermissionDeniedError,
    Side,
    TradingState,
)
from hydra.domain._validate import audit_text
from hydra.domain.breakers import BreakerControl, CircuitBreakerManager
from hydra.domain.halt_request import HaltRequest

__all__ = ["Desk", "DeskControls"]

_log = structlog.get_logger("hydra.gate")

RISK_GATE = "risk gate"
"""The ``who`` of what the gate does by itself (a halt on a damaged journal)."""


class Desk:
    """The gate's trading state and the controls an operator (or the host) uses on it.

    Args:
        broker: the port (open orders, positions, cancels).
        breakers: the gate's breakers and the re-arming control it claimed.
        audit: the gate's audit trail.
        outbox: the one exit (the flatten orders leave through it).
        builder: seeds the ledger before a flatten.
        ledger: the exposure ledger (a flatten closes what it and the broker agree on).
        session: the session tracker (restored from the journal).
        clock: the gate's clock.
        halts: HALT requests ``hydra kill`` leaves when it cannot reach this trader (None:
            none are looked for).
    """

    def __init__(
        self,
        broker: BrokerPort,
        breakers: tuple[CircuitBreakerManager, BreakerControl],
        audit: AuditTrail,
        outbox: Outbox,
        builder: ContextBuilder,
        ledger: ExposureLedger,
        session: SessionTracker,
        clock: Clock,
        halts: HaltRequests | None = None,
    ) -> None:
        self._broker = broker
        self._halts = halts
        self._breakers, self._control = breakers
        self._audit = audit
        self._outbox = outbox
        self._builder = builder
        self._ledger = ledger
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

    # ------------------------------------------------------------------ kill switch
    async def kill_switch(
        self, *, who: str, why: str, flatten: bool = False, cancel_wait: float = 5.0
    ) -> KillReport:
        """HALT, then cancel every working order with the broker's global cancel.

        See ``RiskGate.kill_switch``. A HALT the journal refuses still halts (the journal
        failure policy) and the cancels still go out; the report's ``failed`` says so.
        """
        who, why = audit_text("who", who), audit_text("why", why)
        failed: list[tuple[int, str]] = []
        try:
            self.set_trading_state(TradingState.HALTED, who=who, why=f"kill switch: {why}")
        except JournalError as exc:
            # The refused write halted the gate already (no audit trail, no trading); the
            # kill still cancels, and its report says the HALT is not in the journal.
            failed.append((0, f"HALT not journaled: {exc}"))
        try:
            working = list(self._broker.open_orders())
        except Exception as exc:  # noqa: BLE001  (reported: the kill must still finish)
            failed.append((0, f"cannot list open orders: {type(exc).__name__}: {exc}"))
            working = []
        cancelled: list[int] = []
        try:
            await self._broker.cancel_all()
            cancelled = [handle.order_id for handle in working]
        except Exception as exc:  # noqa: BLE001  (fall back to one cancel per order)
            failed.append((0, f"global cancel failed: {type(exc).__name__}: {exc}"))
            for handle in working:
                try:
                    await self._broker.cancel_order(handle)
                except Exception as one:  # noqa: BLE001  (reported; cancel the rest)
                    failed.append((handle.order_id, f"{type(one).__name__}: {one}"))
                else:
                    cancelled.append(handle.order_id)
        flattened: list[OrderHandle] = []
        skipped: list[tuple[str, str]] = []
        if flatten:
            pending = [h for h in working if not h.is_done]
            if pending:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*(h.wait() for h in pending)), cancel_wait
                    )
            try:
                flattened, skipped = self._flatten(who)
            except Exception as exc:  # noqa: BLE001  (reported; the kill record still follows)
                skipped.append(("*", f"flatten failed: {type(exc).__name__}: {exc}"))
        report = KillReport(tuple(cancelled), tuple(failed), tuple(flattened), tuple(skipped))
        self._audit.record(
            KillRecord(
                time=self._clock(),
                who=who,
                why=why,
                cancelled=report.cancelled,
                failed=report.failed,
                flattened=tuple(h.order_id for h in report.flattened),
                not_flattened=report.not_flattened,
            )
        )
        return report

    def _flatten(self, who: str) -> tuple[list[OrderHandle], list[tuple[str, str]]]:
        """Market orders closing every position with nothing working, each audited."""
        if self._broker.connection_state is not ConnectionState.CONNECTED:
            return [], [("*", "broker not connected: nothing flattened")]
        handles: list[OrderHandle] = []
        skipped: list[tuple[str, str]] = []
        self._builder.seed_ledger()
        outbox = self._outbox
        for position in self._broker.positions():
            instrument = position.instrument
            entry = self._ledger.entry(instrument.key)
            if entry.orders:
                skipped.append((position.symbol, "an order is still working; not flattened"))
                continue
            if entry.mismatch or entry.position != position.quantity:
                skipped.append(
                    (
                        position.symbol,
                        f"ledger ({entry.position:g}) and broker ({position.quantity:g}) "
                        "disagree; not flattened",
                    )
                )
                continue
            if not entry.position:
                continue
            side = Side.SELL if entry.position > 0 else Side.BUY
            order = OrderRequest(side, abs(entry.position), intentional_duplicate=True)
            decision = outbox.conclude(
                self.begin_decision(),
                self._clock(),
                instrument,
                order,
                (),
                state=self.state,
                inputs=None,
                caller_inputs=None,
                started=time.perf_counter(),
                exemption=f"kill switch flatten by {who}",
            )
            if not decision.allowed:
                skipped.append((position.symbol, decision.reasons[0].message))
                continue
            try:
                decision = outbox.send(decision)
            except BrokerError as exc:
                skipped.append((position.symbol, str(exc)))
                continue
            assert decision.handle is not None  # noqa: S101  (send sets it)
            handles.append(decision.handle)
        return handles, skipped

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


class DeskControls:
    """The gate's public desk controls (``RiskGate`` inherits them); ``Desk`` does the work."""

    _desk: Desk

    def set_trading_state(self, state: TradingState | str, *, who: str, why: str) -> None:
        """Change the trading state (ACTIVE, REDUCING, HALTED), journaled with who and why.

        Raises:
            InvalidInputError: an unknown state, or a who/why that is empty, too long or
                not printable text.
            JournalError: the journal refused the record: nothing changed (and the gate
                halts, as on any journal failure).
        """
        self._desk.set_trading_state(state, who=who, why=why)

    def reset_breaker(self, name: BreakerName | str, *, who: str, why: str) -> BreakerStatus:
        """Re-arm a latched breaker deliberately, journaled with who and why first.

        Raises:
            InvalidInputError: an unknown breaker, or a bad who/why.
            JournalError: the journal refused the record (the breaker stays latched).
        """
        return self._desk.reset_breaker(name, who=who, why=why)

    async def kill_switch(
        self, *, who: str, why: str, flatten: bool = False, cancel_wait: float = 5.0
    ) -> KillReport:
        """HALT, then cancel every working order with the broker's global cancel.

        HALTED is set (journaled) before anything else, so from this call on no order
        passes. The global cancel covers orders this gate did not send too (other
        clients, TWS). With ``flatten``, the gate waits (up to ``cancel_wait`` seconds)
        for the cancels to be confirmed, then closes each position through its one exit,
        as an audited exemption; an instrument with an order still working, or whose
        ledger and broker views disagree, is not flattened and is reported instead.
        """
        return await self._desk.kill_switch(
            who=who, why=why, flatten=flatten, cancel_wait=cancel_wait
        )

    def restore(
        self, records: Iterable[Mapping[str, Any] | AuditRecord], *, damage: str | None = None
    ) -> JournalReplay:
        """Rebuild latched breakers, trading state, session start and peak from a journal.

        A gate rebuilt from the same config and journal comes back still tripped (until
        the session boundary or a deliberate reset) and in the same trading state. With
        ``damage`` (why the journal cannot be trusted whole) it comes back HALTED.

        Raises:
            PermissionDeniedError: the gate is not fresh (a decision, state change or kill
                happened): restore first, once.
            InvalidInputError: a malformed journal record, named by its position.
        """
        return self._desk.restore(records, damage=damage)
