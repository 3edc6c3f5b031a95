"""Configuration: a TOML file plus ``HYDRA_*`` environment variables (env wins), validated.

Each section is one frozen config object, and the schema is derived from their fields:
the key is the field's name, its parser follows the field's type (durations are
durations: ``"250ms"``, ``"5s"``, ``"15m"``, ``"1h30m"``, or a number of seconds), its
default is the field's default and its description the field's ``doc``. Nothing is
written twice:

============  ==============================================================
section       config object
============  ==============================================================
[broker]      ``hydra.adapters.ib.config.GatewayConfig`` (which broker, IB's address)
[breakers]    ``hydra.domain.BreakerConfig`` (``session_timezone``, ``session_reset``
              set its ``SessionSchedule``)
[limits]      ``hydra.domain.OrderLimits`` and ``hydra.domain.AccountLimits``;
              ``enabled = false`` turns the per-order limits off; subtables
              ``[limits.FUT]``, ``[limits."ES"]`` (a security type, a symbol, a
              local symbol or a contract id) override any ``OrderLimits`` field
              there, ``max_position_fraction`` too (``hydra.domain.LimitTable``)
[margin_model] ``hydra.domain.MarginModel`` (``margin = "model"``; ``futures`` is a
              table of initial margin per contract by symbol)
[gate]        ``hydra.application.GateConfig``
[journal]     ``hydra.adapters.journal.config.JournalConfig``
[state]       the per-user state directory
[control]     ``hydra.adapters.control.config.ControlConfig``
[sim]         ``hydra.adapters.sim.config.SimConfig``
============  ==============================================================

Every key is known in advance; an unknown key or a bad value raises ``ConfigError``
naming it, at start-up. Environment variables are ``HYDRA_<SECTION>_<KEY>`` in upper
case, e.g. ``HYDRA_BROKER_MODE=paper`` or ``HYDRA_LIMITS_MARGIN_TIMEOUT=2s``;
``HYDRA_CONFIG`` names the TOML file; subtables are set in the file only. A ``HYDRA_*``
variable outside HYDRA's sections (another package's, e.g. ``HYDRA_FULL_ERROR``) is
ignored with a warning. The keys of earlier releases that named seconds with ``_s``
(``max_price_age_s``, ``rate_window_s``, ``duplicate_window_s``,
``trade_loss_cooldown_s``) are still read, with a warning naming the new key.

Per-user files (the audit journal, the control server's token) live in the state
directory: ``[state] dir`` / ``HYDRA_STATE_DIR``, else ``$XDG_STATE_HOME/hydra``, else
``~/.local/state/hydra``. Paths are made absolute at load, so a CLI started in another
directory meets the trader's journal. Importing this module loads no adapter: the
config objects are values, in modules of their own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple

import structlog

from hydra.adapters.control.config import ControlConfig
from hydra.adapters.ib.config import GatewayConfig
from hydra.adapters.journal.config import DEFAULT_JOURNAL_NAME, JournalConfig
from hydra.adapters.sim.config import SimConfig
from hydra.application.config import GateConfig
from hydra.domain import (
    AccountLimits,
    BreakerConfig,
    ConfigError,
    InvalidInputError,
    LimitTable,
    MarginModel,
    OrderLimits,
    SessionSchedule,
)

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_JOURNAL_NAME",
    "DEFAULT_TOKEN_NAME",
    "SCHEMA",
    "Key",
    "Settings",
    "StateConfig",
    "default_state_dir",
    "load_settings",
    "parse_duration",
]

CONFIG_ENV_VAR = "HYDRA_CONFIG"
"""Environment variable naming the TOML config file."""

DEFAULT_TOKEN_NAME = "control.token"  # noqa: S105  (a file name, not a secret)
"""The control token's file name inside the state directory, unless configured."""

_log = structlog.get_logger("hydra.settings")


@dataclass(frozen=True, slots=True)
class StateConfig:
    """``[state]``: where per-user files live."""

    dir: str = dataclasses.field(
        default="", metadata={"doc": "per-user state directory ('': XDG state dir/hydra)"}
    )


# ---------------------------------------------------------------------------- parsers
_Parser = Callable[[object], Any]


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    raise ValueError("must be true or false")


def _int(value: object) -> int:
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise ValueError("must be an integer")
        return int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be an integer")
    return value


def _float(value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError("must be a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be finite")
    return float(value)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value.strip()


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> timedelta:
    """A duration: ``"250ms"``, ``"5s"``, ``"15m"``, ``"1h30m"``, ``"2d"``, or seconds.

    Raises:
        ValueError: anything else (a negative number, an unknown unit, a bool).
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        try:
            return timedelta(seconds=_float(text))
        except ValueError:
            pass
        parts = _DURATION.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise ValueError('must be a duration such as "250ms", "5s", "15m", "1h30m"')
        return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
    return timedelta(seconds=_float(value))


def _time_of_day(value: object) -> time:
    if isinstance(value, time):
        return value
    text = _str(value)
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError("must be a time of day HH:MM")
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError("must be a time of day HH:MM")
    return time(hour, minute)


def _optional(parse: _Parser) -> _Parser:
    def parsed(value: object) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in {"off", "none"}):
            return None
        return parse(value)

    return parsed


def _choice(options: tuple[object, ...]) -> _Parser:
    def parse(value: object) -> object:
        text = value.strip().lower() if isinstance(value, str) else value
        if text not in options:
            raise ValueError(f"must be one of {', '.join(map(str, options))}")
        return text

    return parse


def _either(*parsers: _Parser) -> _Parser:
    def parse(value: object) -> object:
        errors = []
        for each in parsers:
            try:
                return each(value)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise ValueError(" or ".join(errors))

    return parse


def _table(parse: _Parser) -> _Parser:
    def parsed(value: object) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise TypeError("must be a table")
        return {str(k): parse(v) for k, v in value.items()}

    return parsed


def _parser_for(kind: Any) -> _Parser:
    """The parser a field's type asks for."""
    simple: dict[Any, _Parser] = {
        bool: _bool,
        int: _int,
        float: _float,
        str: _str,
        timedelta: parse_duration,
        time: _time_of_day,
    }
    if kind in simple:
        return simple[kind]
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is Literal:
        return _choice(args)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        parser = _either(*(_parser_for(a) for a in rest)) if len(rest) > 1 else _parser_for(rest[0])
        return _optional(parser) if len(rest) < len(args) else parser
    if origin in (Mapping, dict) or origin is typing.get_origin(Mapping[str, float]):
        return _table(_parser_for(args[1]))
    raise TypeError(f"no settings parser for {kind!r}")


# ---------------------------------------------------------------------------- the schema
class Key(NamedTuple):
    """One config key: the object and field it sets, its parser, default and description."""

    owner: type
    field: str
    parse: _Parser
    default: object
    doc: str
    nonblank: bool = False


def _keys(
    owner: type, *, skip: tuple[str, ...] = (), rename: Mapping[str, str] | None = None
) -> dict[str, Key]:
    """A config object's fields as keys (``rename`` maps a field to its key)."""
    hints = typing.get_type_hints(owner)
    rename = rename or {}
    keys = {}
    for item in dataclasses.fields(owner):
        if item.name in skip:
            continue
        factory = item.default_factory
        default = item.default if factory is dataclasses.MISSING else factory()
        keys[rename.get(item.name, item.name)] = Key(
            owner,
            item.name,
            _parser_for(hints[item.name]),
            default,
            item.metadata.get("doc", ""),
            bool(item.metadata.get("nonblank")),
        )
    return keys


_SESSION = {
    f"session_{key}": spec
    for key, spec in _keys(SessionSchedule, rename={"reset_time": "reset"}).items()
}

SCHEMA: Mapping[str, Mapping[str, Key]] = {
    "broker": _keys(GatewayConfig),
    "breakers": {**_keys(BreakerConfig, skip=("session",)), **_SESSION},
    "limits": {
        "enabled": Key(
            OrderLimits, "", _bool, default=True, doc="per-order limits on (false: all off)"
        ),
        **_keys(OrderLimits, skip=("max_position_fraction",)),
        **_keys(AccountLimits, skip=("margin_model",)),
    },
    "margin_model": _keys(MarginModel),
    "gate": _keys(GateConfig),
    "journal": _keys(JournalConfig),
    "state": _keys(StateConfig),
    "control": _keys(ControlConfig),
    "sim": _keys(SimConfig),
}
"""Every config key by section, derived from the config objects' fields."""

_ALIASES: Mapping[str, Mapping[str, str]] = {
    "breakers": {"trade_loss_cooldown_s": "trade_loss_cooldown"},
    "limits": {
        "max_price_age_s": "max_price_age",
        "rate_window_s": "rate_window",
        "duplicate_window_s": "duplicate_window",
    },
}
"""Keys of earlier releases (seconds as plain numbers) and the keys they now set."""


# ---------------------------------------------------------------------------- settings
@dataclass(frozen=True, slots=True)
class Settings:
    """The validated configuration: one config object per section.

    ``limits`` is None when ``[limits] enabled = false``; ``values`` holds every key's
    value as given or defaulted (plain values, for display and the version digest).
    """

    broker: GatewayConfig
    breakers: BreakerConfig
    limits: LimitTable | None
    account_limits: AccountLimits
    gate: GateConfig
    journal: JournalConfig
    state: StateConfig
    control: ControlConfig
    sim: SimConfig
    values: Mapping[str, Mapping[str, Any]]
    source: str

    def get(self, section: str, key: str) -> Any:
        """One value as configured, e.g. ``settings.get("broker", "mode")``."""
        return self.values[section][key]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """A plain nested dict of every key's value."""
        return {section: dict(keys) for section, keys in self.values.items()}

    @property
    def version(self) -> str:
        """A short digest of the effective configuration, recorded with audit records."""
        blob = json.dumps(self.as_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> Settings:
    """Read defaults <- TOML file <- ``HYDRA_*`` env <- ``overrides`` and validate all.

    ``path`` defaults to ``$HYDRA_CONFIG`` if set; no file is fine (defaults apply).

    Raises:
        ConfigError: an unknown section or key, or a bad value, named.
    """
    environ = os.environ if env is None else env
    raw: dict[str, dict[str, object]] = {section: {} for section in SCHEMA}
    tables: dict[str, dict[str, object]] = {}
    sources = ["defaults"]
    file_path = path if path is not None else environ.get(CONFIG_ENV_VAR) or None
    if file_path is not None:
        _merge(raw, tables, _read_toml(Path(file_path)), origin=str(file_path))
        sources.append(str(file_path))
    env_values = _from_env(environ)
    if env_values:
        _merge(raw, tables, env_values, origin="environment")
        sources.append("environment")
    if overrides:
        _merge(raw, tables, overrides, origin="overrides")
        sources.append("overrides")
    values: dict[str, dict[str, Any]] = {}
    for section, keys in SCHEMA.items():
        values[section] = {}
        for key, spec in keys.items():
            given = raw[section].get(key, spec.default)
            if spec.nonblank and key in raw[section] and not str(given).strip():
                raise ConfigError(
                    f"{section}.{key}", "must not be empty (leave the key out for the default)"
                )
            try:
                values[section][key] = spec.parse(given)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{section}.{key}", f"{exc} (got {given!r})") from None
    _resolve_paths(values, environ)
    return _build(values, tables, " <- ".join(sources))


def _build(
    values: dict[str, dict[str, Any]], tables: Mapping[str, Mapping[str, object]], source: str
) -> Settings:
    """The config objects from the parsed values (their own checks name a bad one)."""

    def made(section: str, owner: type, **extra: Any) -> Any:
        fields = {
            spec.field: values[section][key]
            for key, spec in SCHEMA[section].items()
            if spec.owner is owner and spec.field
        }
        try:
            return owner(**fields, **extra)
        except InvalidInputError as exc:
            raise ConfigError(
                _key_of(section, exc.field), f"{exc.reason} (got {exc.value!r})"
            ) from None

    breakers = made("breakers", BreakerConfig, session=made("breakers", SessionSchedule))
    base = made("limits", OrderLimits)
    limits = None
    if values["limits"]["enabled"]:
        try:
            limits = LimitTable(
                base,
                by_type={k: v for k, v in tables.items() if _is_type(k)},
                by_contract={k: v for k, v in tables.items() if not _is_type(k)},
            )
        except InvalidInputError as exc:
            raise ConfigError(exc.field, f"{exc.reason} (got {exc.value!r})") from None
    return Settings(
        broker=made("broker", GatewayConfig),
        breakers=breakers,
        limits=limits,
        account_limits=made(
            "limits", AccountLimits, margin_model=made("margin_model", MarginModel)
        ),
        gate=made("gate", GateConfig),
        journal=made("journal", JournalConfig),
        state=made("state", StateConfig),
        control=made("control", ControlConfig),
        sim=made("sim", SimConfig),
        values=values,
        source=source,
    )


def _key_of(section: str, field: str) -> str:
    """The config key a config object's field error names (``limits.max_notional``)."""
    name = field.rsplit(".", 1)[-1]
    if field.startswith("session."):
        return f"breakers.session_{'reset' if name == 'reset_time' else name}"
    return f"{section}.{name}" if f"{section}." not in field else field


def _is_type(key: str) -> bool:
    from hydra.domain import SecurityType  # noqa: PLC0415

    return key.upper() in {t.value for t in SecurityType}


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/hydra``, else ``~/.local/state/hydra`` (nothing is created)."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "hydra"


def _resolve_paths(values: dict[str, dict[str, Any]], environ: Mapping[str, str]) -> None:
    """Make the state dir, journal and token paths absolute (defaults inside the state dir)."""
    state = values["state"]["dir"]
    state_dir = Path(state).expanduser().resolve() if state else default_state_dir(environ)
    values["state"]["dir"] = str(state_dir)
    journal = values["journal"]["path"]
    values["journal"]["path"] = str(
        Path(journal).expanduser().resolve() if journal else state_dir / DEFAULT_JOURNAL_NAME
    )
    token = values["control"]["token_file"]
    values["control"]["token_file"] = str(
        Path(token).expanduser().resolve() if token else state_dir / DEFAULT_TOKEN_NAME
    )


def _read_toml(path: Path) -> Mapping[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("file", f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("file", f"{path} is not valid TOML: {exc}") from None


def _from_env(environ: Mapping[str, str]) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    sections = sorted(SCHEMA, key=len, reverse=True)  # margin_model before a shorter match
    for name, value in environ.items():
        if not name.startswith("HYDRA_") or name == CONFIG_ENV_VAR:
            continue
        rest = name[len("HYDRA_") :].lower()
        section = next((s for s in sections if rest.startswith(f"{s}_")), None)
        if section is None:
            # Not ours: other packages use HYDRA_* too (e.g. Facebook Hydra's HYDRA_FULL_ERROR).
            _log.warning(
                "settings.env_ignored",
                variable=name,
                reason=f"not a HYDRA setting; sections are {', '.join(SCHEMA)}",
            )
            continue
        key = rest[len(section) + 1 :]
        if key not in SCHEMA[section] and key not in _ALIASES.get(section, {}):
            raise ConfigError(name, f"unknown key; {section} has {', '.join(SCHEMA[section])}")
        found.setdefault(section, {})[key] = value
    return found


def _merge(
    into: dict[str, dict[str, object]],
    tables: dict[str, dict[str, object]],
    values: Mapping[str, object],
    *,
    origin: str,
) -> None:
    for section, keys in values.items():
        if section not in SCHEMA:
            raise ConfigError(
                str(section), f"unknown section in {origin}; known: {', '.join(SCHEMA)}"
            )
        if not isinstance(keys, Mapping):
            raise ConfigError(str(section), f"must be a table in {origin}")
        for given, value in keys.items():
            if section == "limits" and isinstance(value, Mapping):
                tables.setdefault(str(given), {}).update(value)  # [limits.FUT], [limits."ES"]
                continue
            key = _ALIASES.get(section, {}).get(given, given)
            if key != given:
                _log.warning(
                    "settings.key_renamed",
                    key=f"{section}.{given}",
                    now=f"{section}.{key}",
                    reason='a duration key takes a duration now, e.g. "5s"',
                )
            if key not in SCHEMA[section]:
                raise ConfigError(
                    f"{section}.{key}",
                    f"unknown key in {origin}; {section} has {', '.join(SCHEMA[section])}",
                )
            into[section][key] = value
