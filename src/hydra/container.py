"""The composition root: settings in, a wired RiskGate over the chosen broker out.

``build_container()`` reads the TOML file and ``HYDRA_*`` environment (``hydra.settings``:
one frozen config object per section), and the ``Container`` builds every object from
those objects: the breakers from ``settings.breakers``, the adapter ``broker.mode``
selects (``sim``, the default; ``paper``: BrokerGateway, live ports refused; ``live``:
BrokerGateway with the explicit two-part opt-in, checked at start-up), the journal
(``hydra.restart``) and the gate over it with its memory restored, and the control
server (``[control]``). Tests and embedding hosts override providers instead of
patching.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from hydra.adapters.ib import LIVE_CONFIRMATION, LIVE_PORTS, BrokerGateway, live_opted_in
from hydra.adapters.ib.emergency import EmergencyClient
from hydra.adapters.journal import tail_journal
from hydra.adapters.sim import SimulatedBroker
from hydra.domain import CircuitBreakerManager, ClientRole, ConfigError
from hydra.domain.clock import system_clock
from hydra.restart import OpenedJournal, journal_account_for, open_gate
from hydra.settings import Settings, load_settings

if TYPE_CHECKING:
    from hydra.adapters.control import ControlServer
    from hydra.application import RiskGate

__all__ = ["Container", "build_container", "container_for"]


def _control_server(gate: RiskGate, opened: OpenedJournal, settings: Settings) -> ControlServer:
    if not settings.control.enabled:
        raise ConfigError(
            "control.enabled",
            "the control server is off; set [control] enabled = true (or HYDRA_CONTROL_ENABLED=1)",
        )
    try:  # imported here: the web stack is the optional [control] extra
        from hydra.adapters.control import ControlServer  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "control.enabled",
            f"the control server needs the web stack ({exc.name} is not installed): "
            "pip install 'hydra-execution[control]'",
        ) from None
    path = opened.path
    return ControlServer(
        gate,
        settings.control,
        journal_tail=lambda count: tail_journal(path, count),
        journal_failures=lambda: opened.failures,
    )


class Container(containers.DeclarativeContainer):
    """Providers for the clock, breakers, broker adapter, journal, RiskGate, control server.

    ``cli_gateway`` (client id 3, read-only), ``emergency_client`` (IB's global cancel as
    ``[control] emergency_client_id``) and ``emergency_gate`` (``hydra kill --flatten``
    for a dead trader: a gate over the emergency connection and the trader's journal,
    restored as the trader's own) are the operator CLI's.
    """

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Object(system_clock)
    config_version = providers.Object("")
    new_journal = providers.Object(False)  # noqa: FBT003  (override with True to start afresh)

    breakers = providers.Singleton(
        CircuitBreakerManager, config=settings.provided.breakers, clock=clock
    )
    sim_broker = providers.Singleton(
        SimulatedBroker.from_config, settings.provided.sim, clock=clock
    )
    paper_broker = providers.Singleton(
        BrokerGateway.from_config, settings.provided.broker, allow_live=False
    )
    live_broker = providers.Singleton(BrokerGateway.from_config, settings.provided.broker)
    broker = providers.Selector(
        settings.provided.broker.mode, sim=sim_broker, paper=paper_broker, live=live_broker
    )
    # The operator's connections (hydra status/positions/breakers; hydra kill's fallback):
    # factories, so a call may point them elsewhere, e.g. cli_gateway(port=4102).
    cli_gateway = providers.Factory(
        BrokerGateway.from_config,
        settings.provided.broker,
        client_id=ClientRole.CLI.value,  # read-only: it cannot claim the submit capability
    )
    emergency_client = providers.Factory(
        EmergencyClient,
        host=settings.provided.broker.host,
        port=settings.provided.broker.port,
        client_id=settings.provided.control.emergency_client_id,
    )
    emergency_gateway = providers.Factory(
        BrokerGateway.from_config,
        settings.provided.broker,
        client_id=settings.provided.control.emergency_client_id,
        market_data=False,
        emergency=True,
    )

    journal = providers.Singleton(
        OpenedJournal.from_config,
        settings.provided.journal,
        providers.Callable(journal_account_for, broker, settings.provided.journal.account),
        new_journal=new_journal,
        session=settings.provided.breakers.session,
        clock=clock,
    )
    risk_gate = providers.Singleton(
        open_gate,
        broker,
        breakers,
        settings,
        journal,
        clock=clock,
        config_version=config_version,
    )
    # hydra kill --flatten with the trader dead: a gate of its own over the emergency
    # connection and the trader's journal (its lock taken), with the trader's settings
    # and restore policy; its kill switch HALTs, cancels and flattens through the trail.
    emergency_gate = providers.Factory(
        open_gate,
        breakers=providers.Factory(
            CircuitBreakerManager, config=settings.provided.breakers, clock=clock
        ),
        settings=settings,
        clock=clock,
        config_version=config_version,
    )
    control_server = providers.Singleton(_control_server, risk_gate, journal, settings)


def build_container(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> Container:
    """Load and validate settings (file <- env <- overrides) and return a wired container.

    Raises:
        ConfigError: an unknown key or a bad value, named.
    """
    return container_for(load_settings(path, env, overrides))


def container_for(settings: Settings) -> Container:
    """A container wired from already-loaded ``settings``.

    Raises:
        ConfigError: ``paper`` mode on a live port, or ``live`` mode without both halves
            of the opt-in.
    """
    broker = settings.broker
    if broker.mode == "paper" and broker.port in LIVE_PORTS:
        raise ConfigError(
            "broker.port",
            f"{broker.port} is a live-trading port but broker.mode is 'paper'; use 4002 "
            "(Gateway) or 7497 (TWS), or opt into mode = 'live'",
        )
    if broker.mode == "live" and not live_opted_in(broker.allow_live, broker.live_confirmation):
        raise ConfigError(
            "broker.mode",
            "live trading needs broker.allow_live = true AND broker.live_confirmation = "
            f"{LIVE_CONFIRMATION!r} (or HYDRA_BROKER_ALLOW_LIVE / "
            "HYDRA_BROKER_LIVE_CONFIRMATION); use mode = 'paper' otherwise",
        )
    container = Container(settings=settings)
    container.config_version.override(providers.Object(settings.version))
    return container
