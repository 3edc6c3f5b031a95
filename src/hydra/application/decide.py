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

from hydra.application.context import ContextBuilder
from hydra.application.desk import Desk
from hydra.application.judge import Judge
from hydra.application.notices import Notices
from hydra.application.orders import OrderHandle
from hydra.application.outbox import Outbox
from hydra.application.records import DecisionRecord, LegRecord
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

    __slots__ = ("_builder", "_clock", "_desk", "_judge", "_notices", "_outbox")

    def __init__(
        self,
        builder: ContextBuilder,
        judge: Judge,
        notices: Notices,
        outbox: Outbox,
        desk: Desk,
        clock: Clock,
    ) -> None:
        self._builder = builder
        self._judge = judge
        self._notices = notices
        self._outbox = outbox
        self._desk = desk
        self._clock = clock

    def order(
        self,
        contract: object,
        order: object,
        inputs: BreakerInputs | None,
        problem: Reason | None,
    ) -> DecisionRecord:
        """Judge, conclude and (if allowed) send one order."""
        started = time.perf_counter()
        desk = self._desk
        seq = desk.begin_decision()
        now = self._clock()
        ctx = self._builder.open(contract, order, now, desk.state, inputs, problem)
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
    ) -> DecisionRecord:
        """Judge an amendment of a working order as the order it becomes; send it if allowed.

        ``parent`` is a bracket child's working entry: the child is judged as acting once
        that entry has filled, as it was when the bracket was sent.
        """
        started = time.perf_counter()
        desk = self._desk
        seq = desk.begin_decision()
        now = self._clock()
        base = parent.remaining * parent.request.side.sign if parent is not None else 0.0
        ctx = self._builder.open(
            handle.instrument,
            order,
            now,
            desk.state,
            inputs,
            action="modify",
            base=base,
            replacing=handle,
        )
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
        )
        if not decision.allowed:
            return decision
        return self._outbox.send_modify(decision, handle)

    def order_list(
        self, legs: Sequence[ListLeg], inputs: BreakerInputs | None
    ) -> tuple[DecisionRecord, tuple[OrderHandle, ...]]:
        """Judge every leg of a bracket or OCA group as one decision; send all or none."""
        started = time.perf_counter()
        desk = self._desk
        seq = desk.begin_decision()
        now = self._clock()
        builder, judge = self._builder, self._judge
        contexts = []
        reasons: list[Reason] = []
        for index, (role, instrument, order, parent, _) in enumerate(legs):
            action = "order" if index == 0 else ("child" if parent is not None else "leg")
            ctx = builder.open(
                instrument,
                order,
                now,
                desk.state,
                inputs,
                action=action,
                base=legs[parent][2].signed_quantity if parent is not None else 0.0,
                orders=len(legs) if index == 0 else 1,
            )
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
        )
        if not decision.allowed:
            return decision, ()
        send = tuple(
            OrderLeg(ctx.instrument, leg[2], leg[3], leg[4])
            for ctx, leg in zip(contexts, legs, strict=True)
        )
        return self._outbox.send_list(decision, send)


def _named(role: str, reason: Reason) -> Reason:
    """A leg's reason, its message naming the leg."""
    return Reason(reason.code, reason.name, f"{role}: {reason.message}", reason.value, reason.limit)
