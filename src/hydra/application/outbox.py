"""The outbox: the one way a decision ends (``conclude``) and the one way out (``send``).

``conclude`` reserves the broker's order id for an allowed order, builds the decision
record, writes it ahead of the hand-off (a journal that cannot take it blocks the order
and halts the gate), keeps it in the bounded history and logs a block. ``send`` hands an
allowed order to the submit capability: on success the ledger and the limits count it
and the allowed line is logged; a failure is recorded (``order.broker_error``) and raised,
never queued. Every order leaves through ``send``, the kill switch's flatten too.
This module and the gate's facade are the only ones that name the submit capability.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

import structlog

from hydra.application.audit import AuditTrail
from hydra.application.context import check_error
from hydra.application.exposure import ExposureLedger
from hydra.application.orders import OrderHandle
from hydra.application.records import (
    BrokerErrorRecord,
    DecisionRecord,
    LegRecord,
    OrderSent,
    Valuation,
)
from hydra.application.records.decision import make_record
from hydra.domain import (
    BreakerInputs,
    BrokerError,
    Clock,
    Instrument,
    OrderLeg,
    OrderRequest,
    Reason,
    TradingState,
)
from hydra.domain.limit_checker import OrderLimitChecker

if TYPE_CHECKING:
    from hydra.application.capability import SubmitCapability

__all__ = ["JOURNAL_FAILED", "Outbox"]

_log = structlog.get_logger("hydra.gate")
# The order path logs through ``_log.bind()``: what ``_log.info`` does inside the lazy
# proxy, without first failing an attribute lookup (an AttributeError raised and caught
# per line). perf: gate_pass, gate_block_limit, gate_halted.

JOURNAL_FAILED = Reason(
    "journal.write_failed",
    "journal_failed",
    "the decision could not be journaled before the hand-off; the order was not sent",
)


class Outbox:
    """Concludes decisions and sends allowed orders, for one gate.

    Args:
        capability: the broker's submit capability (claimed by the gate).
        audit: the gate's audit trail.
        ledger: the exposure ledger (counts each sent order at once).
        limits: the limit checker (remembers sends for the rate and duplicate rules).
        clock: the gate's clock (times of the records after the decision).
        history: how many recent decisions are kept.
    """

    __slots__ = ("_audit", "_capability", "_clock", "_ledger", "_limits", "decisions")

    def __init__(
        self,
        capability: SubmitCapability,
        audit: AuditTrail,
        ledger: ExposureLedger,
        limits: OrderLimitChecker | None,
        clock: Clock,
        history: int,
    ) -> None:
        self._capability = capability
        self._audit = audit
        self._ledger = ledger
        self._limits = limits
        self._clock = clock
        self.decisions: deque[DecisionRecord] = deque(maxlen=history)

    def conclude(
        self,
        seq: int,
        now: datetime,
        contract: object,
        order: object,
        reasons: tuple[Reason, ...],
        *,
        state: TradingState,
        inputs: BreakerInputs | None,
        caller_inputs: BreakerInputs | None,
        started: float,
        exemption: str = "",
        amends: int | None = None,
        legs: tuple[LegRecord, ...] = (),
        valuation: Valuation | None = None,
    ) -> DecisionRecord:
        """Build, journal (ahead of any hand-off), remember and log the decision.

        An allowed order's broker id is reserved first and named in the record; an
        amendment keeps the id it ``amends``; an order list reserves one id per leg.
        """
        instrument = contract if isinstance(contract, Instrument) else None
        symbol = instrument.symbol if instrument is not None else repr(contract)
        allowed = not reasons
        audit = self._audit
        order_id: int | None = amends
        if allowed and not audit.silent and amends is None:
            try:
                if legs:
                    ids = self._capability.reserve_order_ids(1 + len(legs))
                    order_id = ids[0]
                    legs = tuple(
                        leg._replace(order_id=i) for leg, i in zip(legs, ids[1:], strict=True)
                    )
                else:
                    order_id = self._capability.reserve_order_id()
            except Exception as exc:  # noqa: BLE001  (fail closed: no id, no order)
                reasons, allowed = (check_error("order_id", exc),), False
        decision = make_record(  # DecisionRecord(...) of every field. perf: gate_pass
            (
                seq,
                now,
                symbol,
                allowed,
                reasons,
                instrument,
                order if isinstance(order, OrderRequest) else None,
                order_id,
                inputs,
                caller_inputs,
                state,
                time.perf_counter() - started,
                exemption,
                amends,
                legs,
                valuation,
                None,
            )
        )
        # For an allowed order this is the write-ahead record, with the order id the
        # broker will use; a journal that cannot take it blocks the order.
        if not audit.write(decision) and allowed:
            decision = decision._replace(allowed=False, reasons=(JOURNAL_FAILED,), order_id=amends)
        if not decision.allowed:
            # The one log event of a blocked attempt (an allowed one logs after the hand-off).
            _log.bind().warning(  # bind(): see _log
                "order.blocked",
                seq=seq,
                symbol=symbol,
                triggered=[reason.name for reason in decision.reasons],
                reasons=[reason.message for reason in decision.reasons],
            )
        self.decisions.append(decision)
        return decision

    def send(self, decision: DecisionRecord) -> DecisionRecord:
        """The one exit: hand the order to the capability (the decision must be allowed).

        The write-ahead record already names the reserved order id, so a successful send
        needs no second record; a broker that used another id gets an ``order.sent``
        correction.

        Raises:
            BrokerError: the broker failed to take the order (recorded; nothing queued).
        """
        contract, order = decision.instrument, decision.order
        assert contract is not None  # noqa: S101  (an allowed decision has both)
        assert order is not None  # noqa: S101
        try:
            handle = self._capability.submit_order(contract, order)
        except Exception as exc:  # noqa: BLE001  (recorded and raised as BrokerError)
            self._fail(decision, exc)
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
        _log.bind().info(  # bind(): see _log
            "order.allowed",
            seq=decision.seq,
            symbol=decision.symbol,
            side=order.side,
            quantity=order.quantity,
            order_id=order_id,
        )
        done = decision.handed_off(order_id, handle)
        self._replace_last(decision, done)
        return done

    def send_list(
        self, decision: DecisionRecord, legs: tuple[OrderLeg, ...]
    ) -> tuple[DecisionRecord, tuple[OrderHandle, ...]]:
        """The one exit for an order list: every leg at once, each counted and remembered.

        Raises:
            BrokerError: the broker failed to take the list (recorded; nothing queued).
        """
        try:
            handles = self._capability.submit_list(legs)
        except Exception as exc:  # noqa: BLE001  (recorded and raised as BrokerError)
            self._fail(decision, exc)
        for handle, leg in zip(handles, legs, strict=True):
            self._ledger.on_order(handle)
            if self._limits is not None:
                self._limits.record_sent(leg.instrument, leg.order, decision.time)
        _log.info(
            "order.allowed",
            seq=decision.seq,
            symbol=decision.symbol,
            order_ids=[handle.order_id for handle in handles],
        )
        done = decision.handed_off(handles[0].order_id, handles[0])
        self._replace_last(decision, done)
        return done, handles

    def send_modify(self, decision: DecisionRecord, handle: OrderHandle) -> DecisionRecord:
        """The one exit for an amendment: the same broker order, changed in place.

        Raises:
            BrokerError: the broker refused the amendment (recorded; the order is as it was).
        """
        order = decision.order
        assert order is not None  # noqa: S101  (an allowed decision has one)
        try:
            self._capability.modify_order(handle, order)
        except Exception as exc:  # noqa: BLE001  (recorded and raised as BrokerError)
            self._fail(decision, exc)
        self._ledger.on_order(handle)
        if self._limits is not None:
            self._limits.record_modified(decision.time)
        _log.info(
            "order.amended", seq=decision.seq, symbol=decision.symbol, order_id=handle.order_id
        )
        done = decision._replace(handle=handle)
        self._replace_last(decision, done)
        return done

    def _fail(self, decision: DecisionRecord, exc: Exception) -> NoReturn:
        """Record a failed hand-off (``order.broker_error``), then raise a BrokerError."""
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
        self._replace_last(
            decision,
            decision._replace(
                allowed=False,
                reasons=(Reason("broker.error", "broker_error", error),),
                order_id=decision.amends,
            ),
        )
        if isinstance(exc, BrokerError):
            raise exc
        raise BrokerError(f"broker failed to take the order: {exc!r}") from exc

    def _replace_last(self, old: DecisionRecord, new: DecisionRecord) -> None:
        """Keep the sent (or failed) form in the history in place of the concluded one."""
        decisions = self.decisions
        if decisions and decisions[-1] is old:
            decisions[-1] = new
