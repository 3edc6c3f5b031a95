"""The margin check: the account's initial margin after the order, within equity with loan.

Its figures come from the broker (a preview: IB's whatIf, never executed, awaited before
the decision; the simulator's, synchronous) or from ``AccountLimits.margin_model`` on
the account's reported margin. No figures, no order (``margin.unavailable``).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable

from hydra.application.context import DecisionContext
from hydra.application.ports import BrokerPort
from hydra.domain import (
    AccountLimits,
    BrokerError,
    InvalidInputError,
    MarginImpact,
    OrderRequest,
    Reason,
)

__all__ = ["MarginCheck", "margin_unavailable", "preview_order"]

_NONE: tuple[Reason, ...] = ()


def margin_unavailable(why: str) -> Reason:
    """``margin.unavailable``: the margin figures could not be had (fail closed)."""
    return Reason("margin.unavailable", "margin_unavailable", f"no margin figures: {why}")


def preview_order(ctx: DecisionContext) -> OrderRequest:
    """What the broker previews: the order, or an amendment's growth alone."""
    order = ctx.request
    if ctx.action == "modify" and ctx.increase != order.quantity:
        return dataclasses.replace(order, quantity=ctx.increase)
    return order


def _insufficient(impact: MarginImpact, fraction: float, source: str) -> Reason:
    allowed = impact.equity_with_loan * fraction
    return Reason(
        "margin.insufficient",
        "margin_insufficient",
        f"initial margin after the order {impact.initial_after:,.2f} {impact.currency} "
        f"({source}) above equity with loan {impact.equity_with_loan:,.2f} x {fraction:g} "
        f"= {allowed:,.2f}",
        impact.initial_after,
        allowed,
    )


class MarginCheck:
    """``margin.insufficient`` / ``margin.unavailable``: the initial margin after the order.

    ``broker``: the broker's preview (awaited before the decision by ``RiskGate.place``
    and the other async calls; a broker that answers synchronously, like the
    simulator, is asked here). ``model``: ``AccountLimits.margin_model`` on the
    account's reported initial margin and equity with loan.
    """

    __slots__ = ("__name__", "_broker", "_limits")

    def __init__(self, broker: BrokerPort, limits: AccountLimits) -> None:
        self.__name__ = "margin"
        self._broker = broker
        self._limits = limits

    def __call__(self, ctx: DecisionContext) -> tuple[Reason, ...]:
        """The margin reasons of one decision (none for an order that adds no risk)."""
        if not ctx.adds_risk:
            return _NONE
        limits = self._limits
        found = self._model(ctx) if limits.margin == "model" else self._broker_preview(ctx)
        if isinstance(found, Reason):
            return (found,)
        ctx.margin, ctx.margin_source = found, limits.margin
        if found.initial_after > found.equity_with_loan * limits.margin_fraction:
            return (_insufficient(found, limits.margin_fraction, limits.margin),)
        return _NONE

    def _broker_preview(self, ctx: DecisionContext) -> MarginImpact | Reason:
        preview = ctx.preview
        if preview is not None:
            return preview
        try:
            answer: MarginImpact | Awaitable[MarginImpact] = self._broker.margin_impact(
                ctx.instrument, preview_order(ctx)
            )
        except BrokerError as exc:
            return margin_unavailable(f"the broker's preview failed: {exc}")
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()  # never sent: nothing waits for it
            return margin_unavailable(
                "this broker previews margin asynchronously and a synchronous call cannot "
                "wait; use await gate.place(...) (or submit, modify, submit_bracket), or "
                'set [limits] margin = "model"'
            )
        return answer

    def _model(self, ctx: DecisionContext) -> MarginImpact | Reason:
        account = ctx.account
        spec = ctx.spec
        rate = ctx.rate
        if account is None or spec is None or rate is None:
            return margin_unavailable("the account or the exchange rate is not available")
        if account.initial_margin is None or account.equity_with_loan is None:
            return margin_unavailable(
                "the broker reports no initial margin or equity with loan for the model"
            )
        price = ctx.request.valued_at(ctx.reference)
        if price is None:
            return margin_unavailable(f"no price to value {ctx.instrument.label}")
        before = ctx.exposure.position + ctx.base
        after = before + ctx.committed + ctx.signed
        model, under = self._limits.margin_model, ctx.underlying
        try:
            change = model.of_position(ctx.instrument, after, price, under) - model.of_position(
                ctx.instrument, before, price, under
            )
        except InvalidInputError as exc:
            return margin_unavailable(exc.reason)
        return MarginImpact(
            account.initial_margin,
            max(0.0, account.initial_margin + change * rate),
            account.equity_with_loan,
            account.currency,
        )
