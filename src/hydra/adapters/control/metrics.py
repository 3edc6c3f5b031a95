"""Prometheus metrics of a running gate, in a registry of the server's own.

Events are counters fed by the gate's typed audit records (decisions, state changes,
breaker trips and resets, kills), so a HALT that lasts less than a scrape interval still
counts: ``increase(hydra_state_changes_total{state="HALTED"}[5m])``; the broker's
reconnect attempts and the journal's failed writes are counters its adapters keep. States and money
(trading state, breakers, connection, what the gate lets through, equity, daily P&L,
exposure) are gauges read from the gate when Prometheus scrapes, so they are never
stale. The process, platform and GC collectors and ``hydra_build_info`` come with it.

Every family is built here without a ``_created`` series (a collector of our own rather
than prometheus-client's ``Counter``, whose ``_created`` is switched off only
process-wide), and every label says something its metric name does not.
"""

from __future__ import annotations

import bisect
import platform
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import metadata

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from hydra.adapters.control.money import AccountMoney, account_money
from hydra.adapters.control.outlook import trading_outlook
from hydra.application import AuditRecord, RiskGate
from hydra.application.records import (
    BreakerReset,
    BreakerTripped,
    DecisionRecord,
    KillRecord,
    StateChanged,
)
from hydra.domain import BreakerName, BreakerState, ConnectionState, HydraError, TradingState

__all__ = ["GateMetrics"]

_LATENCY_BUCKETS = (
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1.0,
)  # fmt: skip
_OUTLOOK_LEVELS = ("open", "reduce_only", "closed")


def _installed_version() -> str:
    try:
        return metadata.version("hydra-execution")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


_VERSION = _installed_version()


class _Counter:
    """One counter family: a value per label tuple, every known label set from zero."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.values: dict[tuple[str, ...], float] = {}

    def start(self, *values: str) -> None:
        """Export this label set at 0 before it first happens (so ``increase()`` sees it)."""
        self.values.setdefault(values, 0.0)

    def inc(self, *values: str) -> None:
        """Count one event."""
        self.values[values] = self.values.get(values, 0.0) + 1.0

    def family(self) -> CounterMetricFamily:
        """The family as Prometheus reads it (``<name>_total``, no ``_created``)."""
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, count in self.values.items():
            family.add_metric(list(values), count)
        return family


class _Latency:
    """The decision-latency histogram (cumulative buckets, no ``_created``)."""

    def __init__(self) -> None:
        self.counts = [0] * (len(_LATENCY_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(_LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds

    def family(self) -> HistogramMetricFamily:
        running = 0
        buckets: list[tuple[str, float]] = []
        for bound, count in zip((*_LATENCY_BUCKETS, float("inf")), self.counts, strict=True):
            running += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), float(running)))
        return HistogramMetricFamily(
            "hydra_decision_latency_seconds",
            "Time from submit entry to the gate's conclusion",
            buckets=buckets,
            sum_value=self.total,
        )


class GateMetrics(Collector):
    """The gate's metrics: feed ``observe`` every audit record; scrape ``registry``.

    Args:
        gate: the gate whose states and money are read at scrape time.
        journal_failures: how many journal appends failed (None: not exported).
        on_money: called with the account's money read at each scrape (e.g. to chart it).
    """

    def __init__(
        self,
        gate: RiskGate,
        journal_failures: Callable[[], int] | None = None,
        on_money: Callable[[AccountMoney], None] | None = None,
    ) -> None:
        self._gate = gate
        self._journal_failures = journal_failures
        self._on_money = on_money
        self.decisions = _Counter("hydra_decisions", "Order decisions by outcome", ("outcome",))
        self.reasons = _Counter(
            "hydra_decision_reasons",
            "Reasons that blocked orders, by reason code (one decision may carry several)",
            ("code",),
        )
        self.state_changes = _Counter(
            "hydra_state_changes", "Trading-state changes, by the state entered", ("state",)
        )
        self.trips = _Counter("hydra_breaker_trips", "Circuit-breaker trips", ("breaker",))
        self.resets = _Counter("hydra_breaker_resets", "Audited breaker resets", ("breaker",))
        self.kills = _Counter("hydra_kills", "Kill-switch runs (each HALTs and cancels)")
        for outcome in ("allowed", "blocked"):
            self.decisions.start(outcome)
        for state in TradingState:
            self.state_changes.start(state.value)
        for breaker in BreakerName:
            self.trips.start(breaker.value)
            self.resets.start(breaker.value)
        self.kills.start()
        self.latency = _Latency()
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.registry.register(self)

    def observe(self, record: AuditRecord) -> None:
        """Count one audit record by its type."""
        if isinstance(record, DecisionRecord):
            self.decisions.inc("allowed" if record.allowed else "blocked")
            for reason in record.reasons:
                self.reasons.inc(reason.code)
            if record.latency_s is not None:
                self.latency.observe(record.latency_s)
        elif isinstance(record, StateChanged):
            self.state_changes.inc(record.state.value)
        elif isinstance(record, BreakerTripped):
            self.trips.inc(record.breaker.value)
        elif isinstance(record, BreakerReset):
            self.resets.inc(record.breaker.value)
        elif isinstance(record, KillRecord):
            self.kills.inc()

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: registering must not read the gate (it may be disconnected)."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        """Every family of this gate (the registry calls it on each scrape)."""
        for counter in (self.decisions, self.reasons, self.state_changes, self.trips):
            yield counter.family()
        yield self.resets.family()
        yield self.kills.family()
        yield self.latency.family()
        if self._journal_failures is not None:
            yield CounterMetricFamily(
                "hydra_journal_write_failures",
                "Audit records the journal failed to write (each one halts trading)",
                value=float(self._journal_failures()),
            )
        yield CounterMetricFamily(
            "hydra_reconnects",
            "Reconnect attempts the broker adapter made (every attempt, failed ones too)",
            value=float(self._gate.broker.reconnects),
        )
        yield from self._states()
        yield from self._money()
        build = GaugeMetricFamily(
            "hydra_build_info", "HYDRA's version", labels=["version", "python_version"]
        )
        build.add_metric([_VERSION, platform.python_version()], 1.0)
        yield build

    def _states(self) -> Iterator[Metric]:
        gate = self._gate
        status = gate.status()
        state = GaugeMetricFamily(
            "hydra_trading_state", "1 for the gate's current trading state", labels=["state"]
        )
        for trading in TradingState:
            state.add_metric([trading.value], float(status.trading_state is trading))
        yield state
        breakers = GaugeMetricFamily(
            "hydra_breaker_state", "1 for each breaker's current state", labels=["breaker", "state"]
        )
        for breaker in status.breakers:
            for breaker_state in BreakerState:
                breakers.add_metric(
                    [breaker.name.value, breaker_state.value],
                    float(breaker.state is breaker_state),
                )
        yield breakers
        connection = GaugeMetricFamily(
            "hydra_connection_state", "1 for the broker connection's state", labels=["state"]
        )
        for link in ConnectionState:
            connection.add_metric([link.value], float(status.connection is link))
        yield connection
        outlook = trading_outlook(status, datetime.now(UTC), gate.breakers.config.session.timezone)
        can_trade = GaugeMetricFamily(
            "hydra_outlook",
            "1 for what the gate lets through now: open (new risk), reduce_only, closed",
            labels=["level"],
        )
        for level in _OUTLOOK_LEVELS:
            can_trade.add_metric([level], float(outlook.level == level))
        yield can_trade
        yield GaugeMetricFamily(
            "hydra_orders_in_flight",
            "Orders sent and not yet done",
            value=float(len(gate.broker.open_orders())),
        )

    def _money(self) -> Iterator[Metric]:
        try:
            money, _ = account_money(self._gate)
        except HydraError:
            return  # no account (e.g. disconnected): the series are absent, not zero
        if self._on_money is not None:
            self._on_money(money)
        values = {
            "hydra_equity": ("Net liquidation value", money.equity),
            "hydra_daily_pnl": ("P&L since the session start", money.daily_pnl),
            "hydra_realized_pnl": ("Realised P&L (broker)", money.realized_pnl),
            "hydra_unrealized_pnl": ("Unrealised P&L (broker)", money.unrealized_pnl),
            "hydra_gross_exposure": ("Sum of |market value| of positions", money.gross_exposure),
            "hydra_net_exposure": ("Sum of market value of positions", money.net_exposure),
        }  # fmt: skip
        for name, (documentation, value) in values.items():
            if value is None:
                continue
            family = GaugeMetricFamily(
                name, f"{documentation}, in the account's base currency", labels=["currency"]
            )
            family.add_metric([money.currency], value)
            yield family
        if money.daily_pnl_fraction is not None:
            yield GaugeMetricFamily(
                "hydra_daily_pnl_ratio",
                "P&L since the session start as a fraction of session-start equity "
                "(the daily_loss breaker's unit)",
                value=money.daily_pnl_fraction,
            )
