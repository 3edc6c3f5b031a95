"""The judge: runs the gate's checks over one decision context, in order, never raising.

The gates run first and the first one with a reason decides alone (nothing else is
judged, e.g. a HALTED gate looks at nothing more). Then the context is prepared (exposure,
price, inputs) and every rule runs, so the audit names every reason. A check that raises
blocks the order with ``check.error`` naming it, and the other rules' reasons survive.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra.application.builder import ContextBuilder
from hydra.application.checks import NamedCheck
from hydra.application.context import DecisionContext, check_error
from hydra.domain import Reason

__all__ = ["Judge"]


class Judge:
    """The two ordered lists of checks, and the loop that runs them.

    Args:
        builder: prepares the context once the gates have passed.
        gates: checks that stop early (input, HALTED, connection, economics).
        rules: checks that all run (the built-in rules, then the user's).
    """

    __slots__ = ("_builder", "_gates", "_rules")

    def __init__(
        self, builder: ContextBuilder, gates: Sequence[NamedCheck], rules: Sequence[NamedCheck]
    ) -> None:
        self._builder = builder
        # perf: gate_checks_only: plain (name, check) pairs, which the loops unpack on
        # CPython's fast path for exact tuples (a NamedCheck is a tuple subclass).
        self._gates = tuple((name, check) for name, check in gates)
        self._rules = tuple((name, check) for name, check in rules)

    @property
    def names(self) -> tuple[str, ...]:
        """Every check's name, gates first, in the order they run."""
        return tuple(name for name, _ in (*self._gates, *self._rules))

    def admits(self, ctx: DecisionContext) -> bool:
        """Whether the early gates pass and the context prepares (no rule is run).

        For a look ahead (the margin preview the decision will need); the decision
        itself is judged afresh by ``judge``.
        """
        try:
            if any(gate(ctx) for _, gate in self._gates):
                return False
            self._builder.prepare(ctx)
        except Exception:  # noqa: BLE001  (the decision reports it)
            return False
        return True

    def judge(self, ctx: DecisionContext) -> tuple[Reason, ...]:
        """Every reason to block the order (empty: allowed)."""
        for name, gate in self._gates:
            try:
                stop = gate(ctx)
            except Exception as exc:  # noqa: BLE001  (fail closed: a gate that raises blocks)
                return (check_error(name, exc),)
            if stop:
                return tuple(stop)  # a gate that stops: the rare path, made a tuple here
        try:
            self._builder.prepare(ctx)
        except Exception as exc:  # noqa: BLE001  (fail closed)
            return (check_error("context", exc),)
        reasons: list[Reason] | None = None
        for name, rule in self._rules:
            try:
                found = rule(ctx)  # a Sequence (NamedCheck.check): drained by its wrapper
            except Exception as exc:  # noqa: BLE001  (fail closed; the others' reasons stay)
                found = (check_error(name, exc),)
            if found:
                if reasons is None:
                    reasons = []
                reasons.extend(found)
        return tuple(reasons) if reasons else ()
