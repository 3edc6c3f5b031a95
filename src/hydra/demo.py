"""The demo session: a simulated trading day through container -> RiskGate -> simulator.

Prices drift down over the session, so positions bought early lose money until the
daily-loss breaker trips and later orders are blocked; one oversized order is blocked by
the position-size breaker on the way. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hydra.adapters.sim import DEFAULT_INSTRUMENTS, SimulatedBroker
from hydra.container import build_container
from hydra.domain import (
    BreakerStatus,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderRequest,
    Side,
)

__all__ = ["MIN_ORDERS", "DemoReport", "DemoRow", "run_demo"]

MIN_ORDERS = 6
"""Fewer orders cannot show a loss building up until the daily-loss breaker trips."""

_SESSION_OPEN = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)  # 09:30 New York
_TOTAL_DRIFT = -0.12  # price fall over the whole session, spread over its steps


@dataclass(frozen=True, slots=True)
class DemoRow:
    """One submit attempt in the demo and what the gate decided."""

    time: datetime
    symbol: str
    side: str
    quantity: float
    price: float
    allowed: bool
    triggered: tuple[str, ...]
    order_id: int | None
    status: str
    daily_pnl: float


@dataclass(slots=True)
class DemoReport:
    """Everything the demo shows: decisions, final positions, account and breakers."""

    seed: int
    rows: list[DemoRow] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    account: dict[str, float | str] = field(default_factory=dict)
    breakers: tuple[BreakerStatus, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "seed": self.seed,
            "decisions": [
                {
                    "time": row.time.isoformat(),
                    "symbol": row.symbol,
                    "side": row.side,
                    "quantity": row.quantity,
                    "price": row.price,
                    "outcome": "allowed" if row.allowed else "blocked",
                    "triggered": list(row.triggered),
                    "order_id": row.order_id,
                    "status": row.status,
                    "daily_pnl": round(row.daily_pnl, 6),
                }
                for row in self.rows
            ],
            "positions": self.positions,
            "account": self.account,
            "breakers": [
                {
                    "name": status.name.value,
                    "state": status.state.value,
                    "value": status.value,
                    "threshold": status.threshold,
                    "since": status.since.isoformat() if status.since else None,
                    "until": status.until.isoformat() if status.until else None,
                }
                for status in self.breakers
            ],
        }


async def run_demo(seed: int = 7, orders: int = 12) -> DemoReport:
    """Run the simulated session and return its report."""
    if isinstance(orders, bool) or not isinstance(orders, int) or orders < MIN_ORDERS:
        raise InvalidInputError("orders", f"must be an integer >= {MIN_ORDERS}", orders)
    clock = ManualClock(_SESSION_OPEN)
    container = build_container(env={}, overrides={"sim": {"seed": seed}})
    container.clock.override(clock)
    broker: SimulatedBroker = container.sim_broker()
    gate = container.risk_gate()
    await broker.connect()
    rng = random.Random(seed)  # noqa: S311  (demo data)
    symbols = [instrument.symbol for instrument in DEFAULT_INSTRUMENTS]
    start_equity = broker.get_account_summary().net_liquidation
    peak = start_equity
    drift = _TOTAL_DRIFT / (orders - 1)
    report = DemoReport(seed)
    for step in range(orders):
        clock.advance(timedelta(minutes=20))
        if step:
            broker.walk_prices(drift=drift, volatility=0.002)
        symbol = rng.choice(symbols)
        price = broker.price(symbol) or 0.0
        equity = broker.get_account_summary().net_liquidation
        peak = max(peak, equity)
        held = {p.symbol: p.quantity for p in broker.get_positions()}
        side = Side.SELL if step % 5 == 4 and held.get(symbol, 0.0) > 0 else Side.BUY
        fraction = 0.30 if step == 2 else rng.uniform(0.06, 0.12)  # step 2 is oversized
        if side is Side.SELL:
            quantity = max(1.0, float(int(held[symbol] / 2)))
        else:
            quantity = max(1.0, float(int(fraction * equity / price)))
        order = OrderRequest.market(side, quantity)
        after = held.get(symbol, 0.0) + order.signed_quantity
        daily_pnl = (equity - start_equity) / start_equity
        instrument = await gate.broker.qualify_contract(Instrument(symbol))
        decision = gate.submit_with_decision(
            instrument, order, daily_pnl, peak, equity, abs(after) * price, 0.0
        )
        report.rows.append(
            DemoRow(
                clock(),
                symbol,
                side.value,
                quantity,
                price,
                decision.allowed,
                decision.triggered,
                decision.order_id,
                decision.handle.status.value if decision.handle else "-",
                daily_pnl,
            )
        )
    account = broker.get_account_summary()
    report.positions = [
        {
            "symbol": p.symbol,
            "quantity": p.quantity,
            "avg_cost": round(p.avg_cost, 4),
            "price": broker.price(p.symbol),
        }
        for p in broker.get_positions()
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
    await broker.disconnect()
    return report
