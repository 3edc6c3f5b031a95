"""The production structlog set-up writes orjson lines and filters below its level."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import pytest
import structlog

from hydra.logs import configure_production


@pytest.fixture(autouse=True)
def restore_structlog() -> Iterator[None]:
    """Each test leaves structlog as it found it (its configuration is process-wide)."""
    yield
    structlog.reset_defaults()


def test_production_config_writes_one_json_line_per_event() -> None:
    """An info event becomes one JSON line with event, fields, level and a Unix timestamp."""
    out = io.BytesIO()
    configure_production(level="info", file=out)
    structlog.get_logger("test").info("order.allowed", seq=7, symbol="AAPL")
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "order.allowed"
    assert record["seq"] == 7
    assert record["symbol"] == "AAPL"
    assert record["level"] == "info"
    assert abs(record["timestamp"] - time.time()) < 60


def test_production_config_drops_events_below_its_level() -> None:
    """With level warning, info lines are dropped and warnings are written."""
    out = io.BytesIO()
    configure_production(level="warning", file=out)
    log = structlog.get_logger("test")
    log.info("dropped")
    log.warning("kept")
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["kept"]


def test_production_config_refuses_an_unknown_level() -> None:
    """An unknown level name is a ValueError naming it, not a silent default."""
    with pytest.raises(ValueError, match="loud"):
        configure_production(level="loud")
