"""HYDRA's in-process rows: the gate's decisions, its checks alone, the simulator, memory.

Every function here expects structlog to be configured already (``hydra.logs.
configure_production``): the caller runs each group in its own process, because cached
loggers keep the first configuration they see.
"""

from __future__ import annotations

import gc
import itertools
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import structlog

from benchmarks.recording import AAPL, RecordingBroker
from benchmarks.timing import REPEATS, Row, summarise, time_each
from hydra.adapters.journal import HaltInbox, JsonlJournal
from hydra.adapters.journal.jsonl import DEFAULT_SEGMENT_MB
from hydra.adapters.sim import SimulatedBroker
from hydra.application import RiskGate
from hydra.domain import (
    AccountLimits,
    BreakerInputs,
    CircuitBreakerManager,
    ManualClock,
    OrderLimits,
    OrderRequest,
    SessionSchedule,
    Side,
    TradingState,
)

__all__ = [
    "BENCH_LIMITS",
    "bench_gate",
    "checks_only_row",
    "direct_action",
    "gate_scenario",
    "memory_row",
    "production_rows",
    "recorded_action",
    "recorded_row",
    "sim_gate",
]

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=2)
# Production limits, with a throttle wide enough for a benchmark's order rate.
BENCH_LIMITS = OrderLimits(max_orders=5_000, rate_window=timedelta(seconds=1))
DISTINCT = 2_000  # distinct orders: more than fit in the 2 s duplicate window at 2 ms each
REFRESH = 10_000  # orders between reference-price ticks (20 s of clock; max age is 60 s)

Fsync = Literal["never"] | int


ACCOUNT_RULES = AccountLimits(margin="model")
"""``gate_pass_account``: the defaults, margin judged by the model (no broker round trip)."""


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


async def sim_gate(
    journal_path: str | None, fsync: Fsync = "never", account: AccountLimits | None = None
) -> tuple[RiskGate, SimulatedBroker, ManualClock]:
    """A gate as the container builds it: derived inputs, limits, journal, manual clock."""
    clock = ManualClock(START)
    broker = SimulatedBroker(clock=clock, cash=1e9, history=1000)
    await broker.connect()
    journal = (
        JsonlJournal(
            journal_path,
            fsync,
            account="SIM0001",
            segment_bytes=int(DEFAULT_SEGMENT_MB * 2**20),
            session=SessionSchedule(),
            clock=clock,
        )
        if journal_path
        else None
    )
    gate = bench_gate(broker, clock, journal, account)
    if journal is not None:  # segments open with the gate's memory, as the container wires it
        journal.checkpoint_source = lambda: gate.checkpoint().as_json()
    return gate, broker, clock


def bench_gate(
    broker: SimulatedBroker | RecordingBroker,
    clock: ManualClock,
    journal: JsonlJournal | None,
    account: AccountLimits | None = None,
) -> RiskGate:
    """The production gate over ``broker``: default limits (throttle widened), derived inputs.

    The account-wide rules (margin, caps, shorts, hours) are off unless ``account`` is
    given: the rows compared across releases judge what they judged before those rules
    existed; ``gate_pass_account`` runs them all.
    """
    return RiskGate(
        broker,
        CircuitBreakerManager(clock=clock),
        limits=BENCH_LIMITS,
        account_limits=account,
        journal=journal,
        clock=clock,
        halt_requests=HaltInbox(journal.path, journal.account) if journal is not None else None,
    )


def gate_scenario(
    kind: str, gate: RiskGate, broker: SimulatedBroker, clock: ManualClock
) -> Callable[[int], object]:
    """The per-order action of one scenario; the clock moves 2 ms per order."""
    if kind == "blocked_breaker":
        # Latch the daily-loss breaker once (caller's daily P&L -5%); it stays tripped.
        gate.submit_with_decision(
            AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(-0.05, 1e9, 1e9, 0, 0)
        )
        assert gate.breakers.latched, "the daily-loss breaker did not latch"
    if kind == "halted":
        gate.set_trading_state(TradingState.HALTED, who="bench", why="halted row")
    # A limit at 150 against a 200 reference is outside the 5% price collar; a limit at
    # the reference fills at once.
    limit = {"blocked_limit": 150.0, "allowed_limit": 200.0}.get(kind)
    orders = _orders(limit)
    submit = gate.submit_with_decision

    sequence = itertools.count()  # continues across warm-up and repeats: no duplicates

    def action(_i: int) -> object:
        n = next(sequence)
        clock.now += STEP
        if n % REFRESH == 0:
            broker.set_price("AAPL", 200.0)  # a market-data tick keeps the price fresh
        return submit(AAPL, orders[n % DISTINCT])

    return action


SCENARIOS: tuple[tuple[str, str, str, Fsync], ...] = (
    ("gate_pass", "allowed: gate -> simulator, journal + production log", "allowed", "never"),
    ("gate_pass_fsync100", "allowed, journal fsynced every 100 records", "allowed", 100),
    (
        "gate_pass_account",
        "allowed, every account-wide rule on (margin model, caps, shorts, hours)",
        "allowed",
        "never",
    ),
    ("gate_block_limit", "blocked by a per-order limit (price collar)", "blocked_limit", "never"),
    ("gate_block_breaker", "blocked by a latched breaker (daily loss)", "blocked_breaker", "never"),
    ("gate_halted", "blocked: trading HALTED", "halted", "never"),
)


async def production_rows(count: int, workdir: Path) -> list[Row]:
    """Every gate row with the journal on and production logging, plus the breakdown."""
    rows = []
    for name, what, kind, fsync in SCENARIOS:
        repeats = []
        for r in range(REPEATS):
            account = ACCOUNT_RULES if name == "gate_pass_account" else None
            gate, broker, clock = await sim_gate(str(workdir / f"{name}-{r}.jsonl"), fsync, account)
            action = gate_scenario(kind, gate, broker, clock)
            time_each(action, min(200, count))  # warm-up: caches, first-use loggers
            expected = kind == "allowed"
            assert all(d.allowed is expected for d in gate.decisions), (
                f"{name}: {gate.last_decision}"
            )
            gc.collect()
            repeats.append(time_each(action, count))
            assert gate.last_decision is not None
            assert gate.last_decision.allowed is expected, f"{name}: {gate.last_decision}"
            gate.close()
        rows.append(summarise(name, what, repeats))
    rows.append(
        await recorded_row(
            "gate_pass_sink",
            "allowed: gate -> recording adapter (a sink), journal + production log",
            count,
            workdir,
        )
    )
    rows.append(await sim_submit_fill_row(count))
    rows.append(structlog_row(count))
    rows.append(journal_row(count, workdir))
    return rows


async def hand_off_row(count: int, workdir: Path) -> Row:
    """What a trader waits for: from ``submit`` to the adapter's hand-off, production gate.

    The write-ahead record is written before the hand-off; the allowed log line after it
    (it guards nothing) is not part of this latency.
    """
    repeats = []
    for r in range(REPEATS):
        clock = ManualClock(START)
        broker = RecordingBroker(clock)
        await broker.connect()
        journal = JsonlJournal(workdir / f"hand-off-{r}.jsonl", "never", account="SIM0001")
        gate = bench_gate(broker, clock, journal)
        action = recorded_action(gate, broker, clock)
        capability = broker.capability
        for i in range(min(200, count)):
            broker.settle(action(i))
        gc.collect()
        latencies = []
        ns = time.perf_counter_ns
        for i in range(count):
            start = ns()
            handle = action(i)
            latencies.append((capability.handed_ns - start) / 1000.0)
            broker.settle(handle)
        repeats.append(latencies)
        gate.close()
    return summarise(
        "gate_hand_off", "submit -> the adapter's hand-off (record written ahead)", repeats
    )


async def book_gate(
    resting: int, journal: Path
) -> tuple[RiskGate, SimulatedBroker, Callable[[int], object]]:
    """The gate with ``resting`` of our limit orders in AAPL, and its allowed-limit action."""
    gate, broker, clock = await sim_gate(str(journal))
    for i in range(resting):  # far from the market on both sides: they only rest
        side, price = (Side.BUY, 150.0) if i % 2 else (Side.SELL, 250.0)
        broker.inject_foreign_order(AAPL, OrderRequest.limit(side, 1, price))
    return gate, broker, gate_scenario("allowed_limit", gate, broker, clock)


async def book_action(resting: int, journal: Path) -> Callable[[int], object]:
    """The allowed-limit action with ``resting`` orders in the book (instruction counts)."""
    return (await book_gate(resting, journal))[2]


async def book_rows(count: int, workdir: Path) -> list[Row]:
    """Limit orders through the gate with none, then 5,000, of our orders resting in AAPL."""
    rows = []
    for resting, name in ((0, "gate_pass_book_0"), (5_000, "gate_pass_book_5000")):
        repeats = []
        for r in range(REPEATS):
            gate, broker, action = await book_gate(resting, workdir / f"{name}-{r}.jsonl")
            time_each(action, min(200, count))
            gc.collect()
            repeats.append(time_each(action, count))
            assert gate.last_decision is not None
            assert gate.last_decision.allowed, f"{name}: {gate.last_decision}"
            assert len(broker.open_orders()) == resting
            gate.close()
        what = f"allowed limit orders (they fill), {resting:,} of ours resting in AAPL"
        rows.append(summarise(name, what, repeats))
    return rows


async def checks_only_row(count: int) -> Row:
    """The gate's checks alone: no journal, info logs filtered, a broker that only records."""
    return await recorded_row(
        "gate_checks_only", "allowed, no journal, logs filtered, recording adapter", count, None
    )


async def recorded_row(name: str, what: str, count: int, journal_dir: Path | None) -> Row:
    """Allowed orders through the gate into ``RecordingBroker`` (Nautilus' sink, in kind).

    With ``journal_dir`` the audit journal is on (fsync never); logging is whatever the
    process configured (production at info for ``gate_pass_sink``, at warning for the
    checks alone).
    """
    repeats = []
    for r in range(REPEATS):
        clock = ManualClock(START)
        broker = RecordingBroker(clock)
        await broker.connect()
        journal = (
            JsonlJournal(journal_dir / f"{name}-{r}.jsonl", "never", account="SIM0001")
            if journal_dir is not None
            else None
        )
        gate = bench_gate(broker, clock, journal)
        action = recorded_action(gate, broker, clock)
        time_each(action, min(200, count), broker.settle)
        gc.collect()
        repeats.append(time_each(action, count, broker.settle))
        assert gate.last_decision is not None
        assert gate.last_decision.allowed, gate.last_decision
        assert broker.recorded[-1].order_id == min(200, count) + count, "orders went missing"
        gate.close()
    return summarise(name, what, repeats)


def recorded_action(
    gate: RiskGate, broker: RecordingBroker, clock: ManualClock
) -> Callable[[int], object]:
    """Submit through the gate; the result is the handle (for the untimed settle)."""
    orders = _orders()
    submit = gate.submit_with_decision

    sequence = itertools.count()

    def action(_i: int) -> object:
        n = next(sequence)
        clock.now += STEP
        if n % REFRESH == 0:
            broker.refresh()
        return submit(AAPL, orders[n % DISTINCT]).handle

    return action


def direct_action(broker: SimulatedBroker, clock: ManualClock) -> Callable[[int], object]:
    """Submit straight into the simulator's capability (market orders: they fill at once)."""
    orders = _orders()
    submit = broker.claim_submit_capability().submit_order

    sequence = itertools.count()

    def direct(_i: int) -> object:
        clock.now += STEP
        return submit(AAPL, orders[next(sequence) % DISTINCT])

    return direct


async def sim_submit_fill_row(count: int) -> Row:
    """The simulator's own submit and fill: its capability called directly, no gate."""
    repeats = []
    for _ in range(REPEATS):
        clock = ManualClock(START)
        broker = SimulatedBroker(clock=clock, cash=1e9, history=1000)
        await broker.connect()
        direct = direct_action(broker, clock)
        time_each(direct, min(200, count))
        gc.collect()
        repeats.append(time_each(direct, count))
        assert not broker.open_orders(), "a simulator market order did not fill"
    return summarise("sim_submit_fill", "simulator capability submit + fill, no gate", repeats)


def structlog_row(count: int) -> Row:
    """One production JSON log line alone, as the gate emits per allowed order."""
    log = structlog.get_logger("hydra.bench")

    def line(i: int) -> object:
        log.info("order.allowed", seq=i, symbol="AAPL", side="BUY", quantity=1.0, order_id=i)
        return None

    time_each(line, 200)
    return summarise(
        "structlog_line",
        "one JSON log line (production config), alone",
        [time_each(line, count) for _ in range(REPEATS)],
    )


def journal_row(count: int, workdir: Path) -> Row:
    """One decision-sized audit record appended alone (fsync never)."""
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
        journal = JsonlJournal(workdir / f"journal-row-{r}.jsonl", "never", account="SIM0001")
        append = journal.append
        repeats.append(time_each(lambda _i, append=append: append(record), count))
        journal.close()
    return summarise("journal_append", "one audit record appended (fsync never), alone", repeats)


async def memory_row(decisions: int, workdir: Path) -> Row:
    """RSS growth over many allowed decisions (journal on, production logging), after warm-up."""
    gate, broker, clock = await sim_gate(str(workdir / "memory.jsonl"))
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
    assert gate.last_decision is not None
    assert gate.last_decision.allowed
    gate.close()
    return Row(
        "memory_rss_growth_mb",
        f"RSS growth over {decisions:,} allowed decisions ({seconds:.0f}s)",
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
