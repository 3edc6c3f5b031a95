"""An ibapi (IB's own Python client) harness: a threaded client with a strict decoder."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.order import Order
from ibapi.wrapper import EWrapper

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from hydra.testing import FakeIBGateway

WAIT = 3.0
# Codes that are informational for this harness: market data farm status (2104..2158).
_INFO_CODES = range(2100, 2200)


class App(EWrapper, EClient):
    """An ibapi client that records every callback the flows look at."""

    def __init__(self) -> None:
        EWrapper.__init__(self)
        EClient.__init__(self, wrapper=self)
        self.next_id: int | None = None
        self.errors: list[tuple[int, int, str]] = []
        self.problems: list[str] = []
        self.details: dict[int, list[Any]] = {}
        self.done: set[tuple[str, int]] = set()
        self.ticks: dict[int, dict[int, float]] = {}
        self.bars: dict[int, list[Any]] = {}
        self.statuses: dict[int, str] = {}
        self.avg_price: dict[int, float] = {}
        self.open_orders: list[tuple[int, Any, Any]] = []
        self.executions: list[Any] = []
        self.commissions: list[float] = []
        self.positions: dict[str, float] = {}
        self.summary: dict[str, str] = {}
        self.chains: dict[int, list[tuple[str, int, str, str, set[str], set[float]]]] = {}
        self.thread: threading.Thread | None = None

    # -- strict decoding: every field read, none missing, nothing raised
    def install_strict_decoder(self) -> None:
        """Decode each message with a check that the message had exactly its fields."""
        decoder = self.decoder
        original = decoder.interpret

        def interpret(fields: tuple[bytes, ...], msg_id: int) -> None:
            info = decoder.msgId2handleInfo.get(msg_id)
            if info is None or info.processMeth is None:
                original(fields, msg_id)
                return
            rest: Iterator[bytes] = iter(fields)
            try:
                info.processMeth(decoder, rest)
            except Exception as exc:  # noqa: BLE001  (the decoder's failure is the finding)
                self.problems.append(f"message {msg_id} {fields!r}: {exc!r}")
                return
            left = list(rest)
            if left:
                self.problems.append(f"message {msg_id} has extra fields {left!r}")

        decoder.interpret = interpret

    # -- callbacks
    def nextValidId(self, orderId: int) -> None:
        """Order ids start here."""
        self.next_id = orderId

    def error(
        self,
        reqId: int,
        errorTime: int,
        errorCode: int,
        errorString: str,
        advancedOrderRejectJson: str = "",
    ) -> None:
        """Errors, as (reqId, code, text)."""
        if errorCode not in _INFO_CODES:
            self.errors.append((reqId, errorCode, errorString))

    def contractDetails(self, reqId: int, contractDetails: Any) -> None:
        """Contract details of a request."""
        self.details.setdefault(reqId, []).append(contractDetails)

    def contractDetailsEnd(self, reqId: int) -> None:
        """End of contract details."""
        self.done.add(("details", reqId))

    def tickPrice(self, reqId: int, tickType: int, price: float, attrib: Any) -> None:
        """A price tick."""
        self.ticks.setdefault(reqId, {})[tickType] = price

    def tickSize(self, reqId: int, tickType: int, size: Decimal) -> None:
        """A size tick."""
        self.ticks.setdefault(reqId, {})[tickType] = float(size)

    def tickGeneric(self, reqId: int, tickType: int, value: float) -> None:
        """A generic tick (e.g. the shortability indicator of tick 236)."""
        self.ticks.setdefault(reqId, {})[tickType] = value

    def historicalData(self, reqId: int, bar: Any) -> None:
        """One bar."""
        self.bars.setdefault(reqId, []).append(bar)

    def historicalDataEnd(self, reqId: int, start: str, end: str) -> None:
        """End of bars."""
        self.done.add(("history", reqId))

    def orderStatus(
        self,
        orderId: int,
        status: str,
        filled: Decimal,
        remaining: Decimal,
        avgFillPrice: float,
        permId: int,
        parentId: int,
        lastFillPrice: float,
        clientId: int,
        whyHeld: str,
        mktCapPrice: float,
    ) -> None:
        """Order status updates."""
        self.statuses[orderId] = status
        self.avg_price[orderId] = avgFillPrice

    def openOrder(self, orderId: int, contract: Any, order: Any, orderState: Any) -> None:
        """Open orders, including whatIf answers."""
        self.open_orders.append((orderId, order, orderState))
        if not order.whatIf:
            self.statuses.setdefault(orderId, orderState.status)

    def openOrderEnd(self) -> None:
        """End of open orders."""
        self.done.add(("open", 0))

    def execDetails(self, reqId: int, contract: Any, execution: Any) -> None:
        """Executions."""
        self.executions.append(execution)

    def execDetailsEnd(self, reqId: int) -> None:
        """End of executions."""
        self.done.add(("executions", reqId))

    def commissionAndFeesReport(self, commissionAndFeesReport: Any) -> None:
        """Commission of a fill."""
        self.commissions.append(commissionAndFeesReport.commissionAndFees)

    def position(self, account: str, contract: Any, position: Decimal, avgCost: float) -> None:
        """Positions."""
        self.positions[contract.symbol] = float(position)

    def positionEnd(self) -> None:
        """End of positions."""
        self.done.add(("positions", 0))

    def accountSummary(self, reqId: int, account: str, tag: str, value: str, currency: str) -> None:
        """Account summary rows."""
        self.summary[tag] = value

    def accountSummaryEnd(self, reqId: int) -> None:
        """End of the account summary."""
        self.done.add(("summary", reqId))

    def securityDefinitionOptionParameter(
        self,
        reqId: int,
        exchange: str,
        underlyingConId: int,
        tradingClass: str,
        multiplier: str,
        expirations: set[str],
        strikes: set[float],
    ) -> None:
        """One exchange's option chain."""
        chain = (exchange, underlyingConId, tradingClass, multiplier, expirations, strikes)
        self.chains.setdefault(reqId, []).append(chain)

    def securityDefinitionOptionParameterEnd(self, reqId: int) -> None:
        """End of the option chains."""
        self.done.add(("chains", reqId))

    def take_id(self) -> int:
        """The next order id."""
        assert self.next_id is not None
        self.next_id += 1
        return self.next_id - 1


def stock(symbol: str) -> Contract:
    """A SMART-routed US stock."""
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange, contract.currency = (
        symbol,
        "STK",
        "SMART",
        "USD",
    )
    return contract


def future(symbol: str, expiry: str, exchange: str = "CME") -> Contract:
    """A future of one expiry (YYYYMM or YYYYMMDD)."""
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange = symbol, "FUT", exchange
    contract.lastTradeDateOrContractMonth = expiry
    return contract


def order(action: str, quantity: float, order_type: str = "MKT", **fields: Any) -> Order:
    """An ibapi order with the given fields."""
    result = Order()
    result.action, result.totalQuantity, result.orderType = action, Decimal(quantity), order_type
    for name, value in fields.items():
        setattr(result, name, value)
    return result


async def until(predicate: Callable[[], object]) -> None:
    """Poll until the predicate holds; fail after WAIT seconds (no hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not predicate():
        if loop.time() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.005)


class Apps:
    """Connected ibapi clients, disconnected at teardown; fails on decoding problems."""

    def __init__(self, gateway: FakeIBGateway) -> None:
        self.gateway = gateway
        self.apps: list[App] = []

    async def connect(self, client_id: int = 1) -> App:
        """Connect an ibapi client and start its message loop."""
        app = App()
        self.apps.append(app)
        await asyncio.to_thread(app.connect, "127.0.0.1", self.gateway.port, client_id)
        app.install_strict_decoder()
        app.thread = threading.Thread(target=app.run, daemon=True)
        app.thread.start()
        await until(lambda: app.next_id is not None)
        return app

    async def close(self) -> None:
        """Disconnect every client and wait for its loop to end."""
        for app in self.apps:
            app.disconnect()
        for app in self.apps:
            if app.thread is not None:
                await asyncio.to_thread(app.thread.join, WAIT)
        problems = [p for app in self.apps for p in app.problems]
        assert not problems, problems
