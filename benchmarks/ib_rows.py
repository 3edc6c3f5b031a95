"""The IB round trip: RiskGate + BrokerGateway vs raw ib_async, over the fake gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from ib_async import IB, Contract, LimitOrder, Stock, Trade

from benchmarks.gate_rows import BENCH_LIMITS
from benchmarks.sketch import Desk, judge, send, settle
from benchmarks.timing import REPEATS, Row, summarise
from hydra.adapters.ib import BrokerGateway
from hydra.adapters.journal import JsonlJournal
from hydra.application import RiskGate
from hydra.domain import (
    AccountLimits,
    CircuitBreakerManager,
    Instrument,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    Side,
)
from hydra.testing import FakeIBGateway

__all__ = ["margin_round_trip_row", "round_trip_rows", "sketch_round_trip_row"]


async def round_trip_rows(count: int, workdir: Path) -> list[Row]:
    """Submit -> 'Submitted' over loopback: BrokerGateway + RiskGate vs raw ib_async.

    The gate is the production one: journal on (fsync never), production logging.
    """
    # Pacing (error 100 past 50 messages a second) is off: a burst measures the path.
    async with FakeIBGateway(prices={"AAPL": 200.0}, max_messages_per_second=None) as fake:
        raw, contract = await _raw_client(fake, 7)
        gateway = await _trading_gateway(fake)
        journal = JsonlJournal(workdir / "ib.jsonl", "never", account="DU123456")
        # The account-wide rules are off, as in every row compared across releases: this
        # row is the order's own round trip (a margin preview would add a whatIf first).
        gate = RiskGate(
            gateway,
            CircuitBreakerManager(),
            limits=BENCH_LIMITS,
            account_limits=None,
            journal=journal,
        )
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))

        raw_once = _raw_once(raw, contract)

        sequence = iter(range(10**9))
        next_submitted = _submitted(gateway)

        async def gate_once(i: int) -> float:
            n = next(sequence)  # distinct quantity/price pairs: no duplicate-guard blocks
            order = OrderRequest.limit(Side.BUY, 1 + n % 97, 196.0 - (n // 97 % 50) * 0.01)
            done = next_submitted()
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


async def margin_round_trip_row(count: int, workdir: Path) -> Row:
    """The same round trip with the broker's margin check on: a whatIf first, awaited.

    ``await gate.place`` previews each order (IB's whatIf, never executed) before its
    decision, then sends it; the difference from ``ib_gate_round_trip`` is what the
    margin check costs over loopback (a real IB Gateway adds its own margin figures).
    """
    async with FakeIBGateway(prices={"AAPL": 200.0}, max_messages_per_second=None) as fake:
        gateway = await _trading_gateway(fake)
        journal = JsonlJournal(workdir / "ib-margin.jsonl", "never", account="DU123456")
        gate = RiskGate(
            gateway,
            CircuitBreakerManager(),
            limits=BENCH_LIMITS,
            account_limits=AccountLimits(margin="broker"),
            journal=journal,
        )
        aapl = await gate.broker.qualify_contract(Instrument("AAPL"))
        sequence = iter(range(10**9))
        next_submitted = _submitted(gateway)

        async def gate_once(_i: int) -> float:
            n = next(sequence)
            order = OrderRequest.limit(Side.BUY, 1 + n % 97, 196.0 - (n // 97 % 50) * 0.01)
            done = next_submitted()
            start = time.perf_counter_ns()
            decision = await gate.place(aapl, order)
            assert decision.handle is not None, decision.reasons
            assert decision.valuation is not None
            assert decision.valuation.margin is not None, "no margin preview was judged"
            await done
            elapsed = (time.perf_counter_ns() - start) / 1000.0
            await gate.cancel(decision.handle)
            await decision.handle.wait(timeout=5)
            return elapsed

        repeats = []
        for _ in range(REPEATS):
            samples = []
            for i in range(count):
                samples.append(await gate_once(i))
                await asyncio.sleep(0.001)
            repeats.append(samples)
        gate.close()
        await gateway.disconnect()
    return summarise(
        "ib_gate_round_trip_margin",
        "RiskGate + BrokerGateway with the broker's margin check (whatIf awaited) -> Submitted",
        repeats,
    )


async def sketch_round_trip_row(count: int, workdir: Path) -> Row:
    """The bare sketch around ``BrokerGateway``'s own capability, against raw ib_async.

    What any gate keeping the rules must do per order, and nothing more: the sketch's
    checks (``benchmarks/sketch.py``), one chained journal record written ahead with the
    reserved order id, the capability's submit, one production log line. A fake of its own
    (client id 1 is the gate row's in the first one) with its own raw client, so the ratio
    compares the two in the same loop, like the gate row.
    """
    async with FakeIBGateway(prices={"AAPL": 200.0}, max_messages_per_second=None) as fake:
        raw, contract = await _raw_client(fake, 8)
        gateway = await _trading_gateway(fake)
        capability = gateway.claim_submit_capability()
        aapl = await gateway.qualify_contract(Instrument("AAPL"))
        journal = JsonlJournal(workdir / "ib-sketch.jsonl", "never", account="DU123456")
        desk = Desk()
        buy = True  # every sketch order buys, as the gate row's do
        log = structlog.get_logger("hydra.sketch")
        sequence = iter(range(10**9))
        next_submitted = _submitted(gateway)

        async def sketch_once(_i: int) -> float:
            n = next(sequence)
            qty, limit = float(1 + n % 97), 196.0 - (n // 97 % 50) * 0.01
            order = OrderRequest.limit(Side.BUY, qty, limit)
            done = next_submitted()
            start = time.perf_counter_ns()
            desk.now += 0.002
            blocked = judge(desk, buy, qty, limit)
            assert not blocked, blocked
            order_id = capability.reserve_order_id()
            journal.append(
                {
                    "kind": "decision",
                    "event": "order.allowed",
                    "seq": n,
                    "symbol": "AAPL",
                    "side": "BUY",
                    "quantity": qty,
                    "order_id": order_id,
                }
            )
            send(desk, buy, qty, limit)
            handle = capability.submit_order(aapl, order)
            log.info("order.allowed", seq=n, symbol="AAPL", quantity=qty, order_id=order_id)
            await done
            elapsed = (time.perf_counter_ns() - start) / 1000.0
            settle(desk, buy, qty)
            await gateway.cancel_order(handle)
            await handle.wait(timeout=5)
            return elapsed

        raw_once = _raw_once(raw, contract)
        results: dict[str, list[list[float]]] = {"raw": [], "sketch": []}
        for _ in range(REPEATS):
            for key, once in (("raw", raw_once), ("sketch", sketch_once)):
                samples = []
                for i in range(count):
                    samples.append(await once(i))
                    await asyncio.sleep(0.001)
                results[key].append(samples)
        raw.disconnect()
        journal.close()
        await gateway.disconnect()
    base = summarise("raw", "", results["raw"])
    row = summarise(
        "ib_sketch_round_trip",
        f"sketch + BrokerGateway -> Submitted (its own fake; raw there {base.median_us:.0f} us)",
        results["sketch"],
    )
    row.ratio = row.median_us / base.median_us
    row.p99_ratio = (row.p99_us or 0.0) / (base.p99_us or 1.0)
    return row


def _raw_once(raw: IB, contract: Contract) -> Callable[[int], Awaitable[float]]:
    """Raw ib_async: placeOrder -> the trade's status is Submitted (the cancel untimed)."""

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

    return raw_once


async def _raw_client(fake: FakeIBGateway, client_id: int) -> tuple[IB, Contract]:
    """A raw ib_async client on ``fake`` and its qualified AAPL.

    ib_async paces requests to 45/s by default; a burst of place+cancel pairs would measure
    that pacing, not the path. It is off for every client here, so the rows compare.
    """
    raw = IB()
    raw.client.MaxRequests = 0
    await raw.connectAsync("127.0.0.1", fake.port, clientId=client_id, timeout=5)
    [contract] = await raw.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    return raw, contract


async def _trading_gateway(fake: FakeIBGateway) -> BrokerGateway:
    """A connected BrokerGateway (client id 1) on ``fake``, ib_async's pacing off."""
    gateway = BrokerGateway(port=fake.port, connect_timeout=5)
    # The trading client takes no host IB (it could bypass the gate); its private one is
    # reached here only to switch the pacing off, as for the raw rows.
    gateway._ib.client.MaxRequests = 0
    await gateway.connect()
    return gateway


def _submitted(gateway: BrokerGateway) -> Callable[[], asyncio.Future[None]]:
    """Arm a future that the gateway's next SUBMITTED order event resolves."""
    waiting: list[asyncio.Future[None]] = []

    def on_event(event: OrderEvent) -> None:
        if event.status is OrderStatus.SUBMITTED and waiting and not waiting[-1].done():
            waiting[-1].set_result(None)

    gateway.subscribe(on_event)

    def arm() -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting[:] = [future]
        return future

    return arm
