"""Integration fixtures: a live FakeIBGateway and a guard against undecodable messages.

ib_async never raises when a message does not decode: ``Decoder.interpret`` and the
handlers built by ``Decoder.wrap`` catch every exception and log it with
``logger.exception`` on the ``ib_async.Decoder`` logger ("Error handling fields: ..." /
"Error for <method>(...)"), then carry on with the message silently dropped. A fake gateway
that sends one field too few would therefore pass any test that does not look closely.
The autouse ``ib_decode_guard`` fixture turns those log records into test failures.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from hydra.testing import FakeIBGateway

from .ib_async_kit import Clients
from .ibapi_kit import Apps

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

DECODER_LOGGERS = ("ib_async.Decoder", "ib_insync.Decoder", "ibapi.decoder")


class DecodeErrorGuard(logging.Handler):
    """Collects every ERROR record ib_async's decoder logs while a test runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record for :meth:`check`."""
        self.records.append(record)

    def drain(self) -> list[logging.LogRecord]:
        """Return and forget the records collected so far (for tests expecting them)."""
        records, self.records = self.records, []
        return records

    def check(self) -> None:
        """Fail the current test if the decoder logged anything since the last drain."""
        records = self.drain()
        if records:
            details = "\n".join(r.getMessage()[:500] for r in records)
            pytest.fail(f"ib_async could not decode {len(records)} message(s):\n{details}")


@pytest.fixture(autouse=True)
def ib_decode_guard() -> Iterator[DecodeErrorGuard]:
    """Fail the test if ib_async logs a decoding error during it (body or teardown)."""
    guard = DecodeErrorGuard()
    loggers = [logging.getLogger(name) for name in DECODER_LOGGERS]
    for logger in loggers:
        logger.addHandler(guard)
    try:
        yield guard
    finally:
        for logger in loggers:
            logger.removeHandler(guard)
    guard.check()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Check the guard right after the test body, so a decode error is a failure, not an error."""
    result = yield
    guard = getattr(item, "funcargs", {}).get("ib_decode_guard")
    if isinstance(guard, DecodeErrorGuard):
        guard.check()
    return result


@pytest.fixture
async def fake_gateway() -> AsyncIterator[FakeIBGateway]:
    """A started FakeIBGateway on a free loopback port, stopped after the test."""
    gateway = FakeIBGateway(port=0)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    """Real ib_async clients, disconnected after the test."""
    registry = Clients()
    try:
        yield registry
    finally:
        await registry.close()


@pytest.fixture
async def apps(fake_gateway: FakeIBGateway) -> AsyncIterator[Apps]:
    """Ibapi clients against the fake gateway."""
    registry = Apps(fake_gateway)
    try:
        yield registry
    finally:
        await registry.close()
