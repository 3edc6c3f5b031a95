"""Paper or live: the ports, and the one rule for opting into live trading."""

from __future__ import annotations

import os

from hydra.domain import LiveTradingNotAllowedError

__all__ = [
    "LIVE_CONFIRMATION",
    "LIVE_CONFIRMATION_ENV",
    "LIVE_PORTS",
    "PAPER_PORTS",
    "live_opted_in",
    "require_live_opt_in",
]

LIVE_PORTS = frozenset({4001, 7496})
"""IB Gateway (4001) and TWS (7496) live-trading ports."""
PAPER_PORTS = frozenset({4002, 7497})
"""IB Gateway (4002) and TWS (7497) paper-trading ports."""
LIVE_CONFIRMATION = "I understand this trades real money"
"""The confirmation text live trading requires, besides ``allow_live=True``."""
LIVE_CONFIRMATION_ENV = "HYDRA_BROKER_LIVE_CONFIRMATION"
"""Environment variable that may carry the confirmation text."""


def live_opted_in(allow_live: bool, confirmation: str | None) -> bool:
    """Both halves of the opt-in: ``allow_live`` and the exact confirmation text.

    ``confirmation`` None reads ``$HYDRA_BROKER_LIVE_CONFIRMATION``.
    """
    text = confirmation if confirmation is not None else os.environ.get(LIVE_CONFIRMATION_ENV, "")
    return bool(allow_live) and text.strip() == LIVE_CONFIRMATION


def require_live_opt_in(port: int, opted_in: bool) -> None:
    """Refuse a live port without the opt-in, saying how to opt in or stay on paper.

    Raises:
        LiveTradingNotAllowedError: ``port`` is live and ``opted_in`` is False.
    """
    if port in LIVE_PORTS and not opted_in:
        raise LiveTradingNotAllowedError(
            f"port {port} is a LIVE trading port and live trading was not opted into. "
            f"Pass allow_live=True AND set {LIVE_CONFIRMATION_ENV}="
            f"'{LIVE_CONFIRMATION}' (or live_confirmation=..., or broker.live_confirmation "
            "in the config). For paper trading use port 4002 (Gateway) or 7497 (TWS)."
        )
