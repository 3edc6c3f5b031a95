"""A decision's life: open its context(s), judge, record the trips, conclude, send.

One order is one context. An amendment is one context that replaces the working order
(only its growth is judged by notional, size and the breakers; it has its own rate). An
order list is one decision over several contexts, all allowed or none sent: a bracket's
take-profit and stop-loss are judged as acting once their entry has filled (they reduce
what the entry adds), and each leg of an OCA group is judged as if it alone filled (the
group can fill only one). A leg's reasons name the leg.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from hydra.application.builder import ContextBuilder
from hydra.application.context import DecisionContext
from hydra.application.desk import Desk
from hydra.application.judge import Judge
from hydra.application.notices import Notices
from hydra.application.orders import OrderHandle
from hydra.application.outbox import Outbox
from hydra.application.previews import Preview, Previewer
from hydra.application.records import DecisionRecord, LegRecord, Valuation
from hydra.application.records.valuation import make_valuation
from hydra.domain import (
    BreakerInputs,
    Clock,
    Instrument,
    OrderLeg,
    OrderRequest,
    Reason,
)

__all__ = ["Decider", "ListLeg"]

ListLeg = tuple[str, Instrument, OrderRequest, int | None, str]
"""One leg of an order list: its role, instrument, order, parent index and OCA group."""


class Decider:
    """Takes each decision from its context to the hand-off, for one gate.

    Args:
        builder: opens and prepares the decision contexts.
        judge: runs the checks over a context.
        notices: records the trips a judgement latched.
        outbox: concludes and sends.
        desk: the trading state and the decision sequence.
        clock: the gate's clock.
    """

    __slots__ = ("_builder", "_clock", "_desk", "_judge", "_notices", "_outbox", "_previewer")

    def __init__(
        self,
        builder: ContextBuilder,
        judge: Judge,
        notices: Notices,
        outbox: Outbox,
        desk: Desk,
        clock: Clock,
        previewer: Previewer,
    ) -> None:
        self._builder = builder
        self._judge = judge
        self._notices = notices
        self._outbox = outbox
        self._desk = desk
        self._clock = clock
        self._previewer = previewer

    # ------------------------------------------------------------ awaiting the broker first
    async def _ahead(
        self,
        contract: object,
        order: object,
        inputs: BreakerInputs | None,
        problem: Reason | None = None,
        **what: Any,
    ) -> Preview:
        """The preview a decision (opened as ``what`` says) needs, after a waiting HALT.

        A HALT left by ``hydra kill`` is obeyed first, so no preview goes out for an
        order it blocks.
        """
        self._desk.obey_halt_requests()
        ahead = self._builder.open(
            contract, order, self._clock(), self._desk.state, inputs, problem, **what
        )
        return await self._previewer.preview(ahead)

    async def order_async(
        self,
        contract: object,
        order: object,
        inputs: BreakerInputs | None,
        problem: Reason | None,
    ) -> DecisionRecord:
        """As ``order``, after awaiting the broker's margin preview when it is needed."""
        previewer = self._previewer
        if not previewer.active:
            return self.order(contract, order, inputs, problem)
        async with previewer.lock:
            preview = await self._ahead(contract, order, inputs, problem)
            return self.order(contract, order, inputs, problem, preview)

    async def amend_async(
        self,
        handle: OrderHandle,
        order: OrderRequest,
        inputs: BreakerInputs | None,
        parent: OrderHandle | None,
    ) -> DecisionRecord:
        """As ``amend``, after awaiting the margin preview of what it adds when needed."""
        previewer = self._previewer
        if not previewer.active:
            return self.amend(handle, order, inputs, parent)
        async with previewer.lock:
            preview = await self._ahead(
                handle.instrument,
                order,
                inputs,
                action="modify",
                base=_base(parent),
                replacing=handle,
            )
            return self.amend(handle, order, inputs, parent, preview)

    async def order_list_async(
        self, legs: Sequence[ListLeg], inputs: BreakerInputs | None
    ) -> tuple[DecisionRecord, tuple[OrderHandle, ...]]:
        """As ``order_list``, after awaiting each leg's margin preview when needed."""
        previewer = self._previewer
        if not previewer.active:
            return self.order_list(legs, inputs)
        async with previewer.lock:
            previews = [
                await self._ahead(instrument, order, inputs, **_list_leg(legs, index))
                for index, (_, instrument, order, _, _) in enumerate(legs)
            ]
            return self.order_list(legs, inputs, previews)

    # ------------------------------------------------------------ the decisions
    def order(
        self,
        contract: object,
        order: object,
        inputs: BreakerInputs | None,
        problem: Reason | None,
        preview: Preview = None,
    ) -> DecisionRecord:
        """Judge, conclude and (if allowed) send one order."""
        started = time.perf_counter()
        desk = self._desk
        seq = desk.begin_decision()
        now = self._clock()
        ctx = self._builder.open(contract, order, now, desk.state, inputs, problem)
        ctx.preview = preview
        reasons = self._judge.judge(ctx)
        self._notices.trips()
        decision = self._outbox.conclude(
            seq,
            now,
            ctx.instrument if ctx.prepared else contract,
            order,
            reasons,
            state=desk.state,
            inputs=ctx.inputs,
            caller_inputs=inputs,
            started=started,
            valuation=valuation_of(ctx),
        )
        if not decision.allowed:
            return decision
        return self._outbox.send(decision)

    def amend(
        self,
        handle: OrderHandle,
        order: OrderRequest,
        inputs: BreakerInputs | None,
        parent: OrderHandle | None,
        preview: Preview = None,
    ) -> DecisionRecord:
        """Judge an amendment of a working order as the order it becomes; send it if allowed.

        ``parent`` is a bracket child's working entry: the child is judged as acting once
        that entry has filled, as it was when the bracket was sent.
        """
        started = time.perf_counter()
        desk = self._desk
        seq = desk.begin_decision()
        now = self._clock()
        ctx = self._builder.open(
            handle.instrument,
            order,
            now,
            desk.state,
            inputs,
            action="modify",
            base=_base(parent),
            replacing=handle,
        )
        ctx.preview = preview
        reasons = self._judge.judge(ctx)
        self._notices.trips()
        decision = self._outbox.conclude(
            seq,
            now,
            ctx.instrument if ctx.prepared else handle.instrument,
            order,
            reasons,
            state=desk.state,
            inputs=ctx.inputs,
            caller_inputs=inputs,
            started=started,
            amends=handle.order_id,
            valuation=valuation_of(ctx),
        )
        if not decision.allowed:
            return decision
        return self._outbox.send_modify(decision, handle)

    def order_list(
        self,
        legs: Sequence[ListLeg],
        inputs: BreakerInputs | None,
        previews: Sequence[Preview] = (),
    ) -> tuple[DecisionRecord, tuple[OrderHandle, ...]]:
        """Judge every leg of a bracket or OCA group as one decision; send all or none."""
        started = time.perf_counter()
        desk = self._desk
        seq = desk.begin_decision()
        now = self._clock()
        builder, judge = self._builder, self._judge
        contexts = []
        reasons: list[Reason] = []
        for index, (role, instrument, order, _, _) in enumerate(legs):
            ctx = builder.open(instrument, order, now, desk.state, inputs, **_list_leg(legs, index))
            ctx.preview = previews[index] if index < len(previews) else None
            found = judge.judge(ctx)
            reasons.extend(found if index == 0 else (_named(role, r) for r in found))
            contexts.append(ctx)
        self._notices.trips()
        head = contexts[0]
        decision = self._outbox.conclude(
            seq,
            now,
            head.instrument if head.prepared else legs[0][1],
            legs[0][2],
            tuple(reasons),
            state=desk.state,
            inputs=head.inputs,
            caller_inputs=inputs,
            started=started,
            legs=tuple(LegRecord(role, order) for role, _, order, _, _ in legs[1:]),
            valuation=valuation_of(head),
        )
        if not decision.allowed:
            return decision, ()
        send = tuple(
            OrderLeg(ctx.instrument, leg[2], leg[3], leg[4])
            for ctx, leg in zip(contexts, legs, strict=True)
        )
        return self._outbox.send_list(decision, send)


def valuation_of(ctx: DecisionContext) -> Valuation | None:
    """What the decision valued, for its record (None before the context was prepared)."""
    spec, account = ctx.spec, ctx.account
    if not ctx.prepared or spec is None or account is None:
        return None
    rate = ctx.rate
    price = ctx.request.valued_at(ctx.reference)
    notional = None if price is None else ctx.increase * price * spec.multiplier
    exposures = ctx.exposures
    return make_valuation(  # Valuation(...) of every field. perf: gate_pass
        (
            spec.currency,
            account.currency,
            rate,
            notional,
            None if notional is None or rate is None else notional * rate,
            ctx.margin,
            ctx.margin_source,
            exposures[1] if exposures is not None else None,
            exposures[3] if exposures is not None else None,
        )
    )


def _base(parent: OrderHandle | None) -> float:
    """A bracket child's base: its working entry's signed remainder (0: no parent)."""
    return parent.remaining * parent.request.side.sign if parent is not None else 0.0


def _list_leg(legs: Sequence[ListLeg], index: int) -> dict[str, Any]:
    """What one leg of an order list is: its action, base and order count."""
    parent = legs[index][3]
    return {
        "action": "order" if index == 0 else ("child" if parent is not None else "leg"),
        "base": legs[parent][2].signed_quantity if parent is not None else 0.0,
        "orders": len(legs) if index == 0 else 1,
    }


def _named(role: str, reason: Reason) -> Reason:
    """A leg's reason, its message naming the leg."""
    return Reason(reason.code, reason.name, f"{role}: {reason.message}", reason.value, reason.limit)
