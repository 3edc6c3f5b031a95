"""A restart: the journal as the gate finds it, and the gate opened over it with its memory.

``OpenedJournal`` takes the writer lock, reads the journal's tail (``read_previous``:
the last checkpoint and what follows, folded; damage noted), then opens it to append.
``open_gate`` builds the RiskGate over a broker with that journal and restores its
memory under one policy, used by the trader's container and by ``hydra kill``'s
emergency gate alike: a damaged journal restores HALTED.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.adapters.journal import (
    CountingJournal,
    FsyncPolicy,
    HaltInbox,
    JournalLock,
    JournalScan,
    JsonlJournal,
    restart_segments,
)
from hydra.adapters.journal.config import JournalConfig
from hydra.application import RiskGate
from hydra.application.records import Checkpoint, is_checkpoint
from hydra.application.replay import JournalFold
from hydra.domain import (
    CircuitBreakerManager,
    Clock,
    ConfigError,
    HydraError,
    InvalidInputError,
    SessionSchedule,
    TradingState,
)
from hydra.domain.clock import system_clock
from hydra.settings import Settings

if TYPE_CHECKING:
    from hydra.adapters.ib import BrokerGateway
    from hydra.adapters.sim import SimulatedBroker

__all__ = [
    "OpenedJournal",
    "PreviousJournal",
    "damage_report",
    "journal_account_for",
    "open_gate",
    "read_previous",
]


def journal_account_for(broker: SimulatedBroker | BrokerGateway, configured: str) -> str:
    """The account the journal is for: the configured one, checked against the broker's."""
    try:
        reported: str | None = broker.account().account
    except HydraError:
        reported = None  # e.g. a gateway not connected yet
    if configured.strip() and reported and configured.strip() != reported:
        raise ConfigError(
            "journal.account",
            f"is {configured.strip()!r} but the broker reports account {reported!r}",
        )
    account = configured.strip() or reported
    if not account:
        raise ConfigError(
            "journal.account",
            "not set and the broker does not report an account yet; set it or connect first",
        )
    return account


def damage_report(path: str, previous: PreviousJournal) -> str | None:
    """Why a journal cannot be trusted, or None if it can."""
    if not previous.damaged:
        return None
    return (
        f"journal {path} is damaged (chain: {previous.damage or 'intact'}; torn last record: "
        f"{previous.torn_tail is not None}; unreadable lines: {list(previous.corrupt)}); "
        "review it, then resume deliberately"
    )


@dataclass(frozen=True, slots=True)
class PreviousJournal:
    """What a restart read: the memory folded from the last checkpoint on, and any damage.

    ``memory`` is that fold as one checkpoint (None: the journal held no record);
    ``read_from`` names the first segment read (the one opened by the last checkpoint).
    """

    memory: Checkpoint | None = None
    damage: str | None = None
    torn_tail: str | None = None
    corrupt: tuple[tuple[str, int], ...] = ()
    read_from: str | None = None

    @property
    def damaged(self) -> bool:
        """True if anything may have been lost: chain damage, unreadable lines or a torn tail."""
        return self.damage is not None or self.torn_tail is not None or bool(self.corrupt)


def read_previous(
    path: str, account: str | None = None, clock: Clock = system_clock
) -> PreviousJournal:
    """Fold the last checkpoint and the records after it; time and memory do not grow.

    Damage behind the checkpoint is not read (``hydra journal verify`` reports it); a
    journal whose oldest segments are gone and that keeps no checkpoint is damage.

    Raises:
        InvalidInputError: a record that should carry gate memory is malformed.
    """
    segments, from_checkpoint = restart_segments(path, is_checkpoint)
    scan = JournalScan(path, account, segments=segments)
    fold = JournalFold()
    for record in scan:
        fold.apply(record)
    damage = str(scan.damage) if scan.damage is not None else None
    if damage is None and not from_checkpoint and scan.origin is not None:
        damage = (
            f"records missing: the journal starts at {scan.origin.name} and keeps no "
            "checkpoint, so the memory before it is unknown"
        )
    return PreviousJournal(
        fold.checkpoint(clock()) if fold.records else None,
        damage,
        scan.torn_tail,
        tuple(scan.corrupt),
        segments[0].name if segments else None,
    )


class OpenedJournal:
    """The journal as the gate found it (its tail read and verified first), then opened.

    The writer lock is taken before anything is read, so the journal read is the journal
    appended to. ``previous`` is what the restart read (the last checkpoint and what
    follows); ``journal`` counts failed appends (``failures``), which the control server
    exports. ``new_journal`` archives the old journal and anchor and starts a new chain.
    """

    def __init__(
        self,
        path: str,
        fsync: FsyncPolicy,
        account: str,
        *,
        new_journal: bool,
        segment_mb: float | None = None,
        session: SessionSchedule | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.path = path
        self.account = account
        options: dict[str, Any] = {
            "account": account,
            "segment_bytes": int(segment_mb * 2**20) if segment_mb else None,
            "session": session,
            "clock": clock,
        }
        target = Path(path)
        if target.is_dir():
            raise ConfigError("journal.path", f"{path} is a directory, not a file")
        lock = None if target.exists() and not target.is_file() else JournalLock(target)
        try:
            if new_journal:
                inner = JsonlJournal(path, fsync, new_journal=True, lock=lock, **options)
                self.previous = PreviousJournal()
            else:
                # Read before opening: opening repairs a missing anchor and a torn line.
                self.previous = read_previous(path, account, clock)
                inner = JsonlJournal(path, fsync, lock=lock, **options)
        except InvalidInputError as exc:
            if lock is not None:
                lock.release()
            raise ConfigError("journal.path", f"{exc.field}: {exc.reason}") from None
        except OSError as exc:
            if lock is not None:
                lock.release()
            raise ConfigError("journal.path", f"cannot open {path}: {exc.strerror}") from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        # Until the gate takes over (checkpoint_from), a segment begun during the restore
        # opens with the memory just read: HALTED if the journal was damaged, so a crash
        # right after cannot leave the damage behind a clean checkpoint.
        memory = self.previous.memory or JournalFold().checkpoint(clock())
        if self.previous.damaged:
            memory = dataclasses.replace(memory, state=TradingState.HALTED)
        inner.checkpoint_source = lambda: dataclasses.replace(memory, time=clock()).as_json()
        self.journal = CountingJournal(inner)

    @classmethod
    def from_config(
        cls,
        config: JournalConfig,
        account: str,
        *,
        new_journal: bool = False,
        session: SessionSchedule | None = None,
        clock: Clock = system_clock,
        path: str | None = None,
    ) -> OpenedJournal:
        """The journal ``[journal]`` configures (``path`` names another: ``--journal``)."""
        return cls(
            path or config.path,
            config.fsync,
            account,
            new_journal=new_journal,
            segment_mb=config.segment_mb,
            session=session,
            clock=clock,
        )

    @property
    def failures(self) -> int:
        """Appends that failed since the journal was opened."""
        return self.journal.failures

    def checkpoint_from(self, gate: RiskGate) -> None:
        """Open each new segment with the gate's memory (``RiskGate.checkpoint``)."""
        inner = self.journal.inner
        if isinstance(inner, JsonlJournal):
            inner.checkpoint_source = lambda: gate.checkpoint().as_json()

    def close(self) -> None:
        """Sync, anchor and close the file; let go of the writer lock."""
        inner = self.journal.inner
        if isinstance(inner, JsonlJournal):
            inner.close()


def open_gate(
    broker: SimulatedBroker | BrokerGateway,
    breakers: CircuitBreakerManager,
    settings: Settings,
    opened: OpenedJournal,
    *,
    clock: Clock = system_clock,
    config_version: str = "",
) -> RiskGate:
    """The gate over ``broker`` with its journal, its memory restored: the restore policy.

    The journal's tail (the last checkpoint and what follows) is folded into one
    checkpoint and restored; a damaged or missing journal may have lost a state change
    or a trip, so the gate comes back HALTED (the desk's restore policy). From then on
    each new segment opens with the gate's memory. The trader and ``hydra kill``'s
    emergency gate both open their gate here.

    Raises:
        ConfigError: a journal record that cannot be restored (named); the journal is
            closed.
    """
    previous = opened.previous
    try:
        gate = RiskGate(
            broker,
            breakers,
            limits=settings.limits,
            account_limits=settings.account_limits,
            journal=opened.journal,
            clock=clock,
            config=settings.gate,
            config_version=config_version,
            halt_requests=HaltInbox(opened.path, opened.account),
        )
        memory = [previous.memory.as_json()] if previous.memory is not None else []
        gate.restore(memory, damage=damage_report(opened.path, previous))
    except InvalidInputError as exc:
        opened.close()
        raise ConfigError(
            "journal.path" if exc.field.startswith("journal") else exc.field,
            f"{exc.field}: {exc.reason}",
        ) from None
    except BaseException:
        opened.close()
        raise
    opened.checkpoint_from(gate)
    return gate
