"""Helpers for driving the fake gateway with the real ib_async client."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from ib_async import IB, Contract, Stock

if TYPE_CHECKING:
    from collections.abc import Callable

    from hydra.testing import FakeIBGateway

CONNECT_TIMEOUT = 2.0
WAIT = 2.0


class Clients:
    """Connects real ib_async clients and disconnects them all at teardown."""

    def __init__(self) -> None:
        self._ibs: list[IB] = []

    async def connect(
        self,
        gateway: FakeIBGateway,
        client_id: int = 1,
        *,
        readonly: bool = False,
        timeout: float = CONNECT_TIMEOUT,
    ) -> IB:
        """Connect a new IB client to the gateway and remember it for teardown."""
        ib = IB()
        self._ibs.append(ib)
        # raiseSyncErrors turns any unanswered startup request into a ConnectionError.
        await ib.connectAsync(
            "127.0.0.1",
            gateway.port,
            clientId=client_id,
            timeout=timeout,
            readonly=readonly,
            raiseSyncErrors=True,
        )
        return ib

    async def close(self) -> None:
        """Disconnect every client connected so far."""
        for ib in self._ibs:
            ib.disconnect()
        # Let the transports finish closing inside this loop (no ResourceWarning later).
        await asyncio.sleep(0.02)


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    """Poll until the predicate holds; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)


async def barrier(ib: IB) -> None:
    """A round trip: everything the gateway sent before the answer has been decoded."""
    await asyncio.wait_for(ib.reqCurrentTimeAsync(), WAIT)


def account_value(ib: IB, tag: str, currency: str = "USD") -> float:
    """The client's one account value for a tag and currency, as a number."""
    values = [v.value for v in ib.accountValues() if v.tag == tag and v.currency == currency]
    assert len(values) == 1, f"{tag}/{currency}: {values}"
    return float(values[0])


def record_errors(ib: IB) -> list[tuple[int, int, str]]:
    """Collect (reqId, code, message) of every errorEvent the client emits from now on."""
    errors: list[tuple[int, int, str]] = []

    def on_error(req_id: int, code: int, message: str, contract: Any) -> None:
        errors.append((req_id, code, message))

    ib.errorEvent += on_error
    # eventkit holds plain functions strongly, so the closure stays registered.
    return errors


async def qualified(ib: IB, symbol: str) -> Contract:
    """A stock qualified through the gateway."""
    [contract] = await ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
    assert isinstance(contract, Contract)
    return contract
