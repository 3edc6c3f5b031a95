"""The gate's public desk controls: state, reset, kill switch and restore.

``RiskGate`` inherits them; ``desk.Desk`` and ``kill.KillSwitch`` do the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hydra.application.decisions import KillReport
from hydra.application.desk import Desk
from hydra.application.kill import KillSwitch
from hydra.application.records import AuditRecord
from hydra.application.replay import JournalReplay
from hydra.domain import BreakerName, BreakerStatus, TradingState

__all__ = ["DeskControls"]


class DeskControls:
    """The gate's public desk controls (``RiskGate`` inherits them); ``Desk`` does the work."""

    _desk: Desk
    _kill: KillSwitch

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

        A HALT the journal refuses does not stop the kill (a kill must always stop
        trading): the gate is HALTED anyway (the journal failure policy), the cancels
        still go out, and ``failed`` starts with ``(0, "HALT not journaled: ...")``. It
        is the one control that acts although its record was refused; it never raises
        ``JournalError``.
        """
        return await self._kill.kill_switch(
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
