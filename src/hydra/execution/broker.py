"""Seed import path: ``from hydra.execution.broker import BrokerGateway``."""

from __future__ import annotations

from hydra.adapters.ib import (
    LIVE_CONFIRMATION,
    LIVE_PORTS,
    PAPER_PORTS,
    BrokerGateway,
    IBOrderHandle,
)

__all__ = ["LIVE_CONFIRMATION", "LIVE_PORTS", "PAPER_PORTS", "BrokerGateway", "IBOrderHandle"]
