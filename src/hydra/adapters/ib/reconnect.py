"""Reconnecting to IB: the seed's backoff, then the capped delay with jitter, for ever.

IB Gateway restarts every night and a maintenance window can outlast the seed's ten
attempts (about three minutes), so after a lost connection the gateway goes on trying at
the capped delay until it connects or its host disconnects it. The jitter spreads the
attempts of many clients waiting on the same restarting gateway. This module holds the
plan (delays, jitter), runs the attempts one at a time, logs and counts each; the gateway
supplies what one attempt is and whether it was stopped.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence

import structlog

from hydra.adapters.ib.connection import DEFAULT_RECONNECT_DELAYS
from hydra.domain import InvalidInputError

__all__ = ["DEFAULT_RECONNECT_JITTER", "ReconnectPlan"]

_log = structlog.get_logger("hydra.ib")

DEFAULT_RECONNECT_JITTER = 0.1
"""Up to 10 % of the capped delay is taken off each attempt past the backoff."""


class ReconnectPlan:
    """When to try again, and how many attempts were made.

    Args:
        delays: the backoff before each attempt of ``reconnect()`` (default 1, 2, 4, 8,
            16, 30, 30, 30, 30, 30 seconds); the largest is the capped delay.
        jitter: the fraction of the capped delay taken off at random past the backoff.

    Raises:
        InvalidInputError: no delays, a negative one, or a jitter outside [0, 1).
    """

    __slots__ = ("_lock", "attempts", "delays", "jitter")

    def __init__(self, delays: Sequence[float] | None, jitter: float) -> None:
        chosen = DEFAULT_RECONNECT_DELAYS if delays is None else tuple(delays)
        if not chosen or any(not d >= 0 for d in chosen):
            raise InvalidInputError(
                "reconnect_delays", "must be a non-empty list of non-negative seconds", chosen
            )
        if not 0.0 <= jitter < 1.0:  # also refuses NaN
            raise InvalidInputError("reconnect_jitter", "must be a fraction in [0, 1)", jitter)
        self.delays = chosen
        self.jitter = float(jitter)
        self.attempts = 0
        """Attempts made since the plan was built, whoever started them."""
        # One attempt at a time: the host's reconnect() and the automatic one share it.
        self._lock = asyncio.Lock()

    @property
    def cap(self) -> float:
        """The capped delay: the longest of the backoff's."""
        return max(self.delays)

    def capped(self) -> Iterator[float]:
        """The capped delay less a random part of up to ``jitter`` of it, for ever."""
        cap, jitter = self.cap, self.jitter
        while True:
            yield cap * (1.0 - jitter * random.random())  # noqa: S311  (spreading, not secrets)

    async def run(
        self,
        delays: Iterable[float],
        attempt: Callable[[int], Awaitable[bool]],
        stopped: Callable[[], bool],
        *,
        first: int = 1,
        of: int | None = None,
    ) -> bool:
        """After each delay, one ``attempt(number)``; True once one succeeds or ``stopped()``.

        Every attempt is counted and logged (``gateway.reconnect_attempt``: its number
        from ``first``, ``of`` how many ``delays`` holds or None for no end, the delay).
        False when the delays run out.
        """
        for number, delay in enumerate(delays, start=first):
            self.attempts += 1
            _log.warning("gateway.reconnect_attempt", attempt=number, of=of, delay_s=delay)
            await asyncio.sleep(delay)
            if stopped():
                return True
            async with self._lock:
                if await attempt(number):
                    return True
        return False

    async def run_until_connected(
        self, attempt: Callable[[int], Awaitable[bool]], stopped: Callable[[], bool]
    ) -> None:
        """The backoff, then the capped delay with jitter until an attempt succeeds or stops."""
        spent = len(self.delays)
        if await self.run(self.delays, attempt, stopped, of=spent):
            return
        _log.warning(
            "gateway.reconnect_persisting", attempts=spent, delay_s=self.cap, jitter=self.jitter
        )
        await self.run(self.capped(), attempt, stopped, first=spent + 1)
