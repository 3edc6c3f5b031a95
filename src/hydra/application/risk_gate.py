"""The RiskGate: the only holder of the submit capability; every order passes its checks.

An order goes: the judge's checks (``judge``: validate -> trading state, HALTED first ->
connection -> the broker's contract economics -> REDUCING rule -> circuit breakers ->
per-order limits) -> the write-ahead decision record (with the order id the broker
reserved for it) -> hand-off to the capability (a failure gets an ``order.broker_error``
record). From the first check to the hand-off nothing yields to the event loop, so
concurrent submits are judged one after another, each seeing the trips and the exposure
reserved by the ones before it. Exposure comes from the ledger (position plus working
orders, kept from the broker's own order events). Any exception inside a check blocks the
order (fail closed). A blocked order returns ``None``; its decision names every reason.
Every record goes through one audit trail (structlog, journal, listeners).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from hydra.application import verdicts
from hydra.application.audit import AuditListener, AuditTrail
from hydra.application.decisions import GateStatus, KillReport, OrderDecision
from hydra.application.exposure import ExposureLedger, LedgerEntry
from hydra.application.judge import Judge
from hydra.application.orders import OrderHandle
from hydra.application.ports import AuditJournal, HaltRequests, Unsubscribe
from hydra.application.prices import PriceRefusedError, ReferencePrices
from hydra.application.records import (
    AuditRecord,
    BreakerReset,
    BreakerTripped,
    BrokerErrorRecord,
    CancelRecord,
    ForeignOrder,
    GateRestored,
    KillRecord,
    LedgerMismatch,
    LedgerReconciled,
    OrderSent,
    PriceRefused,
    SessionStarted,
    StateChanged,
)
from hydra.application.replay import JournalReplay, replay_journal
from hydra.application.session import SessionTracker
from hydra.application.views import BreakersView, BrokerView
from hydra.domain import (
    BreakerInputs,
    BreakerName,
    BreakerStatus,
    BrokerError,
    CircuitBreakerManager,
    Clock,
    ConnectionState,
    Instrument,
    InvalidInputError,
    OrderLimits,
    OrderRequest,
    PermissionDeniedError,
    Position,
    Reason,
    Side,
    TradingState,
)
from hydra.domain._unique import Unique
from hydra.domain.clock import system_clock
from hydra.domain.halt_request import HaltRequest
from hydra.domain.limits import OrderLimitChecker

if TYPE_CHECKING:
    from hydra.application.capability import SubmitCapability, SubmittingBroker

__all__ = ["RiskGate"]

_log = structlog.get_logger("hydra.gate")


class RiskGate(Unique):
    """The risk gate: claims the broker's submit capability and judges every order.

    Args:
        broker: an adapter offering ``claim_submit_capability`` (claimed here, once).
        breakers: the circuit breakers every order passes; the gate owns their re-arming
            from now on (``reset_breaker``), so the manager refuses a direct reset.
        limits: per-order limits (``OrderLimits()`` defaults); ``None`` turns them off.
        journal: the audit journal every record is appended to (None: structlog only).
        clock: time source for decisions (defaults to the system clock, UTC).
        derive_inputs: derive the breakers' inputs from the broker (account, the exposure
            ledger, session start, peak); caller values, when given, still count and the
            stricter of the two wins. On by default; ``False`` trusts the caller alone.
        history: how many recent decisions ``decisions`` keeps (memory stays bounded).
        config_version: recorded with every audit record.
        halt_requests: HALT requests left by ``hydra kill`` while this trader did not
            answer; one pending is journaled (path "broker") and obeyed at the start of
            the next decision and at ``restore``.

    Raises:
        CapabilityAlreadyClaimedError: the broker's capability, or the breakers, already
            belong to another gate.
        PermissionDeniedError: the broker connection may not submit (e.g. a CLI client).
    """

    def __init__(
        self,
        broker: SubmittingBroker,
        breakers: CircuitBreakerManager,
        *,
        limits: OrderLimits | None = OrderLimits(),  # noqa: B008  (frozen, immutable default)
        journal: AuditJournal | None = None,
        clock: Clock | None = None,
        derive_inputs: bool = True,
        history: int = 1000,
        config_version: str = "",
        halt_requests: HaltRequests | None = None,
    ) -> None:
        if not isinstance(breakers, CircuitBreakerManager):
            raise InvalidInputError("breakers", "must be a CircuitBreakerManager", breakers)
        if limits is not None and not isinstance(limits, OrderLimits):
            raise InvalidInputError("limits", "must be OrderLimits or None", limits)
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise InvalidInputError("history", "must be a positive integer", history)
        if breakers.owned:
            breakers.claim_control()  # raises: those breakers belong to another gate
        self._capability: SubmitCapability = broker.claim_submit_capability()
        self._control = breakers.claim_control()
        self._broker = broker
        self._view = BrokerView(broker)
        self._breakers = breakers
        self._breakers_view = BreakersView(breakers)
        self._limits = OrderLimitChecker(limits) if limits is not None else None
        self._clock: Clock = clock if clock is not None else system_clock
        self._derive = bool(derive_inputs)
        self._decisions: deque[OrderDecision] = deque(maxlen=history)
        self._seq = 0
        self._state = TradingState.ACTIVE
        self._halts = halt_requests
        self._audit = AuditTrail(journal, config_version, self._journal_failed)
        self._prices = ReferencePrices(
            broker, self._clock, limits.price_collar if limits is not None else None
        )
        self._session = SessionTracker(breakers.config.session, self._session_started)
        self._ledger = ExposureLedger(
            on_mismatch=self._ledger_mismatch,
            on_reconciled=self._ledger_reconciled,
            on_foreign=self._foreign_order,
        )
        self._unobserve = broker.observe(self._ledger)
        self._judge = Judge(
            broker,
            breakers,
            self._limits,
            self._ledger,
            self._prices,
            self._session,
            derive=self._derive,
        )

    # ------------------------------------------------------------------ views
    @property
    def broker(self) -> BrokerView:
        """Read-only view of the broker (positions, account, qualify, cancel, state)."""
        return self._view

    @property
    def breakers(self) -> BreakersView:
        """Read-only view of the breakers (reset them through ``reset_breaker``, audited)."""
        return self._breakers_view

    @property
    def trading_state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self._state

    @property
    def last_decision(self) -> OrderDecision | None:
        """The decision on the most recent submit attempt."""
        return self._decisions[-1] if self._decisions else None

    @property
    def decisions(self) -> tuple[OrderDecision, ...]:
        """Recent decisions, oldest first (bounded by ``history``)."""
        return tuple(self._decisions)

    def exposure(self, instrument: Instrument) -> LedgerEntry:
        """The ledger's view of one instrument: position, working buys and sells (a copy)."""
        spec = self._broker.contract_spec(instrument)
        key = (spec.con_id,) if spec is not None else instrument.key
        return dataclasses.replace(self._ledger.entry(key))

    def status(self) -> GateStatus:
        """Trading state, connection, every breaker's state and the limits in force."""
        return GateStatus(
            self._state,
            self._broker.connection_state,
            self._breakers.status(),
            self._limits.limits if self._limits else None,
            self._derive,
            self._session.start,
            self._session.start_equity,
            self._session.peak,
        )

    def subscribe(self, listener: AuditListener) -> Unsubscribe:
        """Receive every audit record the gate makes (decisions, states, trips, kills).

        The listener gets the same dict the journal gets; one that raises is logged and
        never blocks trading. Returns the function that unsubscribes.
        """
        return self._audit.subscribe(listener)

    def close(self) -> None:
        """Stop following the broker and close the journal (call it at shutdown).

        No order passes afterwards: its write-ahead record cannot be written, so it is
        blocked and the gate halts (in memory; the journal is not reopened for it).
        """
        self._unobserve()
        self._audit.close()

    # ------------------------------------------------------------------ prices
    def update_price(
        self, instrument: Instrument | str, price: float, at: datetime | None = None
    ) -> None:
        """Feed a reference price (e.g. from the host's market data) for the checks.

        ``instrument`` is an Instrument, or a stock symbol. A price dated in the future,
        or one further from the broker's own reference than the price collar, is refused
        (the refusal is audited): a fed price never switches the price checks off.

        Raises:
            InvalidInputError: a bad price or time.
            PriceRefusedError: the price deviates from the broker's reference.
        """
        target = instrument if isinstance(instrument, Instrument) else Instrument(instrument)
        spec = self._broker.contract_spec(target)
        if spec is not None and not target.con_id:
            target = target.qualified(spec.con_id)
        try:
            self._prices.feed(target, price, at)
        except PriceRefusedError as exc:
            self._audit.record(
                PriceRefused(
                    time=self._clock(),
                    symbol=target.symbol,
                    con_id=target.con_id,
                    price=verdicts.json_number(price),
                    reason=exc.reason,
                )
            )
            raise

    # ------------------------------------------------------------------ orders
    async def submit(
        self,
        contract: Instrument,
        order: OrderRequest,
        daily_pnl: float | None = None,
        peak_equity: float | None = None,
        current_equity: float | None = None,
        position_value: float | None = None,
        trade_loss: float | None = None,
    ) -> OrderHandle | None:
        """Judge an order and send it if allowed: the handle, or ``None`` when blocked.

        The five numbers are the breakers' inputs (units in ``hydra.domain.breakers``).
        The gate derives them from the broker by default; when the caller gives them too,
        the stricter value counts. With ``derive_inputs=False`` they are required.

        Raises:
            BrokerError: the order was allowed but the broker failed to take it.
        """
        decision = self.submit_with_decision(
            contract, order, daily_pnl, peak_equity, current_equity, position_value, trade_loss
        )
        return decision.handle

    def submit_with_decision(
        self,
        contract: Instrument,
        order: OrderRequest,
        daily_pnl: float | None = None,
        peak_equity: float | None = None,
        current_equity: float | None = None,
        position_value: float | None = None,
        trade_loss: float | None = None,
    ) -> OrderDecision:
        """As ``submit``, returning the full decision (its ``handle`` is set when allowed).

        Synchronous on purpose: nothing yields between the checks and the hand-off.
        """
        started = time.perf_counter()
        halts = self._halts
        if halts is not None:  # perf: gate_pass (the inbox stats at most every 50 ms)
            request = halts.pending()
            if request is not None:
                self._take_halt(halts, request)
        self._seq += 1
        seq = self._seq
        now = self._clock()
        caller = (daily_pnl, peak_equity, current_equity, position_value, trade_loss)
        reasons, inputs, target = self._judge.judge(contract, order, caller, now, self._state)
        self._audit_trips()
        decision = self._conclude(seq, now, target, order, reasons, inputs, caller, started)
        if not decision.allowed:
            return decision
        assert isinstance(target, Instrument)  # noqa: S101  (_judge proved it)
        assert isinstance(order, OrderRequest)  # noqa: S101
        return self._send(decision, target, order)

    async def cancel(self, handle: OrderHandle) -> None:
        """Cancel an order through the broker port."""
        self._audit.record(
            CancelRecord(
                time=self._clock(), order_id=handle.order_id, symbol=handle.instrument.symbol
            )
        )
        await self._broker.cancel_order(handle)

    # ------------------------------------------------------------------ controls
    def set_trading_state(self, state: TradingState | str, *, who: str, why: str) -> None:
        """Change the trading state; logged and audited with who and why."""
        try:
            new = TradingState(state)
        except ValueError:
            known = ", ".join(s.value for s in TradingState)
            raise InvalidInputError("state", f"must be one of {known}", state) from None
        verdicts.require_text("who", who)
        verdicts.require_text("why", why)
        previous, self._state = self._state, new
        self._audit.record(
            StateChanged(time=self._clock(), previous=previous, state=new, who=who, why=why)
        )

    def reset_breaker(self, name: BreakerName | str, *, who: str, why: str) -> BreakerStatus:
        """Re-arm a latched breaker deliberately; audited with who and why."""
        verdicts.require_text("who", who)
        status = self._control.reset(name, why)
        self._audit.record(BreakerReset(time=self._clock(), breaker=status.name, who=who, why=why))
        return status

    async def kill_switch(
        self, *, who: str, why: str, flatten: bool = False, cancel_wait: float = 5.0
    ) -> KillReport:
        """HALT, then cancel every working order with the broker's global cancel.

        HALTED is set before anything else, so from this call on no order passes. The
        global cancel covers orders this gate did not send too (other clients, TWS).
        With ``flatten``, the gate waits (up to ``cancel_wait`` seconds) for the cancels
        to be confirmed, then closes each position through its one exit, as an audited
        exemption; an instrument with an order still working, or whose ledger and broker
        views disagree, is not flattened and is reported instead. Always audited.
        """
        self.set_trading_state(TradingState.HALTED, who=who, why=f"kill switch: {why}")
        failed: list[tuple[int, str]] = []
        try:
            working = list(self._broker.open_orders())
        except Exception as exc:  # noqa: BLE001  (reported: the kill must still finish)
            failed.append((0, f"cannot list open orders: {type(exc).__name__}: {exc}"))
            working = []
        cancelled = [h.order_id for h in working]
        try:
            await self._broker.cancel_all()
        except Exception as exc:  # noqa: BLE001  (fall back to one cancel per order)
            failed.append((0, f"global cancel failed: {type(exc).__name__}: {exc}"))
            cancelled = []
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
        self._judge.seed_ledger()
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
            self._seq += 1
            decision = self._conclude(
                self._seq,
                self._clock(),
                instrument,
                order,
                (),
                None,
                verdicts.NO_INPUTS,
                time.perf_counter(),
                exemption=f"kill switch flatten by {who}",
            )
            if not decision.allowed:
                skipped.append((position.symbol, decision.reasons[0].message))
                continue
            try:
                decision = self._send(decision, instrument, order)
            except BrokerError as exc:
                skipped.append((position.symbol, str(exc)))
                continue
            assert decision.handle is not None  # noqa: S101  (_send sets it)
            handles.append(decision.handle)
        return handles, skipped

    # ------------------------------------------------------------------ restore
    def restore(self, records: Iterable[Mapping[str, Any]]) -> JournalReplay:
        """Rebuild latched breakers, trading state, session start and peak from a journal.

        A gate rebuilt from the same config and journal comes back still tripped (until
        the session boundary or a deliberate reset) and in the same trading state.

        Raises:
            PermissionDeniedError: the gate has already judged an order (restore first).
        """
        if self._seq:
            raise PermissionDeniedError(
                "restore is allowed only before the first decision: it would rewrite the "
                "memory of a gate that is already trading"
            )
        replay = replay_journal(records)
        self._control.restore(replay.trips)
        self._state = replay.trading_state
        self._session.restore(replay.session, replay.peak_equity, self._clock())
        self._audit.record(
            GateRestored(
                time=self._clock(),
                state=self._state,
                latched=tuple(t.breaker for t in self._breakers.latched),
                peak_equity=self._session.peak,
            )
        )
        halts = self._halts
        request = halts.pending() if halts is not None else None
        if halts is not None and request is not None:
            self._take_halt(halts, request)
        return replay

    def _take_halt(self, halts: HaltRequests, request: HaltRequest) -> None:
        """Journal a pending HALT request, then obey it and let the inbox drop it.

        Journaled first: if the journal refuses, the gate halts anyway (no audit trail, no
        trading) and the request stays for the next attempt or restart.
        """
        record = StateChanged(
            time=self._clock(),
            previous=self._state,
            state=TradingState.HALTED,
            who=request.who,
            why=request.why,
            path="broker",
        )
        if self._audit.record(record):
            self._state = TradingState.HALTED
            halts.taken(request)

    # ------------------------------------------------------------------ one way in, one out
    def _conclude(
        self,
        seq: int,
        now: datetime,
        contract: object,
        order: object,
        reasons: tuple[Reason, ...],
        inputs: BreakerInputs | None,
        caller: tuple[float | None, ...],
        started: float,
        *,
        exemption: str = "",
    ) -> OrderDecision:
        """Build the decision, journal it and remember it: the one way a decision ends.

        An allowed decision is journaled BEFORE the hand-off (write-ahead); if that write
        fails the order is blocked, not sent.
        """
        instrument = contract if isinstance(contract, Instrument) else None
        symbol = instrument.symbol if instrument is not None else repr(contract)
        allowed = not reasons
        order_id: int | None = None
        if allowed and not self._audit.silent:
            try:
                order_id = self._capability.reserve_order_id()
            except Exception as exc:  # noqa: BLE001  (fail closed: no id, no order)
                reasons, allowed = (verdicts.check_error("order_id", exc),), False
        if not allowed:
            # The one log event of a blocked attempt (an allowed one logs after the hand-off).
            _log.warning(
                "order.blocked",
                seq=seq,
                symbol=symbol,
                triggered=[reason.name for reason in reasons],
                reasons=[reason.message for reason in reasons],
            )
        caller_inputs = None
        if caller != verdicts.NO_INPUTS:
            with contextlib.suppress(InvalidInputError):
                caller_inputs = verdicts.caller_inputs(caller, required=False)
        decision = OrderDecision(
            seq=seq,
            time=now,
            symbol=symbol,
            allowed=allowed,
            reasons=reasons,
            instrument=instrument,
            order=order if isinstance(order, OrderRequest) else None,
            order_id=order_id,
            inputs=inputs,
            caller_inputs=caller_inputs,
            trading_state=self._state,
            latency_s=time.perf_counter() - started,
            exemption=exemption,
        )
        # For an allowed order this is the write-ahead record, with the order id the
        # broker will use; a journal that cannot take it blocks the order.
        if not self._audit.write(decision) and allowed:
            _log.warning(
                "order.blocked",
                seq=seq,
                symbol=symbol,
                triggered=[verdicts.JOURNAL_FAILED.name],
                reasons=[verdicts.JOURNAL_FAILED.message],
            )
            decision = decision._replace(
                allowed=False, reasons=(verdicts.JOURNAL_FAILED,), order_id=None
            )
        self._decisions.append(decision)
        return decision

    def _send(
        self, decision: OrderDecision, contract: Instrument, order: OrderRequest
    ) -> OrderDecision:
        """The one exit: hand the order to the capability; log it, or record the failure.

        The write-ahead record already names the reserved order id, so a successful send
        needs no second record; a broker that used another id gets an ``order.sent``
        record correcting it.
        """
        try:
            handle = self._capability.submit_order(contract, order)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._audit.record(
                BrokerErrorRecord(
                    time=self._clock(),
                    seq=decision.seq,
                    symbol=decision.symbol,
                    order_id=decision.order_id,
                    error=error,
                )
            )
            failure = Reason("broker.error", "broker_error", error)
            self._decisions[-1] = decision._replace(
                allowed=False, reasons=(failure,), order_id=None
            )
            if isinstance(exc, BrokerError):
                raise
            raise BrokerError(f"broker failed to take the order: {exc!r}") from exc
        self._ledger.on_order(handle)
        if self._limits is not None:
            self._limits.record_sent(contract, order, decision.time)
        order_id = handle.order_id
        if decision.order_id is not None and order_id != decision.order_id:
            self._audit.record(
                OrderSent(
                    time=self._clock(),
                    seq=decision.seq,
                    symbol=decision.symbol,
                    order_id=order_id,
                    reserved=decision.order_id,
                    why="the broker used another order id than it reserved",
                )
            )
        _log.info(
            "order.allowed",
            seq=decision.seq,
            symbol=decision.symbol,
            side=order.side,
            quantity=order.quantity,
            order_id=order_id,
        )
        done = decision._replace(order_id=order_id, handle=handle)
        self._decisions[-1] = done
        return done

    # ------------------------------------------------------------------ audit
    def _record(self, record: AuditRecord) -> None:
        self._audit.record(record)

    def _audit_trips(self) -> None:
        for trip in self._breakers.take_new_trips():
            self._record(
                BreakerTripped(
                    time=self._clock(),
                    breaker=trip.breaker,
                    since=trip.since,
                    value=trip.value,
                    reason=trip.reason,
                )
            )

    def _session_started(self, start: datetime, equity: float) -> None:
        self._record(SessionStarted(time=self._clock(), start=start, equity=equity))

    def _foreign_order(self, handle: OrderHandle) -> None:
        self._record(
            ForeignOrder(
                time=self._clock(),
                order_id=handle.order_id,
                symbol=handle.instrument.symbol,
                con_id=handle.instrument.con_id,
                side=handle.request.side,
                quantity=handle.request.quantity,
                why="an order this gate did not send (another client, TWS or a manual order); "
                "it counts as exposure and the kill switch cancels it",
            )
        )

    def _ledger_mismatch(self, position: Position, ledger: float) -> None:
        self._record(
            LedgerMismatch(
                time=self._clock(),
                symbol=position.symbol,
                con_id=position.instrument.con_id,
                broker=position.quantity,
                ledger=ledger,
                why="the broker's position differs from the ledger; the stricter view counts",
            )
        )

    def _ledger_reconciled(self, position: Position) -> None:
        self._record(
            LedgerReconciled(
                time=self._clock(),
                symbol=position.symbol,
                con_id=position.instrument.con_id,
                position=position.quantity,
            )
        )

    def _journal_failed(self, record: Mapping[str, Any], exc: Exception) -> None:
        """No audit trail, no trading: HALT (the record itself still went to the log)."""
        _log.critical(
            "journal.write_failed", error=f"{type(exc).__name__}: {exc}", record=dict(record)
        )
        if self._state is not TradingState.HALTED:
            previous, self._state = self._state, TradingState.HALTED
            _log.critical(
                "gate.state_changed",
                previous=previous.value,
                state=TradingState.HALTED.value,
                who="risk gate",
                why="audit journal cannot be written; trading halted until it is fixed",
            )
