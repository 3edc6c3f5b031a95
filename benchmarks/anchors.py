"""NautilusTrader anchor rows: its compiled RiskEngine, measured the way HYDRA's gate is.

Installed for the benchmark only (``uv run --group anchors python -m benchmarks.run``).
The path is NautilusTrader's own: ``RiskEngine.execute(SubmitOrder)`` -> the pre-trade
checks (price and quantity precision, max notional per order, free cash balance of a
CASH account) -> trading state -> the submit throttler -> ``ExecutionEngine`` (caches
the order) -> an execution client whose ``submit_order`` only records the command.
Logging is off (no logging subsystem initialised), as in Nautilus's own benchmarks. The
deny row is an order whose notional exceeds ``max_notional_per_order`` (denied inside the
risk checks, with an ``OrderDenied`` event through the message bus); every order and
command is built before the timing, because a Nautilus order can be submitted only once.
"""

from __future__ import annotations

from typing import Any

from benchmarks.timing import REPEATS, Row, summarise, time_each

__all__ = ["available", "nautilus_rows"]


def available() -> str | None:
    """The installed nautilus_trader version, or None when the anchors group is absent."""
    try:
        import nautilus_trader  # noqa: PLC0415  (optional: only with the anchors group)
    except ImportError:
        return None
    return str(nautilus_trader.__version__)


def _engine() -> tuple[Any, Any, Any, Any, Any]:
    """A RiskEngine -> ExecutionEngine -> sink client, with a cash account and AAPL."""
    # Imported here: the module must import without nautilus_trader installed.
    from nautilus_trader.cache.cache import Cache  # noqa: PLC0415
    from nautilus_trader.common.component import MessageBus, TestClock  # noqa: PLC0415
    from nautilus_trader.common.factories import OrderFactory  # noqa: PLC0415
    from nautilus_trader.execution.client import ExecutionClient  # noqa: PLC0415
    from nautilus_trader.execution.config import ExecEngineConfig  # noqa: PLC0415
    from nautilus_trader.execution.engine import ExecutionEngine  # noqa: PLC0415
    from nautilus_trader.model.currencies import USD  # noqa: PLC0415
    from nautilus_trader.model.enums import AccountType, OmsType  # noqa: PLC0415
    from nautilus_trader.model.identifiers import AccountId, ClientId  # noqa: PLC0415
    from nautilus_trader.portfolio.portfolio import Portfolio  # noqa: PLC0415
    from nautilus_trader.risk.config import RiskEngineConfig  # noqa: PLC0415
    from nautilus_trader.risk.engine import RiskEngine  # noqa: PLC0415
    from nautilus_trader.test_kit.providers import TestInstrumentProvider  # noqa: PLC0415
    from nautilus_trader.test_kit.stubs.execution import TestExecStubs  # noqa: PLC0415
    from nautilus_trader.test_kit.stubs.identifiers import TestIdStubs  # noqa: PLC0415

    class SinkClient(ExecutionClient):  # type: ignore[misc]
        """An execution client whose submit only records the command."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(oms_type=OmsType.HEDGING, **kwargs)
            self.sent: list[Any] = []

        def _start(self) -> None:
            self._set_connected()

        def _stop(self) -> None:
            self._set_connected(False)  # noqa: FBT003  (Nautilus' signature)

        def submit_order(self, command: Any) -> None:
            self.sent.append(command)

    clock = TestClock()
    trader_id = TestIdStubs.trader_id()
    msgbus = MessageBus(trader_id=trader_id, clock=clock)
    cache = Cache()
    portfolio = Portfolio(msgbus=msgbus, cache=cache, clock=clock)
    instrument = TestInstrumentProvider.equity("AAPL", "XNAS")
    exec_engine = ExecutionEngine(
        msgbus=msgbus, cache=cache, clock=clock, config=ExecEngineConfig()
    )
    risk = RiskEngine(
        portfolio=portfolio,
        msgbus=msgbus,
        cache=cache,
        clock=clock,
        config=RiskEngineConfig(
            # Nautilus' default throttle is 100/s; TestClock stands still, so widen it.
            max_order_submit_rate="1000000/00:00:01",
            max_notional_per_order={str(instrument.id): 1_000_000},
        ),
    )
    client = SinkClient(
        client_id=ClientId("SINK"),
        venue=instrument.id.venue,
        account_type=AccountType.CASH,
        base_currency=USD,
        msgbus=msgbus,
        cache=cache,
        clock=clock,
    )
    exec_engine.register_client(client)
    cache.add_instrument(instrument)
    cache.add_account(TestExecStubs.cash_account(AccountId("XNAS-001")))  # $1,000,000 free
    exec_engine.start()
    risk.start()
    client.start()
    factory = OrderFactory(trader_id=trader_id, strategy_id=TestIdStubs.strategy_id(), clock=clock)
    return risk, client, factory, instrument, clock


def _commands(factory: Any, instrument: Any, clock: Any, count: int, quantity: int) -> list[Any]:
    """``count`` limit-order SubmitOrder commands at 200.00, buys and sells alternating."""
    from nautilus_trader.core.uuid import UUID4  # noqa: PLC0415
    from nautilus_trader.execution.messages import SubmitOrder  # noqa: PLC0415
    from nautilus_trader.model.enums import OrderSide  # noqa: PLC0415
    from nautilus_trader.model.objects import Price, Quantity  # noqa: PLC0415

    price = Price.from_str("200.00")
    sides = (OrderSide.BUY, OrderSide.SELL)
    out = []
    for i in range(count):
        order = factory.limit(
            instrument.id, sides[i % 2], Quantity.from_int(quantity + i % 50), price
        )
        out.append(
            SubmitOrder(
                trader_id=order.trader_id,
                strategy_id=order.strategy_id,
                order=order,
                command_id=UUID4(),
                ts_init=clock.timestamp_ns(),
            )
        )
    return out


def nautilus_rows(count: int) -> list[Row]:
    """nautilus_pass and nautilus_deny (max notional), REPEATS x ``count`` orders each."""
    rows = []
    for name, what, quantity in (
        ("nautilus_pass", "Nautilus RiskEngine -> ExecEngine -> sink, allowed", 100),
        ("nautilus_deny", "Nautilus RiskEngine, denied: notional > max per order", 10_000),
    ):
        repeats = []
        for _ in range(REPEATS):
            risk, client, factory, instrument, clock = _engine()
            warm = _commands(factory, instrument, clock, min(200, count), quantity)
            commands = _commands(factory, instrument, clock, count, quantity)
            execute = risk.execute
            time_each(lambda i, c=warm, e=execute: e(c[i]), len(warm))
            repeats.append(time_each(lambda i, c=commands, e=execute: e(c[i]), count))
            sent = len(client.sent)
            expected = len(warm) + count if quantity == 100 else 0
            assert sent == expected, f"{name}: {sent} orders reached the sink, expected {expected}"
        rows.append(summarise(name, what, repeats))
    return rows
