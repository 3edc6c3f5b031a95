"""The broker's margin preview, awaited before a decision that needs it.

IB answers a whatIf order over the network, so the preview is awaited before the
decision is judged (the decision itself never yields: from the first check to the
hand-off nothing else runs). Only an order that the early gates admit and that adds risk
is previewed; the answer (or why there is none: an error, or no answer within
``AccountLimits.margin_timeout``) travels into the decision's context, where the margin
check judges it. Previews run one at a time, each followed at once by its decision, so
no two previews are judged against the same margin.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable

from hydra.application.builder import ContextBuilder
from hydra.application.context import DecisionContext
from hydra.application.judge import Judge
from hydra.application.margin import margin_unavailable, preview_order
from hydra.application.ports import BrokerPort
from hydra.domain import AccountLimits, BrokerError, MarginImpact, Reason

__all__ = ["Preview", "Previewer"]

Preview = MarginImpact | Reason | None
"""A margin preview's answer, why there is none, or None when none was needed."""


class Previewer:
    """Awaits the broker's margin preview for the decisions that need one.

    Args:
        broker: whose ``margin_impact`` is awaited.
        builder: opens the look-ahead context.
        judge: says whether the early gates admit the order.
        limits: the account-wide settings (``margin`` and ``margin_timeout``).
    """

    __slots__ = ("_broker", "_builder", "_judge", "_lock", "_timeout", "active")

    def __init__(
        self,
        broker: BrokerPort,
        builder: ContextBuilder,
        judge: Judge,
        limits: AccountLimits | None,
    ) -> None:
        self._broker = broker
        self._builder = builder
        self._judge = judge
        self._timeout = limits.margin_timeout.total_seconds() if limits is not None else 0.0
        # Only a broker that previews asynchronously is asked ahead; a synchronous one
        # (the simulator) answers inside the decision.
        self.active = (
            limits is not None
            and limits.margin == "broker"
            and inspect.iscoroutinefunction(broker.margin_impact)
        )
        self._lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        """Held from a preview to its decision (one at a time)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def preview(self, ctx: DecisionContext) -> Preview:
        """The preview the decision opened as ``ctx`` needs (None: it needs none)."""
        if not self.active or not self._judge.admits(ctx):
            return None
        if not ctx.adds_risk:
            return None
        try:
            answer: MarginImpact | Awaitable[MarginImpact] = self._broker.margin_impact(
                ctx.instrument, preview_order(ctx)
            )
            if inspect.isawaitable(answer):
                answer = await asyncio.wait_for(answer, self._timeout)
        except TimeoutError:
            return margin_unavailable(
                f"the broker's preview did not answer within {self._timeout:g}s"
            )
        except BrokerError as exc:
            return margin_unavailable(f"the broker's preview failed: {exc}")
        except Exception as exc:  # noqa: BLE001  (fail closed: a preview that breaks blocks)
            return margin_unavailable(f"the broker's preview raised {exc!r}")
        return answer
