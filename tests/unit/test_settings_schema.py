"""The settings schema is derived from the config objects: one place per setting."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from hydra.container import build_container
from hydra.domain import (
    AccountLimits,
    BreakerConfig,
    ConfigError,
    Instrument,
    OrderLimits,
    SecurityType,
)
from hydra.settings import SCHEMA, load_settings, parse_duration

FUTURES_OPEN = """
[limits.FUT]
max_position_fraction = 20.0
max_notional = 5000000

[limits."ESZ6"]
max_quantity = 3

[limits]
max_gross_exposure = 25.0
max_net_exposure = "off"
margin = "model"
margin_timeout = "2s"

[margin_model.futures]
ES = 22000
"""


def test_every_field_of_every_config_object_is_a_documented_key() -> None:
    """Each config object's fields are keys (none forgotten), each with its description."""
    for section, keys in SCHEMA.items():
        for key, spec in keys.items():
            assert spec.doc, f"{section}.{key} has no description"
        owners = {spec.owner for spec in keys.values()}
        for owner in owners:
            fields = {f.name for f in dataclasses.fields(owner)}
            covered = {spec.field for spec in keys.values() if spec.owner is owner}
            left = fields - covered - {"session", "margin_model", "max_position_fraction"}
            assert not left, f"[{section}] misses {owner.__name__} fields {sorted(left)}"


def test_defaults_are_the_config_objects_own() -> None:
    """Loading nothing gives each section's object with its dataclass defaults."""
    settings = load_settings(env={})
    assert settings.breakers == BreakerConfig()
    assert settings.account_limits == AccountLimits()
    assert settings.limits is not None
    assert settings.limits.base == OrderLimits()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("5s", timedelta(seconds=5)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("90", timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
    ],
)
def test_durations_are_parsed_as_durations(text: object, expected: timedelta) -> None:
    """A duration reads as "250ms", "5s", "1h30m", "2d", or a number of seconds."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5 parsecs", "s5", "", "1h-30m", "true"])
def test_a_bad_duration_is_named(text: str) -> None:
    """A duration that does not read is a ConfigError naming the key."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"HYDRA_LIMITS_MAX_PRICE_AGE": text})
    assert caught.value.key == "limits.max_price_age"


def test_old_seconds_keys_still_read_and_warn(tmp_path: Path) -> None:
    """max_price_age_s = 30 sets max_price_age to 30 s, with a warning naming the new key."""
    path = tmp_path / "hydra.toml"
    path.write_text("[limits]\nmax_price_age_s = 30\n[breakers]\ntrade_loss_cooldown_s = 60\n")
    with capture_logs() as logs:
        settings = load_settings(path, env={})
    assert settings.limits is not None
    assert settings.limits.base.max_price_age == timedelta(seconds=30)
    assert settings.breakers.trade_loss_cooldown == timedelta(seconds=60)
    renamed = {e["now"] for e in logs if e["event"] == "settings.key_renamed"}
    assert renamed == {"limits.max_price_age", "breakers.trade_loss_cooldown"}


async def test_futures_opened_up_in_the_config_file(tmp_path: Path) -> None:
    """[limits.FUT], [limits."ESZ6"], the caps and the margin model reach the gate."""
    path = tmp_path / "hydra.toml"
    path.write_text(FUTURES_OPEN)
    container = build_container(path, env={}, overrides={"journal": {"path": str(tmp_path / "j")}})
    broker = container.sim_broker()
    await broker.connect()
    gate = container.risk_gate()
    es = await broker.qualify_contract(Instrument("ES", SecurityType.FUTURE, expiry="202612"))
    own = gate.limits_for(es)
    assert own is not None
    assert (own.max_position_fraction, own.max_notional, own.max_quantity) == (20.0, 5e6, 3.0)
    stock = gate.limits_for(Instrument("AAPL"))
    assert stock is not None
    assert stock.max_position_fraction == 0.20
    account = gate.account_limits
    assert account is not None
    assert (account.max_gross_exposure, account.max_net_exposure) == (25.0, None)
    assert (account.margin, account.margin_timeout) == ("model", timedelta(seconds=2))
    assert account.margin_model.futures == {"ES": 22000.0}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[limits.FUT]\nmax_notionl = 1\n", "limits.FUT.max_notionl"),
        ("[limits.FUT]\nprice_collar = 2.0\n", "limits.FUT.price_collar"),
        ("[limits]\nmargin = 'maybe'\n", "limits.margin"),
        ("[limits]\nmax_gross_exposure = -1\n", "limits.max_gross_exposure"),
        ("[margin_model]\nstock_initial = 2.0\n", "margin_model.stock_initial"),
        ("[sim]\nbase_currency = 'DOLLARS'\n", "sim.base_currency"),
    ],
)
def test_bad_valuation_settings_are_named(tmp_path: Path, text: str, key: str) -> None:
    """A typo or a bad value in the new tables names the table and the key."""
    path = tmp_path / "hydra.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.key == key


def test_importing_the_settings_loads_no_adapter() -> None:
    """`import hydra.settings` reads the config objects, not ib_async, the gate or the web."""
    code = (
        "import sys, hydra.settings\n"
        "heavy = ('ib_async', 'starlette', 'uvicorn', 'hydra.adapters.ib.gateway',"
        " 'hydra.adapters.sim.broker', 'hydra.adapters.journal.jsonl',"
        " 'hydra.application.risk_gate')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run(  # noqa: S603  (this interpreter)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
