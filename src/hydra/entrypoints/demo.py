"""The demo session: a simulated trading day through container -> RiskGate -> simulator.

The gate derives its inputs from the simulated account (the container's default) and
applies every control. The script shows: allowed orders; an oversized order blocked by
the position-size breaker; a limit order far from the market blocked by the price collar;
a resting order; prices drifting down until the daily-loss breaker trips and later orders
are blocked; then the kill switch, which halts trading and cancels the resting order, and
one last order that the HALTED state blocks. Every decision goes to the audit journal.
Deterministic for a given seed.

``serve_demo`` keeps a simulated session trading on the real clock (a few orders a second,
prices moving, breakers tripping now and then and re-armed by the demo) with the control
server running, so an operator can watch and act on it from another terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.adapters.journal import JsonlJournal, discard_journal
from hydra.adapters.journal.reader import first_record
from hydra.adapters.sim import DEFAULT_ACCOUNT, DEFAULT_INSTRUMENTS, SimulatedBroker
from hydra.application import KillReport, OrderDecision, OrderHandle, RiskGate, parse_record
from hydra.application.orders import BracketHandle
from hydra.application.records import DemoStarted
from hydra.domain import (
    BreakerStatus,
    HydraError,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderRequest,
    SecurityType,
    Side,
)

if TYPE_CHECKING:
    from hydra.adapters.control import ControlServer

__all__ = [
    "DEFAULT_DEMO_JOURNAL",
    "MIN_ORDERS",
    "DemoReport",
    "DemoRow",
    "run_demo",
    "serve_demo",
]

MIN_ORDERS = 6
"""Fewer orders cannot show a loss building up until the daily-loss breaker trips."""

DEFAULT_DEMO_JOURNAL = "hydra-demo.journal.jsonl"
"""Where the demo writes its audit journal unless told otherwise (recreated each run)."""

_SESSION_OPEN = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)  # 09:30 New York
_TOTAL_DRIFT = -0.12  # price fall over the whole session, spread over its steps
_STEP = timedelta(minutes=20)


@dataclass(frozen=True, slots=True)
class DemoRow:
    """One submit attempt in the demo and what the gate decided."""

    time: datetime
    symbol: str
    side: str
    quantity: float
    order_type: str
    price: float
    allowed: bool
    triggered: tuple[str, ...]
    order_id: int | None
    status: str


@dataclass(slots=True)
class DemoReport:
    """Everything the demo shows: decisions, positions, account, breakers, kill switch."""

    seed: int
    journal: str
    rows: list[DemoRow] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    account: dict[str, float | str] = field(default_factory=dict)
    breakers: tuple[BreakerStatus, ...] = ()
    kill: KillReport | None = None
    trading_state: str = ""
    brackets: list[BracketHandle] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "seed": self.seed,
            "journal": self.journal,
            "decisions": [
                {
                    "time": row.time.isoformat(),
                    "symbol": row.symbol,
                    "side": row.side,
                    "quantity": row.quantity,
                    "order_type": row.order_type,
                    "price": row.price,
                    "outcome": "allowed" if row.allowed else "blocked",
                    "triggered": list(row.triggered),
                    "order_id": row.order_id,
                    "status": row.status,
                }
                for row in self.rows
            ],
            "positions": self.positions,
            "account": self.account,
            "breakers": [status.as_json() for status in self.breakers],
            "kill_switch": None
            if self.kill is None
            else {
                "cancelled": list(self.kill.cancelled),
                "failed": [list(item) for item in self.kill.failed],
            },
            "trading_state": self.trading_state,
            "brackets": [
                {
                    role: {
                        "order_id": leg.order_id,
                        "status": leg.status.value,
                        "fill_price": leg.avg_fill_price or None,
                    }
                    for role, leg in zip(
                        ("entry", "take_profit", "stop_loss"), bracket, strict=True
                    )
                    if leg is not None
                }
                for bracket in self.brackets
            ],
        }


async def run_demo(
    seed: int = 7, orders: int = 12, journal: str | Path = DEFAULT_DEMO_JOURNAL
) -> DemoReport:
    """Run the simulated session and return its report (the journal file is recreated)."""
    if isinstance(orders, bool) or not isinstance(orders, int) or orders < MIN_ORDERS:
        raise InvalidInputError("orders", f"must be an integer >= {MIN_ORDERS}", orders)
    journal_path = _fresh_journal(journal)
    clock = ManualClock(_SESSION_OPEN)
    from hydra.container import build_container  # noqa: PLC0415  (the demo's own wiring, loaded when it runs)

    container = build_container(
        env={}, overrides={"sim": {"seed": seed}, "journal": {"path": str(journal_path)}}
    )
    container.clock.override(clock)
    broker: SimulatedBroker = container.sim_broker()
    gate: RiskGate = container.risk_gate()
    await broker.connect()
    rng = random.Random(seed)  # noqa: S311  (demo data)
    symbols = list(_STOCKS)
    drift = _TOTAL_DRIFT / (orders - 1)
    report = DemoReport(seed, str(journal_path))

    take_profit: OrderHandle | None = None

    async def submit(symbol: str, order: OrderRequest) -> OrderDecision:
        instrument = await gate.broker.qualify_contract(Instrument(symbol))
        decision = await gate.place(instrument, order)
        report.rows.append(_row(clock(), broker, symbol, order, decision))
        return decision

    for step in range(orders):
        clock.advance(_STEP)
        broker.walk_prices(drift=drift if step else 0.0, volatility=0.002)
        symbol, order = _order_for(step, broker, rng, symbols)
        decision = await submit(symbol, order)
        if step == 1 and decision.handle is not None:
            take_profit = decision.handle
        if step == 3:
            await _amend_and_protect(gate, broker, clock, report, take_profit)

    clock.advance(_STEP)
    report.kill = await gate.kill_switch(who="demo", why="end of the demo session")
    await submit("IBM", OrderRequest.market(Side.BUY, 1))  # HALTED: blocked
    _summarise(report, broker, gate)
    await broker.disconnect()
    return report


async def _amend_and_protect(
    gate: RiskGate,
    broker: SimulatedBroker,
    clock: ManualClock,
    report: DemoReport,
    take_profit: OrderHandle | None,
) -> None:
    """Amend the resting take-profit a little lower, then buy MSFT under a bracket."""
    if take_profit is not None and not take_profit.is_done:
        new_price = round((take_profit.request.limit_price or 0.0) * 0.99, 2)
        amended = gate.modify_with_decision(take_profit, limit_price=new_price)
        report.rows.append(_row(clock(), broker, "SPY", amended.order, amended, "amend"))  # type: ignore[arg-type]
    msft = await gate.broker.qualify_contract(Instrument("MSFT"))
    price = broker.price("MSFT") or 0.0
    entry = OrderRequest.limit(Side.BUY, 10, round(price * 1.001, 2))
    bracket = await gate.submit_bracket(
        msft,
        entry,
        take_profit=OrderRequest.limit(Side.SELL, 10, round(price * 1.04, 2)),
        stop_loss=OrderRequest.stop(Side.SELL, 10, round(price * 0.97, 2)),
    )
    decision = gate.last_decision
    assert decision is not None  # noqa: S101  (the bracket was just judged)
    report.rows.append(_row(clock(), broker, "MSFT", entry, decision, "bracket"))
    if bracket is not None:
        report.brackets.append(bracket)


_STOCKS = tuple(
    i.symbol
    for i in DEFAULT_INSTRUMENTS
    if i.sec_type is SecurityType.STOCK and i.currency == "USD"
)
"""The US stocks the demo trades (Toyota, in yen, is left to the valuation examples)."""
"""The demo trades the simulator's stocks (its ES future would dwarf a 100k account)."""


def _fresh_journal(journal: str | Path) -> Path:
    """Recreate the demo journal, refusing to overwrite one that is not a demo's."""
    path = Path(journal)
    if path.is_dir():
        raise InvalidInputError("--journal", "is a directory, not a journal file", str(path))
    try:
        first = first_record(path)  # any segment: a trader's journal may be mid-rollover
        demo = first is None or isinstance(parse_record(first), DemoStarted)
    except (HydraError, OSError, ValueError):
        demo = False
    if not demo:
        raise InvalidInputError(
            "--journal",
            "is not a demo journal (a trader's audit trail?); refusing to overwrite it",
            str(path),
        )
    try:
        discard_journal(path)  # a demo is a fresh session, not a restart
        with JsonlJournal(path, "never", account=DEFAULT_ACCOUNT) as marker:
            marker.append(DemoStarted(time=datetime.now(UTC)).as_json())
    except OSError as exc:
        raise InvalidInputError(
            "--journal", f"cannot write it: {exc.strerror}", str(path)
        ) from None
    return path


async def serve_demo(
    *,
    seed: int = 7,
    journal: str | Path = DEFAULT_DEMO_JOURNAL,
    port: int | None = None,
    orders_per_second: float = 3.0,
    on_ready: Callable[[ControlServer], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Trade a simulated session with the control server up, until SIGINT/SIGTERM or ``stop``.

    ``port`` overrides the configured control port (``[control] port``,
    ``HYDRA_CONTROL_PORT``); None keeps it.

    Raises:
        ConfigError: the control port is in use or the token file is unsafe.
    """
    journal_path = _fresh_journal(journal)
    from hydra.container import build_container  # noqa: PLC0415  (the demo's own wiring, loaded when it runs)

    container = build_container(
        overrides={
            "sim": {"seed": seed},
            "journal": {"path": str(journal_path), "fsync": "never"},
            "control": {"enabled": True} | ({} if port is None else {"port": port}),
        }
    )
    broker: SimulatedBroker = container.sim_broker()
    await broker.connect()
    gate: RiskGate = container.risk_gate()
    server: ControlServer = container.control_server()
    done = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    rng = random.Random(seed)  # noqa: S311  (demo data)
    symbols = list(_STOCKS)
    instruments = {s: await gate.broker.qualify_contract(Instrument(s)) for s in symbols}
    try:
        async with server:
            if on_ready is not None:
                on_ready(server)
            step = 0
            while not done.is_set():
                step += 1
                shock = -0.03 if step % 60 == 0 else 0.0  # now and then a trip
                broker.walk_prices(drift=shock, volatility=0.004)
                await _serve_step(gate, broker, rng, symbols, instruments, step)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 1.0 / orders_per_second)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await broker.disconnect()


async def _serve_step(
    gate: RiskGate,
    broker: SimulatedBroker,
    rng: random.Random,
    symbols: list[str],
    instruments: dict[str, Instrument],
    step: int,
) -> None:
    """One order of the served demo; re-arm a tripped breaker after a while."""
    equity = broker.account().net_liquidation
    held = {p.symbol: p.quantity for p in broker.positions()}
    symbol = rng.choice(symbols)
    if held.get(symbol, 0.0) > 0 and rng.random() < 0.45:
        order = OrderRequest.market(Side.SELL, max(1.0, held[symbol] // 2))
    else:
        fraction = rng.choice((0.03, 0.05, 0.08, 0.3))  # 0.3: the size breaker blocks it
        order = OrderRequest.market(Side.BUY, _shares(fraction * equity, broker, symbol))
    await gate.place(instruments[symbol], order)
    if step % 40 == 20:
        for trip in gate.breakers.latched:
            gate.reset_breaker(trip.breaker, who="demo", why="demo: re-arm after a trip")


def _order_for(
    step: int, broker: SimulatedBroker, rng: random.Random, symbols: list[str]
) -> tuple[str, OrderRequest]:
    """The scripted first four orders, then random buys."""
    equity = broker.account().net_liquidation
    held = {p.symbol: p.quantity for p in broker.positions()}
    if step == 0:
        return "SPY", OrderRequest.market(Side.BUY, _shares(0.12 * equity, broker, "SPY"))
    if step == 1:  # a take-profit that rests above the market (for the kill switch)
        limit = round((broker.price("SPY") or 0.0) * 1.03, 2)
        return "SPY", OrderRequest.limit(Side.SELL, max(1.0, held.get("SPY", 2.0) // 2), limit)
    if step == 2:  # oversized: the position-size breaker blocks it
        return "AAPL", OrderRequest.market(Side.BUY, _shares(0.30 * equity, broker, "AAPL"))
    if step == 3:  # a limit far from the market: the price collar blocks it
        return "MSFT", OrderRequest.limit(
            Side.BUY, 5, round((broker.price("MSFT") or 0.0) * 0.85, 2)
        )
    symbol = rng.choice(symbols)
    fraction = rng.uniform(0.06, 0.12)
    return symbol, OrderRequest.market(Side.BUY, _shares(fraction * equity, broker, symbol))


def _summarise(report: DemoReport, broker: SimulatedBroker, gate: RiskGate) -> None:
    account = broker.account()
    start_equity = gate.status().session_start_equity or account.net_liquidation
    report.positions = [
        {
            "symbol": p.symbol,
            "quantity": p.quantity,
            "avg_cost": round(p.avg_cost, 4),
            "price": broker.price(p.symbol),
        }
        for p in broker.positions()
    ]
    report.account = {
        "account": account.account,
        "equity": round(account.net_liquidation, 2),
        "cash": round(account.cash, 2),
        "realized_pnl": round(account.realized_pnl, 2),
        "unrealized_pnl": round(account.unrealized_pnl, 2),
        "daily_pnl": round((account.net_liquidation - start_equity) / start_equity, 6),
    }
    report.breakers = gate.breakers.status()
    report.trading_state = gate.trading_state.value


def _shares(notional: float, broker: SimulatedBroker, symbol: str) -> float:
    price = broker.price(symbol) or 1.0
    return max(1.0, float(int(notional / price)))


def _row(
    now: datetime,
    broker: SimulatedBroker,
    symbol: str,
    order: OrderRequest,
    decision: OrderDecision,
    what: str = "",
) -> DemoRow:
    return DemoRow(
        now,
        symbol,
        order.side.value,
        order.quantity,
        f"{order.order_type.value} {what}".strip(),
        order.limit_price if order.limit_price is not None else broker.price(symbol) or 0.0,
        decision.allowed,
        decision.triggered,
        decision.order_id,
        decision.handle.status.value if decision.handle else "-",
    )
