"""Why an order was blocked: reasons with stable codes, as the gate records them."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.domain._slots import slot_init

__all__ = ["Reason"]


@slot_init  # perf: gate_block_limit (one per reason that blocks; see hydra.domain._slots)
@dataclass(frozen=True, slots=True)
class Reason:
    """One thing that blocked an order.

    ``code`` is stable for audit queries (``breaker.daily_loss``, ``connection.disconnected``,
    ``input.invalid``, ``check.error``); ``name`` is the short name a caller sees in
    ``triggered``; ``value`` and ``limit`` are what was compared, when there was a comparison.
    """

    code: str
    name: str
    message: str
    value: float | None = None
    limit: float | None = None
