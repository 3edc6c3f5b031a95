"""The composition root: configuration in, a wired RiskGate over the chosen broker out.

``build_container()`` reads the TOML file and ``HYDRA_*`` environment (``hydra.settings``),
and the ``Container`` selects the adapter by ``broker.mode``: ``sim`` (the default),
``paper`` (BrokerGateway, live ports refused) or ``live`` (BrokerGateway with the explicit
two-part opt-in, checked at start-up). ``control_server`` serves the operator's control
API over the gate (``[control]``). Tests and embedding hosts override providers instead
of patching.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from dependency_injector import containers, providers

from hydra.adapters.ib import LIVE_CONFIRMATION, LIVE_PORTS, BrokerGateway, live_opted_in
from hydra.adapters.ib.emergency import EmergencyClient
from hydra.adapters.journal import (
    CountingJournal,
    FsyncPolicy,
    HaltInbox,
    JournalLock,
    JournalScan,
    JsonlJournal,
    restart_segments,
    tail_journal,
)
from hydra.adapters.sim import SimulatedBroker
from hydra.application import GateConfig, RiskGate
from hydra.application.records import Checkpoint, is_checkpoint
from hydra.application.replay import JournalFold
from hydra.domain import (
    BreakerConfig,
    CircuitBreakerManager,
    ClientRole,
    Clock,
    ConfigError,
    HydraError,
    InvalidInputError,
    OrderLimits,
    SessionSchedule,
    TradingState,
)
from hydra.domain.clock import system_clock
from hydra.settings import Settings, load_settings

if TYPE_CHECKING:
    from hydra.adapters.control import ControlServer

__all__ = [
    "Container",
    "OpenedJournal",
    "PreviousJournal",
    "build_container",
    "container_for",
    "read_previous",
]

_log = structlog.get_logger("hydra.container")


def _time_of_day(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _limits(*, enabled: bool, **settings: Any) -> OrderLimits | None:
    return OrderLimits(**settings) if enabled else None


def _journal_account(broker: SimulatedBroker | BrokerGateway, configured: str) -> str:
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


def _damage_report(path: str, previous: PreviousJournal) -> str | None:
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


def _risk_gate(
    *,
    broker: SimulatedBroker | BrokerGateway,
    breakers: CircuitBreakerManager,
    limits: OrderLimits | None,
    clock: Clock,
    opened: OpenedJournal,
    derive_inputs: bool,
    history: int,
    config_version: str,
) -> RiskGate:
    """Build the gate, with its journal; restore the memory the journal's tail implies."""
    journal = opened
    previous = opened.previous
    journal_path = opened.path
    try:
        gate = RiskGate(
            broker,
            breakers,
            limits=limits,
            journal=opened.journal,
            clock=clock,
            config=GateConfig(derive_inputs=derive_inputs, history=history),
            config_version=config_version,
            halt_requests=HaltInbox(journal_path, opened.account),
        )
        # The folded tail as one checkpoint: the memory every record since implies. A
        # damaged or missing journal may have lost a state change or a trip: the gate
        # comes back HALTED (the desk's restore policy).
        memory = [previous.memory.as_json()] if previous.memory is not None else []
        gate.restore(memory, damage=_damage_report(journal_path, previous))
    except InvalidInputError as exc:
        journal.close()
        raise ConfigError(
            "journal.path" if exc.field.startswith("journal") else exc.field,
            f"{exc.field}: {exc.reason}",
        ) from None
    except BaseException:
        journal.close()
        raise
    # From here on every new segment opens with the gate's memory (restored, and HALTED
    # if the journal was damaged), so the next restart reads from there.
    opened.checkpoint_from(gate)
    return gate


def _control_server(
    *,
    gate: RiskGate,
    opened: OpenedJournal,
    enabled: bool,
    host: str,
    port: int,
    token_file: str,
    tls_cert: str,
    tls_key: str,
    max_body: int,
) -> ControlServer:
    if not enabled:
        raise ConfigError(
            "control.enabled",
            "the control server is off; set [control] enabled = true (or HYDRA_CONTROL_ENABLED=1)",
        )
    try:  # imported here: the web stack is the optional [control] extra
        from hydra.adapters.control import ControlConfig, ControlServer  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "control.enabled",
            f"the control server needs the web stack ({exc.name} is not installed): "
            "pip install 'hydra-execution[control]'",
        ) from None
    config = ControlConfig(
        token_file=token_file,
        host=host,
        port=port,
        tls_cert=tls_cert,
        tls_key=tls_key,
        max_body=max_body,
    )
    path = opened.path
    return ControlServer(
        gate,
        config,
        journal_tail=lambda count: tail_journal(path, count),
        journal_failures=lambda: opened.failures,
    )


class Container(containers.DeclarativeContainer):
    """Providers for the clock, breakers, broker adapter, RiskGate and control server.

    ``cli_gateway`` (client id 3, read-only) and ``emergency_client`` (IB's global cancel
    as ``[control] emergency_client_id``) are the operator CLI's broker connections.
    """

    config = providers.Configuration(strict=True)
    clock = providers.Object(system_clock)

    session = providers.Factory(
        SessionSchedule,
        timezone=config.breakers.session_timezone,
        reset_time=providers.Callable(_time_of_day, config.breakers.session_reset),
    )
    breaker_config = providers.Factory(
        BreakerConfig,
        daily_loss_limit=config.breakers.daily_loss_limit,
        max_drawdown=config.breakers.max_drawdown,
        max_position_fraction=config.breakers.max_position_fraction,
        max_trade_loss=config.breakers.max_trade_loss,
        trade_loss_cooldown=providers.Callable(_seconds, config.breakers.trade_loss_cooldown_s),
        session=session,
    )
    breakers = providers.Singleton(CircuitBreakerManager, config=breaker_config, clock=clock)

    sim_broker = providers.Singleton(
        SimulatedBroker,
        cash=config.sim.cash,
        seed=config.sim.seed,
        commission=config.sim.commission,
        clock=clock,
    )
    paper_broker = providers.Singleton(
        BrokerGateway,
        host=config.broker.host,
        port=config.broker.port,
        client_id=config.broker.client_id,
        allow_live=False,
        connect_timeout=config.broker.connect_timeout,
    )
    live_broker = providers.Singleton(
        BrokerGateway,
        host=config.broker.host,
        port=config.broker.port,
        client_id=config.broker.client_id,
        allow_live=config.broker.allow_live,
        live_confirmation=config.broker.live_confirmation,
        connect_timeout=config.broker.connect_timeout,
    )
    broker = providers.Selector(
        config.broker.mode, sim=sim_broker, paper=paper_broker, live=live_broker
    )
    # The operator's connections (hydra status/positions/breakers; hydra kill's fallback):
    # factories, so a call may point them elsewhere, e.g. cli_gateway(port=4102).
    cli_gateway = providers.Factory(
        BrokerGateway,
        host=config.broker.host,
        port=config.broker.port,
        client_id=ClientRole.CLI.value,  # read-only: it cannot claim the submit capability
        allow_live=config.broker.allow_live,
        live_confirmation=config.broker.live_confirmation,
        connect_timeout=config.broker.connect_timeout,
    )
    emergency_client = providers.Factory(
        EmergencyClient,
        host=config.broker.host,
        port=config.broker.port,
        client_id=config.control.emergency_client_id,
    )
    # hydra kill --flatten with the trader unreachable: a gate of its own over this
    # connection, restored HALTED from the trader's journal, flattens via the kill switch.
    emergency_gateway = providers.Factory(
        BrokerGateway,
        host=config.broker.host,
        port=config.broker.port,
        client_id=config.control.emergency_client_id,
        allow_live=config.broker.allow_live,
        live_confirmation=config.broker.live_confirmation,
        connect_timeout=config.broker.connect_timeout,
        market_data=False,
        emergency=True,
    )

    limits = providers.Factory(
        _limits,
        enabled=config.limits.enabled,
        max_quantity=config.limits.max_quantity,
        max_notional=config.limits.max_notional,
        price_collar=config.limits.price_collar,
        max_price_age=providers.Callable(_seconds, config.limits.max_price_age_s),
        max_orders=config.limits.max_orders,
        rate_window=providers.Callable(_seconds, config.limits.rate_window_s),
        duplicate_window=providers.Callable(_seconds, config.limits.duplicate_window_s),
        self_cross=config.limits.self_cross,
    )
    config_version = providers.Object("")
    new_journal = providers.Object(False)  # noqa: FBT003  (override with True to start afresh)

    journal = providers.Singleton(
        OpenedJournal,
        path=config.journal.path,
        fsync=config.journal.fsync,
        account=providers.Callable(_journal_account, broker, config.journal.account),
        new_journal=new_journal,
        segment_mb=config.journal.segment_mb,
        session=session,
        clock=clock,
    )
    risk_gate = providers.Singleton(
        _risk_gate,
        broker=broker,
        breakers=breakers,
        limits=limits,
        clock=clock,
        opened=journal,
        derive_inputs=config.gate.derive_inputs,
        history=config.gate.history,
        config_version=config_version,
    )
    control_server = providers.Singleton(
        _control_server,
        gate=risk_gate,
        opened=journal,
        enabled=config.control.enabled,
        host=config.control.host,
        port=config.control.port,
        token_file=config.control.token_file,
        tls_cert=config.control.tls_cert,
        tls_key=config.control.tls_key,
        max_body=config.control.max_body,
    )


def build_container(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> Container:
    """Load and validate settings (file <- env <- overrides) and return a wired container.

    Raises:
        ConfigError: an unknown key or a bad value, named.
    """
    settings = load_settings(path, env, overrides)
    return container_for(settings)


def container_for(settings: Settings) -> Container:
    """A container wired from already-loaded ``settings``.

    Raises:
        ConfigError: a bad threshold, or ``live`` mode without both halves of the opt-in.
    """
    if settings.get("broker", "mode") == "paper" and settings.get("broker", "port") in LIVE_PORTS:
        raise ConfigError(
            "broker.port",
            f"{settings.get('broker', 'port')} is a live-trading port but broker.mode is "
            "'paper'; use 4002 (Gateway) or 7497 (TWS), or opt into mode = 'live'",
        )
    if settings.get("broker", "mode") == "live" and not live_opted_in(
        settings.get("broker", "allow_live"), settings.get("broker", "live_confirmation")
    ):
        raise ConfigError(
            "broker.mode",
            "live trading needs broker.allow_live = true AND broker.live_confirmation = "
            f"{LIVE_CONFIRMATION!r} (or HYDRA_BROKER_ALLOW_LIVE / "
            "HYDRA_BROKER_LIVE_CONFIRMATION); use mode = 'paper' otherwise",
        )
    container = Container()
    container.config.from_dict(settings.as_dict())
    container.config_version.override(providers.Object(settings.version))
    # Build the breaker config now so a bad threshold fails at start-up, not at first order.
    try:
        container.breaker_config()
        container.limits()
    except InvalidInputError as exc:
        raise ConfigError(exc.field, f"{exc.reason} (got {exc.value!r})") from None
    return container
