"""The ``[sim]`` settings: the simulated account (values only; no simulator is built here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.domain import ConfigError

__all__ = ["SimConfig"]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """``[sim]``: the simulator's starting account and its calendar."""

    cash: float = field(default=100_000.0, metadata={"doc": "starting cash, base currency"})
    seed: int = field(default=0, metadata={"doc": "random seed of the simulator"})
    commission: float = field(default=0.0, metadata={"doc": "commission per fill"})
    base_currency: str = field(default="USD", metadata={"doc": "the account's currency"})
    exchange_hours: bool = field(
        default=False,
        metadata={"doc": "trade only in exchange hours (SimCalendar); off: around the clock"},
    )

    def __post_init__(self) -> None:
        for name in ("cash", "commission"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ConfigError(f"sim.{name}", f"must not be negative (got {value!r})")
        if not isinstance(self.base_currency, str) or len(self.base_currency.strip()) != 3:
            raise ConfigError(
                "sim.base_currency", f"must be a currency code (got {self.base_currency!r})"
            )
