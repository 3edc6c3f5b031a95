"""``hydra kill``'s broker fallback, for a trader proven unreachable.

Which fallback depends on the trader's journal writer lock (``journal_writer``):

* **free** (the trader is dead): the CLI takes the lock itself and, as the journal's
  one writer, appends HALT (path "broker"), sends IB's global cancel as the emergency
  client (never 1), appends the kill record, and lets go. ``--flatten`` runs the kill
  switch of a gate of its own over that journal (restored HALTED first).
* **held** (alive but not answering, e.g. frozen): its journal is not touched. The
  CLI leaves a HALT request next to it (``<journal>.halt``), which the trader's gate
  journals and obeys at its next decision or restart, and sends the global cancel.
  ``--flatten`` is refused (its positions are closed through it, or after it is gone).

The HALT goes only into the trader's own journal: an existing journal whose account
matches the configured one and one the broker manages; never a fresh file elsewhere.
Exit 0 only when the HALT is durably recorded (journaled, or the request written), the
global cancel went out, and the broker lists no working order afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.adapters.ib.emergency import EmergencyClient, EmergencySession
from hydra.adapters.journal import JsonlJournal, write_halt_request
from hydra.adapters.journal.lock import journal_writer
from hydra.adapters.journal.reader import journal_account
from hydra.application import RiskGate
from hydra.application.audit import AuditTrail
from hydra.application.records import KillRecord, StateChanged
from hydra.domain import (
    BrokerError,
    HydraError,
    InvalidInputError,
    TradingState,
)
from hydra.domain.halt_request import HaltRequest
from hydra.entrypoints.operator import checked_journal
from hydra.entrypoints.render import render_json
from hydra.restart import OpenedJournal

if TYPE_CHECKING:
    from hydra.adapters.ib import BrokerGateway
    from hydra.container import Container

__all__ = ["FallbackReport", "broker_fallback"]


class JournalIdentityError(HydraError):
    """The journal at the configured path is not provably the trader's."""


@dataclass(frozen=True, slots=True)
class _Fallback:
    """What every step of the fallback works with."""

    args: argparse.Namespace
    emergency: EmergencyClient
    report: FallbackReport
    configured: str  # the account the config names ('' = the broker's)
    who: str
    why: str
    config_version: str  # stamped on its records, as the trader stamps its own


@dataclass(slots=True)
class FallbackReport:
    """What the fallback did; ``ok`` only when everything it promises held."""

    trader: str
    control_error: str
    asked: bool
    journal: str
    broker: str
    emergency_client_id: int
    path: str = "broker"
    account: str | None = None
    halt: str | None = None  # "journaled" or "requested"
    halt_error: str | None = None
    broker_error: str | None = None
    cancelled: list[int] = field(default_factory=list)
    still_open: list[int] = field(default_factory=list)
    flattened: list[int] = field(default_factory=list)
    not_flattened: list[list[str]] = field(default_factory=list)
    failed: list[list[Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """HALT durably recorded, global cancel sent, nothing working at the broker."""
        return (
            self.halt is not None
            and self.halt_error is None
            and self.broker_error is None
            and not self.still_open
            and not self.failed
            and not self.not_flattened
        )


async def broker_fallback(
    args: argparse.Namespace,
    container: Container,
    who: str,
    why: str,
    *,
    unreachable: str,
    listening: bool = False,
) -> int:
    """The fallback for a trader no door reached (see the module docstring).

    Raises:
        HydraError: something accepted the call but no process holds the journal (which
            trader is that?), or the journal's lock cannot be probed: nothing is done.
    """
    settings = container.settings()
    journal_path = args.journal or settings.journal.path
    journal_problem: str | None = None
    writer: int | None = None
    try:
        field_name = "--journal" if args.journal else "journal.path"
        checked_journal(journal_path, field=field_name, must_exist=False)
        writer = journal_writer(journal_path)
    except InvalidInputError as exc:
        journal_problem = str(exc)
    except OSError as exc:
        raise HydraError(
            f"cannot tell whether the trader is alive: its journal lock {journal_path}.lock "
            f"cannot be probed ({exc.strerror}); nothing done"
        ) from None
    if listening and writer is None:
        raise HydraError(
            f"{unreachable}; and no process holds the journal {journal_path}: cannot tell "
            "that what listens is the trader. Nothing done; if the trader is dead, "
            "`hydra kill --broker` cancels at the broker and halts its journal"
        )
    emergency: EmergencyClient = container.emergency_client(
        host=args.host or settings.broker.host,
        port=args.port or settings.broker.port,
    )
    report = FallbackReport(
        trader="dead: no process holds its journal"
        if writer is None
        else f"alive but not answering: process {writer or '?'} holds its journal",
        control_error=unreachable,
        asked=not args.broker,
        journal=journal_path,
        broker=f"{emergency.host}:{emergency.port}",
        emergency_client_id=emergency.client_id,
        halt_error=journal_problem,
    )
    step = _Fallback(
        args, emergency, report, settings.journal.account.strip(), who, why, settings.version
    )
    if writer is not None:
        await _frozen_trader(step)
    elif args.flatten and journal_problem is None:
        await _dead_trader_flatten(step, container)
    else:
        await _dead_trader(step)
    print(render_json({**asdict(report), "ok": report.ok}) if args.json else _text(report))
    return 0 if report.ok else 1


async def _dead_trader(step: _Fallback) -> None:
    """Take the journal's lock, HALT, global cancel, kill record, let go."""
    report = step.report
    async with contextlib.AsyncExitStack() as stack:
        session = await _session(stack, step)
        journal = None
        if report.halt_error is None:
            journal = _open_trader_journal(report, step.configured, session)
        if journal is not None:
            stack.callback(journal.close)
            _halt(journal, step)
        if session is not None:
            await _cancel(session, report)
        if journal is not None and report.halt is not None:
            _append_kill(journal, step)


async def _dead_trader_flatten(step: _Fallback, container: Container) -> None:
    """As ``_dead_trader``, done by the container's emergency gate over the trader's journal.

    The gate is the trader's own (its settings, its restore policy: a damaged journal
    restores HALTED); its kill switch journals the HALT first, cancels and flattens, all
    through its audit trail.
    """
    report, timeout = step.report, step.args.timeout
    gateway: BrokerGateway = container.emergency_gateway(
        host=step.emergency.host, port=step.emergency.port
    )
    try:
        await gateway.connect()
    except (BrokerError, HydraError) as exc:
        report.broker_error = f"cannot connect the emergency gateway: {exc}"
        report.not_flattened = [["*", "not flattened: no broker connection"]]
        await _dead_trader(step)
        return
    try:
        settings = container.settings()
        try:
            account = _trader_account(report.journal, step.configured, (gateway.account().account,))
            opened = OpenedJournal.from_config(
                settings.journal, account, path=report.journal, session=settings.breakers.session
            )
        except (HydraError, OSError) as exc:  # orders first: cancel, but flatten nothing
            report.halt_error = str(exc)
            await gateway.cancel_all()
            report.still_open = [h.order_id for h in gateway.open_orders()]
            report.not_flattened = [["*", "not flattened: the HALT could not be journaled"]]
            return
        report.account = account
        try:
            gate: RiskGate = container.emergency_gate(gateway, opened=opened)
            kill = await gate.kill_switch(
                who=step.who, why=step.why, flatten=True, cancel_wait=timeout
            )
        finally:
            opened.close()
        unjournaled = [why for _, why in kill.failed if why.startswith("HALT not journaled")]
        report.halt = "journaled" if not unjournaled else None
        report.halt_error = unjournaled[0] if unjournaled else None
        report.cancelled = list(kill.cancelled)
        report.failed = [list(item) for item in kill.failed]
        report.flattened = [h.order_id for h in kill.flattened]
        report.not_flattened = [list(item) for item in kill.not_flattened]
        with contextlib.suppress(TimeoutError):  # the closing orders work until filled
            await asyncio.wait_for(asyncio.gather(*(h.wait() for h in kill.flattened)), timeout)
        report.still_open = [h.order_id for h in gateway.open_orders()]
    finally:
        await gateway.disconnect()


async def _frozen_trader(step: _Fallback) -> None:
    """Leave a HALT request for the trader's gate; global cancel; never touch its journal."""
    report = step.report
    async with contextlib.AsyncExitStack() as stack:
        session = await _session(stack, step)
        if report.halt_error is None:
            try:
                account = _trader_account(report.journal, step.configured, session)
                request = HaltRequest(
                    id=uuid.uuid4().hex,
                    who=step.who,
                    why=step.why,
                    time=datetime.now(UTC),
                    account=account,
                )
                write_halt_request(report.journal, request)
            except (HydraError, OSError) as exc:
                report.halt_error = str(exc)
            else:
                report.account, report.halt = account, "requested"
        if session is not None:
            await _cancel(session, report)
    if step.args.flatten:
        report.not_flattened = [
            [
                "*",
                "not flattened: the trader is alive and holds its journal; flatten through "
                "it once it answers, or stop it and run hydra kill --flatten",
            ]
        ]


async def _session(
    stack: contextlib.AsyncExitStack[bool | None], step: _Fallback
) -> EmergencySession | None:
    try:
        return await stack.enter_async_context(step.emergency.session(timeout=step.args.timeout))
    except (BrokerError, HydraError) as exc:
        step.report.broker_error = str(exc)
        step.report.failed = [["*", f"global cancel not sent: {exc}"]]
        return None


def _trader_account(
    journal: str, configured: str, session: EmergencySession | tuple[str, ...] | None
) -> str:
    """The account of the trader's existing journal, checked against config and broker.

    Raises:
        JournalIdentityError: no journal there, or it is another account's.
    """
    path = Path(journal)
    if not path.is_file() or path.stat().st_size == 0:
        raise JournalIdentityError(
            f"no trader journal at {journal}: the HALT goes only into the trader's own "
            "journal, never a new one (is this the trader's config? --journal names it)"
        )
    account = journal_account(journal)  # the anchor's: never the whole journal
    if account is None:
        raise JournalIdentityError(f"{journal} names no account: not a trader's journal")
    if configured and configured != account:
        raise JournalIdentityError(
            f"{journal} is the journal of account {account!r}, the config names {configured!r}"
        )
    managed = session.accounts if isinstance(session, EmergencySession) else session or ()
    if managed and account not in managed:
        raise JournalIdentityError(
            f"{journal} is the journal of account {account!r}, but the broker manages "
            f"{', '.join(managed)}"
        )
    return account


def _open_trader_journal(
    report: FallbackReport, configured: str, session: EmergencySession | tuple[str, ...] | None
) -> JsonlJournal | None:
    """The trader's journal, opened as its one writer (its lock taken), or None (reported)."""
    try:
        account = _trader_account(report.journal, configured, session)
        journal = JsonlJournal(report.journal, account=account)
    except (HydraError, OSError) as exc:
        report.halt_error = str(exc)
        return None
    report.account = account
    return journal


def _journaled(
    journal: JsonlJournal, record: StateChanged | KillRecord, step: _Fallback
) -> str | None:
    """Write one record through an audit trail over the trader's journal.

    As the gate writes its own (logged, then journaled, stamped with the configuration's
    version); returns why it failed, or None.
    """
    failed: list[str] = []
    trail = AuditTrail(journal, step.config_version, lambda _data, exc: failed.append(f"{exc}"))
    trail.record(record)
    return failed[0] if failed else None


def _halt(journal: JsonlJournal, step: _Fallback) -> None:
    record = StateChanged(
        time=datetime.now(UTC),
        state=TradingState.HALTED,
        who=step.who,
        why=step.why,
        path="broker",
    )
    problem = _journaled(journal, record, step)
    if problem is not None:
        step.report.halt_error = f"HALT not journaled: {problem}"
    else:
        step.report.halt = "journaled"


async def _cancel(session: EmergencySession, report: FallbackReport) -> None:
    try:
        result = await session.global_cancel()
    except (BrokerError, HydraError, TimeoutError) as exc:
        report.broker_error = f"global cancel failed: {exc!r}"
        report.failed = [["*", report.broker_error]]
        return
    report.cancelled = list(result.cancelled)
    report.still_open = list(result.open_after)
    report.failed = [[o, "still open after the global cancel"] for o in result.open_after]


def _append_kill(journal: JsonlJournal, step: _Fallback) -> None:
    report = step.report
    record = KillRecord(
        time=datetime.now(UTC),
        who=step.who,
        why=step.why,
        path="broker",
        emergency_client_id=step.emergency.client_id,
        cancelled=tuple(report.cancelled),
        failed=tuple((item[0], str(item[1])) for item in report.failed),
        not_flattened=tuple((str(a), str(b)) for a, b in report.not_flattened),
    )
    problem = _journaled(journal, record, step)
    if problem is not None:
        report.halt_error = f"kill record not journaled: {problem}"


def _text(report: FallbackReport) -> str:
    if report.halt == "journaled":
        halt = f"HALT appended to {report.journal} for {report.account} (it restarts HALTED)"
    elif report.halt == "requested":
        halt = (
            f"HALT requested in {report.journal}.halt for {report.account} (the trader "
            "journals it and halts at its next decision or restart)"
        )
    else:
        halt = "HALT NOT recorded"
    if report.halt_error:
        halt += f" ({report.halt_error})"
    broker = (
        f"global cancel FAILED: {report.broker_error}"
        if report.broker_error
        else f"global cancel sent to {report.broker} as emergency client "
        f"{report.emergency_client_id}; cancelled {report.cancelled or 'none'}; "
        f"still open {report.still_open or 'none'}"
    )
    lines = [
        f"No control server answered ({report.control_error})."
        if report.asked
        else "The trader was not asked (--broker).",
        f"Trader: {report.trader} ({report.journal}).",
        f"Broker fallback: {halt}; {broker}.",
    ]
    if report.flattened or report.not_flattened:
        lines.append(
            f"Flatten: orders {report.flattened or 'none'}; "
            f"not flattened {report.not_flattened or 'none'}."
        )
    lines.append(
        "Done: HALT recorded and no order is working at the broker."
        if report.ok
        else "NOT DONE: see above."
    )
    return "\n".join(lines)
