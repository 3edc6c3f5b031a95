"""Measure the RiskGate's cost against a trivial baseline, raw ib_async and memory.

Run ``uv run python -m benchmarks.run`` (full) or ``--quick`` (a smoke run for CI).
Everything is measured in ONE process run; each timed row is repeated 5x and reported
as median/min/max of the per-repeat medians, plus the p99 over all samples. Ratios are
against the baseline row (five float comparisons + a list append). Prints a table and
writes JSON (``--json PATH``, default ``benchmarks/results/latest.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from ib_async import IB, LimitOrder, Stock, Trade

from hydra.adapters.ib import BrokerGateway
from hydra.adapters.journal import JsonlJournal
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import (
    CircuitBreakerManager,
    Instrument,
    ManualClock,
    OrderEvent,
    OrderLimits,
    OrderRequest,
    OrderStatus,
    Side,
    TradingState,
)
from hydra.testing import FakeIBGateway

REPEATS = 5
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=2)
# Production-like limits with a throttle wide enough for a benchmark's order rate.
BENCH_LIMITS = OrderLimits(max_orders=5_000, rate_window=timedelta(seconds=1))


@dataclass
class Row:
    """One benchmark row: per-operation times in microseconds."""

    name: str
    what: str
    median_us: float
    min_us: float
    max_us: float
    p99_us: float | None
    samples: int
    ratio: float | None = None
    p99_ratio: float | None = None


def configure_production_logging(path: str) -> Any:
    """JSON lines to a file, cached loggers, level filtering: what a deployment runs."""
    handle = open(path, "a", encoding="utf-8")  # noqa: SIM115  (kept open for the run)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(20),
        logger_factory=structlog.WriteLoggerFactory(file=handle),
        cache_logger_on_first_use=True,
    )
    return handle


def summarise(name: str, what: str, repeats: list[list[float]], *, p99: bool = True) -> Row:
    """Median/min/max of the per-repeat medians; p99 over every sample (us)."""
    medians = [statistics.median(r) for r in repeats]
    samples = sorted(x for r in repeats for x in r)
    p99_value = samples[min(len(samples) - 1, int(len(samples) * 0.99))] if p99 else None
    return Row(
        name,
        what,
        statistics.median(medians),
        min(medians),
        max(medians),
        p99_value,
        len(samples),
    )


def time_each(action: Callable[[int], object], count: int) -> list[float]:
    """Per-call wall time in microseconds, one perf_counter_ns pair per call."""
    clock = time.perf_counter_ns
    out = []
    for i in range(count):
        start = clock()
        action(i)
        out.append((clock() - start) / 1000.0)
    return out


def baseline_row(count: int) -> Row:
    """Five float comparisons + list append, timed in batches (too fast to time singly)."""
    sink: list[bool] = []
    a, b, c, d, e = -0.001, 100_000.0, 99_000.0, 1_000.0, 0.0

    def checks() -> None:
        sink.append(a > -0.02 and b > 0.0 and c > 0.0 and d / c < 0.2 and e < 0.01)

    repeats = []
    batch = 1000
    for _ in range(REPEATS):
        per_call = []
        for _ in range(max(1, count // batch)):
            start = time.perf_counter_ns()
            for _ in range(batch):
                checks()
            per_call.append((time.perf_counter_ns() - start) / 1000.0 / batch)
            sink.clear()
        repeats.append(per_call)
    return summarise("baseline", "5 float comparisons + list append (the unit)", repeats, p99=False)


async def sim_gate(
    *,
    journal_path: str | None,
    fsync: str | int = "never",
    limits: OrderLimits | None = BENCH_LIMITS,
) -> tuple[RiskGate, SimulatedBroker, ManualClock]:
    """A gate as the container builds it: derived inputs, limits, journal, manual clock."""
    clock = ManualClock(START)
    broker = SimulatedBroker(clock=clock, cash=1e9, history=1000)
    await broker.connect()
    journal = JsonlJournal(journal_path, fsync, account="DU123456") if journal_path else None  # type: ignore[arg-type]
    gate = RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=limits,
        journal=journal,
        clock=clock,
        derive_inputs=True,
    )
    return gate, broker, clock


DISTINCT = 2_000  # distinct orders: more than fit in the 2 s duplicate window at 2 ms each


def _orders(limit: float | None = None) -> list[OrderRequest]:
    """Orders built before the timing (order construction is the caller's cost).

    Buy q, sell q, buy q+1, sell q+1 ...: the position stays small and no order repeats
    within the duplicate guard's window, so the guard runs but does not block.
    """
    sides = (Side.BUY, Side.SELL)
    return [
        OrderRequest(sides[i % 2], float(1 + i // 2))
        if limit is None
        else OrderRequest.limit(sides[i % 2], float(1 + i // 2), limit)
        for i in range(DISTINCT)
    ]


def gate_scenario(
    kind: str, gate: RiskGate, broker: SimulatedBroker, clock: ManualClock
) -> Callable[[int], object]:
    """The per-order action of one scenario; the clock moves 2 ms per order."""
    aapl = Instrument("AAPL", con_id=265598)
    if kind == "blocked_breaker":
        gate.submit_with_decision(aapl, OrderRequest.market(Side.BUY, 1), -0.05, 1e9, 1e9, 0.0, 0.0)
    if kind == "halted":
        gate.set_trading_state(TradingState.HALTED, who="bench", why="halted row")
    # Alternating buys and sells keep the position small; quantities vary (no duplicates).
    orders = _orders(150.0 if kind == "blocked_limit" else None)
    submit = gate.submit_with_decision

    def action(i: int) -> object:
        clock.now += STEP
        if i % 10_000 == 0:
            broker.set_price("AAPL", 200.0)  # keep the reference price fresh
        return submit(aapl, orders[i % DISTINCT])

    return action


def capability_scenario(broker: SimulatedBroker, clock: ManualClock) -> Callable[[int], object]:
    """The same order flow straight into the simulator's capability: no gate at all."""
    submit = broker.claim_submit_capability().submit_order
    aapl = Instrument("AAPL", con_id=265598)
    orders = _orders()

    def direct(i: int) -> object:
        clock.now += STEP
        if i % 10_000 == 0:
            broker.set_price("AAPL", 200.0)
        return submit(aapl, orders[i % DISTINCT])

    return direct


async def gate_rows(count: int, workdir: Path) -> list[Row]:
    """Every in-process gate row, with production logging and the journal on."""
    rows = []
    scenarios = [
        ("gate_pass", "allowed: RiskGate.submit -> SimulatedBroker", "allowed", "never"),
        ("gate_pass_fsync100", "allowed, journal fsync every 100", "allowed", 100),
        (
            "gate_block_breaker",
            "blocked by a latched breaker (daily loss)",
            "blocked_breaker",
            "never",
        ),
        (
            "gate_block_limit",
            "blocked by a per-order limit (price collar)",
            "blocked_limit",
            "never",
        ),
        ("gate_halted", "blocked: trading HALTED", "halted", "never"),
    ]
    for name, what, kind, fsync in scenarios:
        repeats = []
        for r in range(REPEATS):
            gate, broker, clock = await sim_gate(
                journal_path=str(workdir / f"{name}-{r}.jsonl"), fsync=fsync
            )
            action = gate_scenario(kind, gate, broker, clock)
            time_each(action, min(200, count))  # warm-up: caches, first-use loggers
            gc.collect()
            repeats.append(time_each(action, count))
        rows.append(summarise(name, what, repeats))
    repeats = []
    for _ in range(REPEATS):
        gate, broker, clock = await sim_gate(journal_path=None)
        action = gate_scenario("allowed", gate, broker, clock)
        time_each(action, min(200, count))
        gc.collect()
        with quiet_logging():
            repeats.append(time_each(action, count))
    rows.append(summarise("gate_pass_quiet", "allowed, no journal, info logs filtered", repeats))
    rows.append(_structlog_row(count))
    rows.append(_journal_row(count, workdir))
    repeats = []
    for _ in range(REPEATS):
        _, broker, clock = await sim_gate(journal_path=None)
        fresh = SimulatedBroker(clock=clock, cash=1e9, history=1000)
        await fresh.connect()
        action = capability_scenario(fresh, clock)
        time_each(action, min(200, count))
        gc.collect()
        repeats.append(time_each(action, count))
    rows.append(summarise("no_gate", "same flow, capability called directly", repeats))
    return rows


@contextlib.contextmanager
def quiet_logging() -> Iterator[None]:
    """Temporarily filter below WARNING: isolates the gate's own work from its log line."""
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    try:
        yield
    finally:
        structlog.configure(**previous)


def _structlog_row(count: int) -> Row:
    """One production JSON log line alone, as the gate emits per allowed order."""
    log = structlog.get_logger("hydra.bench")

    def line(i: int) -> object:
        log.info("order.allowed", seq=i, symbol="AAPL", side="BUY", quantity=1.0, order_id=i)
        return None

    time_each(line, 200)
    return summarise(
        "structlog_line",
        "one JSON log line (production config)",
        [time_each(line, count) for _ in range(REPEATS)],
    )


def _journal_row(count: int, workdir: Path) -> Row:
    """One audit record appended alone (fsync never), a decision-sized record."""
    record = {
        "kind": "decision",
        "event": "order.allowed",
        "config_version": "0123456789ab",
        "seq": 1,
        "time": START.isoformat(),
        "symbol": "AAPL",
        "con_id": 265598,
        "side": "BUY",
        "quantity": 1.0,
        "order_type": "MKT",
        "limit_price": None,
        "caller_inputs": None,
        "outcome": "allowed",
        "triggered": [],
        "reasons": [],
        "order_id": 1,
        "inputs": dict.fromkeys(
            ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss"), 0.5
        ),
        "trading_state": "ACTIVE",
    }
    repeats = []
    for r in range(REPEATS):
        journal = JsonlJournal(workdir / f"journal-row-{r}.jsonl", "never", account="DU123456")
        append = journal.append
        repeats.append(time_each(lambda _i, append=append: append(record), count))
        journal.close()
    return summarise("journal_append", "one audit record appended (fsync never)", repeats)


async def round_trip_rows(count: int) -> list[Row]:  # noqa: PLR0915  (one scenario, read top to bottom)
    """Submit -> 'Submitted' over loopback: BrokerGateway + RiskGate vs raw ib_async."""
    # Pacing off: the benchmark measures the path, not IB's 50 messages a second.
    async with FakeIBGateway(prices={"AAPL": 200.0}, max_messages_per_second=None) as fake:
        raw = IB()
        # ib_async paces requests to 45/s by default; a burst of place+cancel pairs would
        # measure that pacing, not the path. Off for both clients, so they stay comparable.
        raw.client.MaxRequests = 0
        await raw.connectAsync("127.0.0.1", fake.port, clientId=7, timeout=5)
        [contract] = await raw.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        gateway_ib = IB()
        gateway_ib.client.MaxRequests = 0
        gateway = BrokerGateway(port=fake.port, connect_timeout=5, ib=gateway_ib)
        await gateway.connect()
        gate = RiskGate(gateway, CircuitBreakerManager(), limits=BENCH_LIMITS, derive_inputs=True)
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))

        async def raw_once(i: int) -> float:
            done = asyncio.get_running_loop().create_future()

            def on_status(trade: Trade) -> None:
                if trade.orderStatus.status == "Submitted" and not done.done():
                    done.set_result(None)

            start = time.perf_counter_ns()
            trade = raw.placeOrder(contract, LimitOrder("BUY", 1 + i % 7, 196.0))
            trade.statusEvent += on_status
            await done
            elapsed = (time.perf_counter_ns() - start) / 1000.0
            cancelled = asyncio.get_running_loop().create_future()

            def on_done(_trade: Trade) -> None:
                if not cancelled.done():
                    cancelled.set_result(None)

            trade.cancelledEvent += on_done
            raw.cancelOrder(trade.order)
            await asyncio.wait_for(cancelled, 5)  # outside the timing, as for the gate
            return elapsed

        sequence = iter(range(10**9))

        waiting: dict[str, asyncio.Future[None]] = {}

        def on_event(event: OrderEvent) -> None:
            future = waiting.get("next")
            if event.status is OrderStatus.SUBMITTED and future is not None and not future.done():
                future.set_result(None)

        gateway.subscribe(on_event)

        async def gate_once(i: int) -> float:
            n = next(sequence)  # distinct quantity/price pairs: no duplicate-guard blocks
            order = OrderRequest.limit(Side.BUY, 1 + n % 97, 196.0 - (n // 97 % 50) * 0.01)
            waiting["next"] = done = asyncio.get_running_loop().create_future()
            start = time.perf_counter_ns()
            handle = gate.submit_with_decision(aapl, order).handle
            assert handle is not None, gate.last_decision
            await done
            elapsed = (time.perf_counter_ns() - start) / 1000.0
            await gate.cancel(handle)
            await handle.wait(timeout=5)  # outside the timing: keep exposure flat
            return elapsed

        results: dict[str, list[list[float]]] = {"raw": [], "gate": []}
        for _ in range(REPEATS):
            for key, once in (("raw", raw_once), ("gate", gate_once)):
                samples = []
                for i in range(count):
                    samples.append(await once(i))
                    await asyncio.sleep(0.001)  # let the cancel settle outside the timing
                results[key].append(samples)
        raw.disconnect()
        await gateway.disconnect()
    return [
        summarise(
            "ib_raw_round_trip",
            "raw ib_async placeOrder -> Submitted (fake gateway)",
            results["raw"],
        ),
        summarise(
            "ib_gate_round_trip",
            "RiskGate + BrokerGateway -> Submitted (same fake)",
            results["gate"],
        ),
    ]


async def memory_row(decisions: int) -> Row:
    """RSS growth over many gate decisions (logging and journal to /dev/null)."""
    gate, broker, clock = await sim_gate(journal_path=os.devnull)
    action = gate_scenario("allowed", gate, broker, clock)
    for i in range(10_000):
        action(i)
    gc.collect()
    before = _rss_mb()
    start = time.perf_counter()
    for i in range(decisions):
        action(i)
    gc.collect()
    growth = _rss_mb() - before
    seconds = time.perf_counter() - start
    return Row(
        "memory_rss_growth_mb",
        f"RSS growth over {decisions:,} gate decisions ({seconds:.0f}s)",
        growth,
        growth,
        growth,
        None,
        decisions,
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts: prove it runs")
    parser.add_argument("--smoke", action="store_true", help="tiny counts, for the test suite")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="output file")
    args = parser.parse_args(argv)
    count, trips, decisions = 20_000, 400, 1_000_000
    if args.quick:
        count, trips, decisions = 300, 20, 20_000
    if args.smoke:
        count, trips, decisions = 40, 4, 2_000
    # ib_async reports every cancel (error 202) through stdlib logging; not our output.
    logging.getLogger("ib_async").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        log_handle = configure_production_logging(os.path.join(tmp, "hydra.log"))
        rows = [baseline_row(count * 10)]
        rows += asyncio.run(gate_rows(count, Path(tmp)))
        rows += asyncio.run(round_trip_rows(trips))
        rows.append(asyncio.run(memory_row(decisions)))
        log_handle.close()
    base = rows[0].median_us
    for row in rows[1:-3]:  # every in-process row, against the baseline
        row.ratio = row.median_us / base
        row.p99_ratio = (row.p99_us or 0.0) / base
    raw, gated = rows[-3], rows[-2]
    gated.ratio = gated.median_us / raw.median_us
    gated.p99_ratio = (gated.p99_us or 0.0) / (raw.p99_us or 1.0)
    report = {
        "when": datetime.now(UTC).isoformat(),
        "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "rows": [asdict(row) for row in rows],
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(render(rows))
    print(f"\nwritten: {out}")
    return 0


def render(rows: list[Row]) -> str:
    """The table BENCHMARKS.md shows."""
    head = (
        f"{'row':<22} {'median':>9} {'min':>9} {'max':>9} {'p99':>9} {'x unit':>8} "
        f"{'p99 x':>8}  what"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        unit = "MB" if row.name.startswith("memory") else "us"
        p99 = f"{row.p99_us:9.2f}" if row.p99_us is not None else f"{'-':>9}"
        ratio = f"{row.ratio:8.2f}" if row.ratio is not None else f"{'-':>8}"
        p99r = f"{row.p99_ratio:8.2f}" if row.p99_ratio is not None else f"{'-':>8}"
        lines.append(
            f"{row.name:<22} {row.median_us:9.3f} {row.min_us:9.3f} {row.max_us:9.3f} {p99} "
            f"{ratio} {p99r}  {row.what} [{unit}]"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
