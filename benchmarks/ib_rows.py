"""The IB round trip: RiskGate + BrokerGateway vs raw ib_async, over the fake gateway."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ib_async import IB, LimitOrder, Stock, Trade

from benchmarks.gate_rows import BENCH_LIMITS
from benchmarks.timing import REPEATS, Row, summarise
from hydra.adapters.ib import BrokerGateway
from hydra.adapters.journal import JsonlJournal
from hydra.application import RiskGate
from hydra.domain import (
    CircuitBreakerManager,
    Instrument,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    Side,
)
from hydra.testing import FakeIBGateway

__all__ = ["round_trip_rows"]


async def round_trip_rows(count: int, workdir: Path) -> list[Row]:  # noqa: PLR0915  (one scenario, read top to bottom)
    """Submit -> 'Submitted' over loopback: BrokerGateway + RiskGate vs raw ib_async.

    The gate is the production one: journal on (fsync never), production logging.
    """
    # Pacing (error 100 past 50 messages a second) is off: a burst measures the path.
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
        journal = JsonlJournal(workdir / "ib.jsonl", "never", account="DU123456")
        gate = RiskGate(gateway, CircuitBreakerManager(), limits=BENCH_LIMITS, journal=journal)
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
        gate.close()
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
