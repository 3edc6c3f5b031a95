"""The gate's checks as a list: users add their own, which only block, fail closed, are named."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from hydra.adapters.sim import SimulatedBroker
from hydra.application import DecisionContext, GateConfig, RiskGate
from hydra.application.records import DecisionRecord
from hydra.domain import (
    AccountSnapshot,
    BreakerInputs,
    CircuitBreakerManager,
    Instrument,
    InvalidInputError,
    ManualClock,
    OrderRequest,
    Reason,
    Side,
    TradingState,
)
from hydra.testing import MemoryJournal

from .desk import AAPL, NY_MORNING, OK

COLLAR_BREACH = OrderRequest.limit(Side.BUY, 1, 150.0)  # 25 % under the simulator's 200


def no_msft(ctx: DecisionContext) -> Iterator[Reason]:
    """A user's rule: never trade MSFT."""
    if ctx.instrument.symbol == "MSFT":
        yield Reason("banned", "no_msft", "MSFT is on the desk's banned list")


def lenient(ctx: DecisionContext) -> list[Reason]:
    """A user's check that tries to lift the gate's blocks (it cannot)."""
    ctx.shrinks = True
    ctx.state = TradingState.ACTIVE
    return []


def broken(_ctx: DecisionContext) -> list[Reason]:
    """A user's check with a bug."""
    raise RuntimeError("boom")


def half_broken(_ctx: DecisionContext) -> Iterator[Reason]:
    """A user's check that yields one reason, then fails."""
    yield Reason("first", "first", "first reason")
    raise RuntimeError("midway")


def sloppy(_ctx: DecisionContext) -> list[str]:
    """A user's check that returns text instead of reasons."""
    return ["not a reason"]


async def _gate(
    *checks: object, broker: SimulatedBroker | None = None, journal: MemoryJournal | None = None
) -> RiskGate:
    clock = ManualClock(NY_MORNING)
    sim = broker if broker is not None else SimulatedBroker(clock=clock)
    await sim.connect()
    return RiskGate(
        sim,
        CircuitBreakerManager(clock=clock),
        clock=clock,
        journal=journal if journal is not None else MemoryJournal(),
        config=GateConfig(derive_inputs=False),
        checks=checks,  # type: ignore[arg-type]
    )


async def test_a_user_check_blocks_with_a_namespaced_code() -> None:
    """A user check's reason blocks the order; its code becomes user.<name>.<code>."""
    gate = await _gate(no_msft)
    msft = await gate.broker.qualify_contract(Instrument("MSFT"))
    decision = gate.submit_with_decision(
        msft, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert decision.triggered == ("no_msft",)
    assert decision.reasons[0].code == "user.no_msft.banned"
    allowed = gate.submit_with_decision(
        AAPL, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK)
    )
    assert allowed.allowed, allowed.reasons


async def test_a_user_checks_block_is_journaled_with_its_namespaced_code() -> None:
    """The write-ahead journal record of a user check's block names user.<name>.<code>."""
    journal = MemoryJournal()
    gate = await _gate(no_msft, journal=journal)
    msft = await gate.broker.qualify_contract(Instrument("MSFT"))
    gate.submit_with_decision(msft, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(*OK))
    [record] = journal.of_type(DecisionRecord)
    assert not record.allowed
    assert [reason.code for reason in record.reasons] == ["user.no_msft.banned"]
    assert record.triggered == ("no_msft",)


async def test_a_user_check_cannot_lift_a_built_in_block() -> None:
    """A check that returns nothing and rewrites the context leaves the collar's block."""
    gate = await _gate(lenient)
    decision = gate.submit_with_decision(AAPL, COLLAR_BREACH, inputs=BreakerInputs(*OK))
    assert decision.triggered == ("price_collar",)
    gate.set_trading_state(TradingState.HALTED, who="ops", why="test")
    assert gate.submit_with_decision(AAPL, OrderRequest.market(Side.BUY, 1)).triggered == (
        "halted",
    )


@pytest.mark.parametrize(
    ("check", "expected"),
    [(broken, "boom"), (half_broken, "midway"), (sloppy, "Reason objects")],
)
async def test_a_raising_user_check_blocks_and_the_others_reasons_survive(
    check: object, expected: str
) -> None:
    """A user check that raises (or yields junk) blocks with check.error naming it."""
    gate = await _gate(check)
    decision = gate.submit_with_decision(AAPL, COLLAR_BREACH, inputs=BreakerInputs(*OK))
    name = f"user.{check.__name__}"  # type: ignore[attr-defined]
    assert decision.triggered == ("price_collar", f"{name}_error")
    assert decision.reasons[1].code == "check.error"
    assert expected in decision.reasons[1].message
    assert not decision.allowed


async def test_a_failing_derivation_blocks_without_hiding_the_other_reasons() -> None:
    """An adapter whose account read fails: the breakers cannot judge, the collar still names."""

    class BrokenAccount(SimulatedBroker):
        def account(self) -> AccountSnapshot:
            raise RuntimeError("account feed down")

    clock = ManualClock(NY_MORNING)
    broker = BrokenAccount(clock=clock)
    await broker.connect()
    gate = RiskGate(broker, CircuitBreakerManager(clock=clock), clock=clock)
    decision = gate.submit_with_decision(AAPL, COLLAR_BREACH)
    assert decision.triggered == ("breaker_inputs_error", "price_collar")
    assert "account feed down" in decision.reasons[0].message


async def test_status_names_every_check_in_order() -> None:
    """status().checks lists the gates, the built-in rules, then the user's checks."""
    gate = await _gate(no_msft)
    checks = gate.status().checks
    assert checks[:4] == ("input", "halted", "connection", "economics")
    assert "breakers" in checks
    assert "price_collar" in checks
    assert checks[-1] == "user.no_msft"


async def test_checks_must_be_callable_and_uniquely_named() -> None:
    """A non-callable check, or two checks with one name, are refused at construction."""
    with pytest.raises(InvalidInputError, match="callable"):
        await _gate("not a check")
    with pytest.raises(InvalidInputError, match=r"user\.no_msft"):
        await _gate(no_msft, no_msft)


class MaxOrdersPerSymbolPerDay:
    """The README's example: at most ``limit`` orders sent per symbol per day."""

    def __init__(self, limit: int) -> None:
        self.limit, self.sent = limit, Counter[tuple[str, object]]()
        self.__name__ = "max_orders_per_symbol_per_day"

    def __call__(self, ctx: DecisionContext) -> list[Reason]:
        """Block once the symbol has ``limit`` orders sent today."""
        if self.sent[(ctx.instrument.symbol, ctx.now.date())] < self.limit:
            return []
        return [Reason("max", "orders_per_day", f"{self.limit} {ctx.instrument.symbol} today")]

    def on_record(self, record: object) -> None:
        """Count each allowed decision (subscribe it: ``gate.subscribe(check.on_record)``)."""
        if isinstance(record, DecisionRecord) and record.allowed:
            self.sent[(record.symbol, record.time.date())] += 1


async def test_the_readme_max_orders_per_symbol_per_day_check() -> None:
    """Two AAPL orders pass, the third is blocked as user.max_orders_per_symbol_per_day.max."""
    check = MaxOrdersPerSymbolPerDay(2)
    gate = await _gate(check)
    gate.subscribe(check.on_record)
    outcomes = [
        gate.submit_with_decision(
            AAPL, OrderRequest.market(Side.BUY, n + 1), inputs=BreakerInputs(*OK)
        )
        for n in range(3)
    ]
    assert [d.allowed for d in outcomes] == [True, True, False]
    assert outcomes[2].reasons[0].code == "user.max_orders_per_symbol_per_day.max"
