"""Configuration: a TOML file plus ``HYDRA_*`` environment variables (env wins), validated.

Every key is known in advance; an unknown key or a bad value raises ``ConfigError`` naming
it, at start-up. Environment variables are ``HYDRA_<SECTION>_<KEY>`` in upper case, e.g.
``HYDRA_BROKER_MODE=paper`` or ``HYDRA_BREAKERS_DAILY_LOSS_LIMIT=-0.03``; ``HYDRA_CONFIG``
names the TOML file. A ``HYDRA_*`` variable outside HYDRA's sections (another package's,
e.g. ``HYDRA_FULL_ERROR``) is ignored with a warning.

Per-user files (the audit journal, the control server's token) live in the state
directory: ``[state] dir`` / ``HYDRA_STATE_DIR``, else ``$XDG_STATE_HOME/hydra``, else
``~/.local/state/hydra``. Paths are made absolute at load, so a CLI started in another
directory meets the trader's journal.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from hydra.domain import BreakerConfig, ConfigError, OrderLimits

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_JOURNAL_NAME",
    "DEFAULT_TOKEN_NAME",
    "SCHEMA",
    "Settings",
    "default_state_dir",
    "load_settings",
]

CONFIG_ENV_VAR = "HYDRA_CONFIG"
"""Environment variable naming the TOML config file."""

DEFAULT_JOURNAL_NAME = "hydra.journal.jsonl"
"""The journal's file name inside the state directory, unless ``[journal] path`` says."""

DEFAULT_TOKEN_NAME = "control.token"  # noqa: S105  (a file name, not a secret)
"""The control token's file name inside the state directory, unless configured."""

_log = structlog.get_logger("hydra.settings")


def _str(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _any_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value


def _int(value: object) -> int:
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValueError("must be an integer")
        return int(value)
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


def _choice(*options: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = _str(value).lower()
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text

    return parse


def _positive_int(value: object) -> int:
    number = _int(value)
    if number < 1:
        raise ValueError("must be a positive integer")
    return number


def _positive_float(value: object) -> float:
    number = _float(value)
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _non_negative(value: object) -> float:
    number = _float(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _client_id(value: object) -> int:
    number = _int(value)
    if number not in (1, 2, 3):
        raise ValueError("must be 1 (trading), 2 (diagnostic) or 3 (CLI)")
    return number


def _port(value: object) -> int:
    number = _int(value)
    if not 0 < number < 65536:
        raise ValueError("must be a TCP port number")
    return number


def _path(value: object) -> str:
    """A file path; empty means "the default in the state directory" only by omission."""
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty path (omit the key for the default)")
    return value.strip()


def _optional_path(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string (a file path, or empty for none)")
    return value.strip()


def _control_port(value: object) -> int:
    number = _int(value)
    if not 0 <= number < 65536:
        raise ValueError("must be a TCP port number (0 picks a free port)")
    return number


def _emergency_client_id(value: object) -> int:
    number = _int(value)
    if number in (1, 2, 3) or number < 0:
        raise ValueError(
            "must be a non-negative client id other than 1 (trading), 2 and 3 "
            "(diagnostic, CLI): the emergency client must never collide with the trader"
        )
    return number


def _fsync(value: object) -> str | int:
    if isinstance(value, str) and value.strip().lower() in ("every", "never"):
        return value.strip().lower()
    number = _int(value)
    if number < 1:
        raise ValueError('must be "every", "never" or a positive integer N')
    return number


def _hhmm(value: object) -> str:
    text = _str(value)
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError("must be a time of day HH:MM")
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError("must be a time of day HH:MM")
    return f"{hour:02d}:{minute:02d}"


_Parser = Callable[[object], Any]

# Each default is written once, where its rule lives: the domain's dataclasses and the
# gate's and the gateway's signatures; the schema reads them from there.
_BREAKERS = BreakerConfig()
_LIMITS = OrderLimits()


def _default(function: Callable[..., Any], name: str) -> Any:
    """The default of ``name`` in ``function``'s signature."""
    return inspect.signature(function).parameters[name].default


def _gate_default(name: str) -> Any:
    from hydra.application.config import GateConfig  # noqa: PLC0415

    return getattr(GateConfig(), name)


def _gateway_default(name: str) -> Any:
    from hydra.adapters.ib import BrokerGateway  # noqa: PLC0415  (ib_async only when read)

    return _default(BrokerGateway.__init__, name)


SCHEMA: Mapping[str, Mapping[str, tuple[_Parser, object, str]]] = {
    "broker": {
        "mode": (_choice("sim", "paper", "live"), "sim", "sim | paper | live"),
        "host": (_str, _gateway_default("host"), "gateway host"),
        "port": (
            _port,
            _gateway_default("port"),
            "gateway port (4002 paper Gateway, 7497 paper TWS)",
        ),
        "client_id": (_client_id, _gateway_default("client_id"), "1 trading, 2 diagnostic, 3 CLI"),
        "allow_live": (_bool, False, "first half of the live opt-in"),
        "live_confirmation": (_any_str, "", "second half of the live opt-in (exact text)"),
        "connect_timeout": (
            _positive_float,
            _gateway_default("connect_timeout"),
            "seconds to wait for the gateway",
        ),
    },
    "breakers": {
        "daily_loss_limit": (_float, _BREAKERS.daily_loss_limit, "daily P&L fraction that trips"),
        "max_drawdown": (_float, _BREAKERS.max_drawdown, "drawdown fraction from peak that trips"),
        "max_position_fraction": (
            _float,
            _BREAKERS.max_position_fraction,
            "position value / equity above which blocks",
        ),
        "max_trade_loss": (
            _float,
            _BREAKERS.max_trade_loss,
            "single-trade loss fraction that trips",
        ),
        "trade_loss_cooldown_s": (
            _float,
            _BREAKERS.trade_loss_cooldown.total_seconds(),
            "seconds the trade-loss breaker cools down",
        ),
        "session_timezone": (
            _str,
            _BREAKERS.session.timezone,
            "IANA zone of the session boundary",
        ),
        "session_reset": (
            _hhmm,
            _BREAKERS.session.reset_time.strftime("%H:%M"),
            "local time the trading session resets",
        ),
    },
    "limits": {
        "enabled": (_bool, True, "per-order limits on (false turns every limit off)"),
        "max_quantity": (_float, _LIMITS.max_quantity, "max order quantity"),
        "max_notional": (
            _float,
            _LIMITS.max_notional,
            "max order notional (qty x price x multiplier)",
        ),
        "price_collar": (
            _float,
            _LIMITS.price_collar,
            "max distance of a limit price from the reference",
        ),
        "max_price_age_s": (
            _float,
            _LIMITS.max_price_age.total_seconds(),
            "seconds after which a reference price is stale",
        ),
        "max_orders": (_positive_int, _LIMITS.max_orders, "orders allowed per rate window"),
        "rate_window_s": (_float, _LIMITS.rate_window.total_seconds(), "rate window, seconds"),
        "duplicate_window_s": (
            _float,
            _LIMITS.duplicate_window.total_seconds(),
            "window of the duplicate-order guard, seconds",
        ),
        "self_cross": (_bool, _LIMITS.self_cross, "block orders that could trade against our own"),
    },
    "gate": {
        "derive_inputs": (
            _bool,
            _gate_default("derive_inputs"),
            "derive breaker inputs from the broker",
        ),
        "history": (_positive_int, _gate_default("history"), "recent decisions kept in memory"),
    },
    "journal": {
        "path": (_path, None, f"audit journal file (default <state dir>/{DEFAULT_JOURNAL_NAME})"),
        "fsync": (_fsync, "every", "every | never | N (fsync every N records)"),
        "account": (_any_str, "", "account the journal is for ('' = the broker's account)"),
    },
    "state": {
        "dir": (_optional_path, "", "per-user state directory (default XDG state dir/hydra)"),
    },
    "control": {
        "enabled": (_bool, False, "serve the control API in the host's event loop"),
        "host": (_str, "127.0.0.1", "interface; anything but loopback needs TLS"),
        "port": (_control_port, 8470, "TCP port of the control server"),
        "token_file": (
            _optional_path,
            "",
            f"bearer token (default <state dir>/{DEFAULT_TOKEN_NAME})",
        ),
        "tls_cert": (_optional_path, "", "TLS certificate (PEM), required off loopback"),
        "tls_key": (_optional_path, "", "TLS private key (PEM), required off loopback"),
        "max_body": (_positive_int, 16_384, "largest request body accepted, bytes"),
        "emergency_client_id": (
            _emergency_client_id,
            99,
            "IB client id `hydra kill` uses when the trader does not answer (never 1)",
        ),
    },
    "sim": {
        "cash": (_non_negative, 100_000.0, "starting cash"),
        "seed": (_int, 0, "random seed of the simulator"),
        "commission": (_non_negative, 0.0, "commission per fill"),
    },
}
"""Every config key: (parser, default, description), by section."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated configuration, as nested plain values (see ``SCHEMA``)."""

    values: Mapping[str, Mapping[str, Any]]
    source: str

    def get(self, section: str, key: str) -> Any:
        """One value, e.g. ``settings.get("broker", "mode")``."""
        return self.values[section][key]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """A plain nested dict (for the container's Configuration provider)."""
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
    """
    environ = os.environ if env is None else env
    raw: dict[str, dict[str, object]] = {
        section: {key: spec[1] for key, spec in keys.items()} for section, keys in SCHEMA.items()
    }
    sources = ["defaults"]
    file_path = path if path is not None else environ.get(CONFIG_ENV_VAR) or None
    if file_path is not None:
        _merge(raw, _read_toml(Path(file_path)), origin=str(file_path))
        sources.append(str(file_path))
    env_values = _from_env(environ)
    if env_values:
        _merge(raw, env_values, origin="environment")
        sources.append("environment")
    if overrides:
        _merge(raw, overrides, origin="overrides")
        sources.append("overrides")
    parsed: dict[str, dict[str, Any]] = {}
    for section, keys in SCHEMA.items():
        parsed[section] = {}
        for key, (parser, _default, _doc) in keys.items():
            value = raw[section][key]
            try:
                parsed[section][key] = parser(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{section}.{key}", f"{exc} (got {value!r})") from None
    _resolve_paths(parsed, environ)
    return Settings(parsed, " <- ".join(sources))


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/hydra``, else ``~/.local/state/hydra`` (nothing is created)."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "hydra"


def _resolve_paths(parsed: dict[str, dict[str, Any]], environ: Mapping[str, str]) -> None:
    """Make the state dir, journal and token paths absolute (defaults inside the state dir)."""
    state = parsed["state"]["dir"]
    state_dir = Path(state).expanduser().resolve() if state else default_state_dir(environ)
    parsed["state"]["dir"] = str(state_dir)
    journal = parsed["journal"]["path"]
    parsed["journal"]["path"] = str(
        Path(journal).expanduser().resolve() if journal else state_dir / DEFAULT_JOURNAL_NAME
    )
    token = parsed["control"]["token_file"]
    parsed["control"]["token_file"] = str(
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
    for name, value in environ.items():
        if not name.startswith("HYDRA_") or name == CONFIG_ENV_VAR:
            continue
        rest = name[len("HYDRA_") :].lower()
        section = next((s for s in SCHEMA if rest.startswith(f"{s}_")), None)
        if section is None:
            # Not ours: other packages use HYDRA_* too (e.g. Facebook Hydra's HYDRA_FULL_ERROR).
            _log.warning(
                "settings.env_ignored",
                variable=name,
                reason=f"not a HYDRA setting; sections are {', '.join(SCHEMA)}",
            )
            continue
        key = rest[len(section) + 1 :]
        if key not in SCHEMA[section]:
            raise ConfigError(name, f"unknown key; {section} has {', '.join(SCHEMA[section])}")
        found.setdefault(section, {})[key] = value
    return found


def _merge(
    into: dict[str, dict[str, object]], values: Mapping[str, object], *, origin: str
) -> None:
    for section, keys in values.items():
        if section not in SCHEMA:
            raise ConfigError(
                str(section), f"unknown section in {origin}; known: {', '.join(SCHEMA)}"
            )
        if not isinstance(keys, Mapping):
            raise ConfigError(str(section), f"must be a table in {origin}")
        for key, value in keys.items():
            if key not in SCHEMA[section]:
                raise ConfigError(
                    f"{section}.{key}",
                    f"unknown key in {origin}; {section} has {', '.join(SCHEMA[section])}",
                )
            into[section][key] = value
