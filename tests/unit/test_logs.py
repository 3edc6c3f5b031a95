"""The production structlog set-up writes orjson lines and filters below its level."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import orjson
import pytest
import structlog

from hydra.logs import configure_production, production_line


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


class _Odd:
    """A value orjson cannot serialise: both chains must fall back the same way."""

    def __repr__(self) -> str:
        return "<odd>"


def _lines(processors: list[structlog.typing.Processor], clock: float) -> list[bytes]:
    """The lines one process of events writes through ``processors`` at a fixed time."""
    out = io.BytesIO()
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(0),
        logger_factory=structlog.BytesLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    real = time.time
    time.time = lambda: clock  # both chains stamp with time.time(): the same instant
    try:
        log = structlog.get_logger("test")
        log.info("order.allowed", seq=7, symbol="AAPL", side="BUY", quantity=10.0)
        log.warning("order.blocked", reasons=["a", "b"], odd=_Odd())
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("sim.observer_failed", order_id=3)
        log.error("with.exc_info", exc_info=False)
    finally:
        time.time = real
    return out.getvalue().splitlines()


def test_the_fused_production_processor_writes_what_structlogs_chain_writes() -> None:
    """``production_line`` is byte for byte the four processors it replaces."""
    chain: list[structlog.typing.Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.format_exc_info,
        structlog.processors.TimeStamper(fmt=None),
        structlog.processors.JSONRenderer(serializer=orjson.dumps),
    ]
    expected = _lines(chain, 1767625200.123456)
    assert len(expected) == 4
    assert b"Traceback" in expected[2]
    assert _lines([production_line], 1767625200.123456) == expected
