"""The RiskGate's own settings, as one frozen value (``[gate]`` in the config file)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.domain import InvalidInputError

__all__ = ["GateConfig"]


@dataclass(frozen=True, slots=True)
class GateConfig:
    """How the gate judges, beyond the breakers' and the limits' own settings.

    Attributes:
        derive_inputs: derive the breakers' inputs from the broker (account, exposure
            ledger, session start, peak); the caller's, when given, still count and the
            stricter wins. ``False`` trusts the caller alone (then they are required).
        history: how many recent decisions ``gate.decisions`` keeps (memory stays bounded).
        fed_price_tolerance: the largest relative distance of a fed reference price
            (``gate.update_price``) from the broker's own; a fed price further away is
            refused, whether or not the per-order limits are on.
    """

    derive_inputs: bool = field(
        default=True, metadata={"doc": "derive breaker inputs from the broker"}
    )
    history: int = field(default=1000, metadata={"doc": "recent decisions kept in memory"})
    fed_price_tolerance: float = field(
        default=0.05, metadata={"doc": "largest distance of a fed price from the broker's own"}
    )

    def __post_init__(self) -> None:
        if not isinstance(self.derive_inputs, bool):
            raise InvalidInputError(
                "gate.derive_inputs", "must be true or false", self.derive_inputs
            )
        if isinstance(self.history, bool) or not isinstance(self.history, int) or self.history < 1:
            raise InvalidInputError("gate.history", "must be a positive integer", self.history)
        tolerance = self.fed_price_tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not 0 < tolerance < 1
        ):
            raise InvalidInputError(
                "gate.fed_price_tolerance", "must be a fraction in (0, 1)", tolerance
            )
