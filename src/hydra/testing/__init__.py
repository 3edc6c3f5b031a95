"""Test kit for HYDRA users: a fake IB Gateway, a memory journal, the adapter contract suite.

``ib_hours_text`` writes a domain ``TradingHours`` as IB's hours text for the fake.

``BrokerContract`` (the pytest suite every BrokerPort adapter passes) loads on first use,
so importing ``hydra.testing`` does not need pytest; the suite itself needs the
``[testing]`` extra (pytest, pytest-asyncio).
"""

from __future__ import annotations

from hydra.testing.fake_gateway import (
    DEFAULT_INSTRUMENTS,
    FakeIBGateway,
    FakeInstrument,
    MarginModel,
    OrderRecord,
    PlacedOrder,
    serve,
)
from hydra.testing.ib_hours import ib_hours_text
from hydra.testing.memory_journal import MemoryJournal

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "BrokerContract",
    "BrokerHarness",
    "FakeIBGateway",
    "FakeInstrument",
    "MarginModel",
    "MemoryJournal",
    "OrderRecord",
    "PlacedOrder",
    "ib_hours_text",
    "serve",
]


def __getattr__(name: str) -> object:
    if name in ("BrokerContract", "BrokerHarness"):
        try:
            from hydra.testing import contract  # noqa: PLC0415  (imports pytest: only on demand)
        except ModuleNotFoundError as exc:
            raise ImportError(
                f"hydra.testing.{name} needs pytest and pytest-asyncio ({exc.name} is not "
                "installed): pip install 'hydra-execution[testing]'"
            ) from exc
        return getattr(contract, name)
    raise AttributeError(f"module 'hydra.testing' has no attribute {name!r}")
