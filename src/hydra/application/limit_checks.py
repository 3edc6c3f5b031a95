"""The per-order limits as checks, one each (the codes are made in ``hydra.domain.limit_checker``).

Each judges by the instrument's own limits (``ctx.limits``: a ``LimitTable``'s most
specific overrides) and money in the account's base currency.
"""

from __future__ import annotations

from hydra.application.context import DecisionContext
from hydra.application.exposure import ExposureLedger
from hydra.application.named import NamedCheck
from hydra.domain import Reason
from hydra.domain.limit_checker import OrderLimitChecker

__all__ = ["limit_checks"]

_NONE: tuple[Reason, ...] = ()


def limit_checks(limits: OrderLimitChecker, ledger: ExposureLedger) -> list[NamedCheck]:
    """The per-order limits, one check each (codes made in ``hydra.domain.limit_checker``)."""

    def max_quantity(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``limit.max_quantity``."""
        reason = limits.quantity(ctx.request, ctx.limits)
        return (reason,) if reason is not None else _NONE

    def reference_price(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``price.missing`` / ``price.future`` / ``price.stale``: no usable reference."""
        problem = ctx.price_problem
        return (problem,) if problem is not None else _NONE

    def price_collar(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``limit.price_collar``."""
        reason = limits.collar(ctx.request, ctx.reference, ctx.limits)
        return (reason,) if reason is not None else _NONE

    def max_notional(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``limit.max_notional`` on what the decision adds, in the account's currency."""
        spec = ctx.spec
        assert spec is not None  # noqa: S101  (economics ran first)
        rate = ctx.rate
        if ctx.increase <= 0 or rate is None:
            return _NONE  # nothing added, or the valuation check says why it cannot judge
        reason = limits.notional(
            ctx.request,
            spec.multiplier,
            ctx.reference,
            ctx.increase,
            rate=rate,
            limits=ctx.limits,
        )
        return (reason,) if reason is not None else _NONE

    def rate(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``limit.rate`` for an order, ``limit.modify_rate`` for an amendment.

        A bracket's children and an OCA group's further legs are counted with their
        first leg (``RiskGate`` judges the list's size there).
        """
        if ctx.action == "modify":
            reason = limits.modify_rate(ctx.now, ctx.limits)
        elif ctx.action == "order":
            reason = limits.rate(ctx.now, ctx.orders, ctx.limits)
        else:
            return _NONE
        return (reason,) if reason is not None else _NONE

    def duplicate(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``limit.duplicate``: for a new order only (an amendment keeps its id)."""
        if ctx.action != "order":
            return _NONE
        reason = limits.duplicate(ctx.instrument, ctx.request, ctx.now, ctx.limits)
        return (reason,) if reason is not None else _NONE

    def self_cross(ctx: DecisionContext) -> tuple[Reason, ...]:
        """``limit.self_cross``: the order could trade against one of our resting orders.

        An amendment cannot cross the order it replaces, nor a bracket child the entry it
        acts after (the child works only once that entry has filled).
        """
        replacing = ctx.replacing
        skip: tuple[int, ...] = ()
        if replacing is not None:
            skip = (replacing.order_id, replacing.parent_id or 0)
        resting = ledger.resting(ctx.instrument.key, ctx.request.side, skip)
        reason = (
            limits.self_cross(ctx.instrument, ctx.request, resting, ctx.limits) if resting else None
        )
        return (reason,) if reason is not None else _NONE

    return [
        NamedCheck("max_quantity", max_quantity),
        NamedCheck("reference_price", reference_price),
        NamedCheck("price_collar", price_collar),
        NamedCheck("max_notional", max_notional),
        NamedCheck("rate", rate),
        NamedCheck("duplicate", duplicate),
        NamedCheck("self_cross", self_cross),
    ]
