"""Prometheus metrics of a running gate, in a registry of the server's own.

Counters and the latency histogram are fed by the gate's audit records; the states
(trading, breakers, connection, orders in flight, journal failures) are read from the
gate when Prometheus scrapes, so they are never stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hydra.application import AuditRecord, DecisionRecord, RiskGate
from hydra.domain import BreakerState, ConnectionState, TradingState

__all__ = ["GateMetrics"]

_LATENCY_BUCKETS = (
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1.0,
)  # fmt: skip


class GateMetrics:
    """The gate's metrics: feed ``observe`` every audit record; scrape ``registry``."""

    def __init__(self, gate: RiskGate, journal_failures: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter(
            "hydra_decisions",
            "Order decisions by outcome (allowed, blocked, error)",
            ["outcome"],
            registry=self.registry,
        )
        self.reasons = Counter(
            "hydra_decision_reasons",
            "Reasons that blocked orders, by reason code (one decision may carry several)",
            ["code", "name"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hydra_decision_latency_seconds",
            "Time from submit entry to the gate's conclusion",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_GateState(gate, journal_failures))

    def observe(self, record: AuditRecord) -> None:
        """Count a decision record (other kinds are read from the gate at scrape time)."""
        if not isinstance(record, DecisionRecord):
            return
        self.decisions.labels(record.outcome).inc()
        for reason in record.reasons:
            self.reasons.labels(reason.code, reason.name).inc()
        if record.latency_s is not None:
            self.latency.observe(record.latency_s)


class _GateState(Collector):
    """Gauges read from the gate on each scrape."""

    def __init__(self, gate: RiskGate, journal_failures: Callable[[], int] | None) -> None:
        self._gate = gate
        self._journal_failures = journal_failures

    def collect(self) -> Iterator[Metric]:
        gate = self._gate
        state = GaugeMetricFamily(
            "hydra_trading_state", "1 for the gate's current trading state", labels=["state"]
        )
        for trading in TradingState:
            state.add_metric([trading.value], float(gate.trading_state is trading))
        yield state
        breakers = GaugeMetricFamily(
            "hydra_breaker_state", "1 for each breaker's current state", labels=["breaker", "state"]
        )
        for status in gate.breakers.status():
            for breaker_state in BreakerState:
                breakers.add_metric(
                    [status.name.value, breaker_state.value], float(status.state is breaker_state)
                )
        yield breakers
        connection = GaugeMetricFamily(
            "hydra_connection_state", "1 for the broker connection's state", labels=["state"]
        )
        current = gate.broker.connection_state
        for link in ConnectionState:
            connection.add_metric([link.value], float(current is link))
        yield connection
        yield GaugeMetricFamily(
            "hydra_orders_in_flight",
            "Orders sent and not yet done",
            value=float(len(gate.broker.open_orders())),
        )
        if self._journal_failures is not None:
            yield CounterMetricFamily(
                "hydra_journal_write_failures",
                "Audit records the journal failed to write (each one halts trading)",
                value=float(self._journal_failures()),
            )
