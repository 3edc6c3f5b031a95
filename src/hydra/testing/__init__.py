"""Test doubles for HYDRA: a fake IB Gateway the real ib_async client can talk to."""

from __future__ import annotations

from hydra.testing.fake_gateway import (
    DEFAULT_INSTRUMENTS,
    FakeIBGateway,
    FakeInstrument,
    PlacedOrder,
    serve,
)

__all__ = ["DEFAULT_INSTRUMENTS", "FakeIBGateway", "FakeInstrument", "PlacedOrder", "serve"]
