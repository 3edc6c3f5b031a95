"""Test doubles for HYDRA: a fake IB Gateway for the real ib_async client, a memory journal."""

from __future__ import annotations

from hydra.testing.fake_gateway import (
    DEFAULT_INSTRUMENTS,
    FakeIBGateway,
    FakeInstrument,
    PlacedOrder,
    serve,
)
from hydra.testing.memory_journal import MemoryJournal

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "FakeIBGateway",
    "FakeInstrument",
    "MemoryJournal",
    "PlacedOrder",
    "serve",
]
