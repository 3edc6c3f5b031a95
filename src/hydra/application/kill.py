"""The kill switch: HALT first, cancel everything, and optionally flatten (audited).

HALTED is set (journaled) before anything else, so from the first await on no order
passes; the broker's global cancel covers orders this gate did not send; a flatten
closes each position through the gate's one exit as an audited exemption, never where
an order still works or the ledger and the broker disagree. The report never claims
what did not happen: every cancel or flatten that failed is named in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from hydra.application.audit import AuditTrail
from hydra.application.builder import ContextBuilder
from hydra.application.decisions import KillReport
from hydra.application.desk import Desk
from hydra.application.exposure import ExposureLedger
from hydra.application.orders import OrderHandle
from hydra.application.outbox import Outbox
from hydra.application.ports import BrokerPort
from hydra.application.records import KillRecord
from hydra.domain import (
    BrokerError,
    Clock,
    ConnectionState,
    JournalError,
    OrderRequest,
    Side,
    TradingState,
)
from hydra.domain._validate import audit_text

__all__ = ["KillSwitch"]


class KillSwitch:
    """The gate's kill switch over its desk, broker and one exit.

    Args:
        desk: the trading state (HALTED first) and the decision sequence.
        broker: the open orders, the cancels and the positions.
        outbox: the one exit the flatten orders leave through.
        builder: seeds the ledger before a flatten.
        ledger: a flatten closes what the ledger and the broker agree on.
        audit: the gate's audit trail (the kill record).
        clock: the gate's clock.
    """

    __slots__ = ("_audit", "_broker", "_builder", "_clock", "_desk", "_ledger", "_outbox")

    def __init__(
        self,
        desk: Desk,
        broker: BrokerPort,
        outbox: Outbox,
        builder: ContextBuilder,
        ledger: ExposureLedger,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._desk = desk
        self._broker = broker
        self._outbox = outbox
        self._builder = builder
        self._ledger = ledger
        self._audit = audit
        self._clock = clock

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
            self._desk.set_trading_state(TradingState.HALTED, who=who, why=f"kill switch: {why}")
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
                self._desk.begin_decision(),
                self._clock(),
                instrument,
                order,
                (),
                state=self._desk.state,
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
