"""The gate's checks: each a function of one decision context, with its reason codes beside it.

A check is ``(ctx: DecisionContext) -> Iterable[Reason]``: no reason, the order passes it.
There are two ordered lists (``built_in_checks``):

* the gates, which stop early (the first that finds a reason decides alone): the input is
  HYDRA's types, trading is not HALTED, the broker is connected, the broker has qualified
  the contract and agrees with its economics;
* the rules, which all run, so the audit names every reason: the broker's size rules,
  REDUCING, the breakers' inputs, the valuation in the account's currency, the circuit
  breakers, the per-order limits (absent when the limits are off) and the account-wide
  rules of ``account_checks`` (trading hours, short sales, portfolio exposure, margin;
  absent when ``account_limits`` is None).

A user's own checks (``RiskGate(..., checks=[...])``) run after the built-in rules: they
can add reasons (block) and nothing else, and their codes are namespaced ``user.<name>``.
A check that raises blocks the order with ``check.error`` naming it (fail closed).
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra.application.account_checks import account_checks, valuation
from hydra.application.context import DecisionContext, check_error
from hydra.application.exposure import ExposureLedger
from hydra.application.limit_checks import limit_checks
from hydra.application.named import Check, NamedCheck, Rule
from hydra.application.ports import BrokerPort
from hydra.application.valuation import Valuer
from hydra.domain import (
    AccountLimits,
    CircuitBreakerManager,
    ConnectionState,
    Instrument,
    InvalidInputError,
    OrderRequest,
    Reason,
)
from hydra.domain._members import CONNECTED, POSITION_SIZE, STATE_HALTED, STATE_REDUCING
from hydra.domain.breakers import Breach
from hydra.domain.limit_checker import OrderLimitChecker

__all__ = [
    "Check",
    "NamedCheck",
    "built_in_checks",
    "check_error",
    "user_checks",
]

_NONE: tuple[Reason, ...] = ()


# ---------------------------------------------------------------------------- the gates
def _invalid(field: str, value: object, kind: str, converter: str) -> Reason:
    error = InvalidInputError(
        field,
        f"must be a hydra {kind} (the ib adapter converts ib_async objects with {converter})",
        type(value).__name__,
    )
    return Reason("input.invalid", f"invalid_{field}", str(error))


def input_types(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``input.invalid``: the contract is not an Instrument, or the order not an OrderRequest."""
    if not isinstance(ctx.contract, Instrument):
        return (_invalid("contract", ctx.contract, "Instrument", "instrument_from_ib"),)
    if not isinstance(ctx.order, OrderRequest):
        return (_invalid("order", ctx.order, "OrderRequest", "order_request_from_ib"),)
    return _NONE


HALTED = Reason("state.halted", "halted", "trading is HALTED: no order passes")


def not_halted(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``state.halted``: nothing passes a HALTED gate (and nothing else is judged)."""
    return (HALTED,) if ctx.state is STATE_HALTED else _NONE


def disconnected(connection: ConnectionState) -> Reason:
    """``connection.<state>``: orders wait for nothing while the broker is not connected."""
    return Reason(
        f"connection.{connection.value}",
        f"connection_{connection.value}",
        f"broker connection is {connection.value}; orders are blocked until connected",
    )


def _connected(broker: BrokerPort) -> Rule:
    def connected(_ctx: DecisionContext) -> tuple[Reason, ...]:
        """``connection.<state>``: the broker connection must be up and synchronised."""
        state = broker.connection_state
        return _NONE if state is CONNECTED else (disconnected(state),)

    return connected


def economics(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``instrument.unqualified`` / ``instrument.economics``: the broker's contract counts.

    The broker must have qualified the contract, and the caller's instrument must agree
    with its type, currency and multiplier (the broker's numbers value the order).
    """
    contract = ctx.contract
    assert isinstance(contract, Instrument)  # noqa: S101  (input_types ran first)
    spec = ctx.spec
    if spec is None:
        return (
            Reason(
                "instrument.unqualified",
                "unqualified",
                f"{contract.symbol} ({contract.sec_type.value}, {contract.currency}) is not a "
                "contract the broker has qualified; qualify it first "
                "(await gate.broker.qualify_contract(...))",
            ),
        )
    wrong = spec.mismatch(contract)
    if wrong:
        return (
            Reason(
                "instrument.economics",
                "economics_mismatch",
                f"{contract.symbol} disagrees with the broker's contract: {wrong}; the broker's "
                "economics count (use the instrument qualify_contract returns)",
            ),
        )
    return _NONE


# ---------------------------------------------------------------------------- the rules
def size(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``instrument.size``: below the broker's minimum, or off its size increment."""
    spec = ctx.spec
    quantity = ctx.request.quantity
    assert spec is not None  # noqa: S101  (economics ran first)
    if spec.size_increment == 1.0 and quantity.is_integer() and quantity >= spec.min_size:
        return _NONE  # a whole number of shares passes at a glance
    reason = spec.size_reason(quantity)
    return (reason,) if reason is not None else _NONE


def tick(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``instrument.tick``: a limit or stop price off the broker's minimum tick."""
    spec = ctx.spec
    prices = ctx.request.prices
    if not prices or spec is None or not spec.min_tick:
        return _NONE
    reason = spec.tick_reason(prices)
    return (reason,) if reason is not None else _NONE


def _grows(ctx: DecisionContext, code: str, name: str, why: str) -> tuple[Reason, ...]:
    """A reason naming the order and the position it does not shrink (every view)."""
    order = ctx.request
    shown = " / ".join(f"{view:g}" for view in ctx.exposure.views())
    return (
        Reason(
            code,
            name,
            f"{why}: {order.side.value} {order.quantity:g} {ctx.instrument.label} does not "
            f"shrink the position {shown} (with {ctx.committed or 0.0:g} working on that side)",
        ),
    )


def reduce_only(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``order.reduce_only``: a reduce-only order that could grow |position| (or flip it)."""
    if not ctx.request.reduce_only or ctx.shrinks:
        return _NONE
    return _grows(ctx, "order.reduce_only", "reduce_only", "the order is reduce-only")


def reducing(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``state.reducing``: in REDUCING only an order that shrinks every view passes."""
    if ctx.state is not STATE_REDUCING or ctx.shrinks:
        return _NONE
    return _grows(ctx, "state.reducing", "reducing", "trading is REDUCING")


def breaker_inputs(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``input.invalid`` / ``input.unavailable``: the breakers have nothing to judge."""
    problem = ctx.inputs_problem
    return (problem,) if problem is not None else _NONE


_LATCHED_KEPT = 64
"""Latched breaches whose block reason is kept (a handful of trips per session)."""


class _Breakers:
    """``breaker.<name>``: the circuit breakers, with memory (trips latch here).

    What reduces risk can always leave: an order that shrinks the position in every view
    (counting working orders; never a flip) passes the position-size limit, passes a
    tripped loss breaker unless ``block_reducing`` is set, and in REDUCING passes whatever
    the breakers say.
    """

    __slots__ = ("_block_reducing", "_breakers", "_latched_reasons")

    def __init__(self, breakers: CircuitBreakerManager) -> None:
        self._breakers = breakers
        self._block_reducing = breakers.config.block_reducing
        # perf: gate_block_breaker (+5.9 % instructions without it): the reason of each
        # latched trip's breach, built once (the same breach blocks every order).
        self._latched_reasons: dict[int, tuple[Breach, Reason]] = {}

    def check(self, ctx: DecisionContext) -> tuple[Reason, ...] | list[Reason]:
        """The breakers' reasons to block the order in ``ctx``."""
        inputs = ctx.inputs
        if inputs is None:
            return _NONE
        own = ctx.limits
        breaches = self._breakers.evaluate_inputs(
            inputs, own.max_position_fraction if own is not None else None
        ).breaches
        if not breaches or ctx.increase <= 0:
            return _NONE  # what adds nothing passes (the evaluation still latched trips)
        if not ctx.shrinks:
            return [self._reason(b) for b in breaches]
        leaves = ctx.state is STATE_REDUCING or not self._block_reducing
        return [self._reason(b) for b in breaches if not (leaves or b.breaker is POSITION_SIZE)]

    def _reason(self, breach: Breach) -> Reason:
        kept = self._latched_reasons
        cached = kept.get(id(breach)) if breach.latched else None
        if cached is not None and cached[0] is breach:
            return cached[1]
        reason = Reason(
            breach.code, breach.breaker.value, breach.message, breach.value, breach.limit
        )
        if breach.latched:
            if len(kept) > _LATCHED_KEPT:
                kept.clear()
            kept[id(breach)] = (breach, reason)
        return reason


def built_in_checks(
    broker: BrokerPort,
    breakers: CircuitBreakerManager,
    limits: OrderLimitChecker | None,
    ledger: ExposureLedger,
    account: AccountLimits | None,
    valuer: Valuer,
) -> tuple[list[NamedCheck], list[NamedCheck]]:
    """The built-in gates and rules, in order.

    The valuation (rates, underlyings) always; the per-order limits' rules only when
    they are on; the account-wide rules (``account_checks``: hours, short sales,
    exposure, margin) only when ``account`` is given.
    """
    gates = [
        NamedCheck("input", input_types),
        NamedCheck("halted", not_halted),
        NamedCheck("connection", _connected(broker)),
        NamedCheck("economics", economics),
    ]
    rules = [
        NamedCheck("size", size),
        NamedCheck("tick", tick),
        NamedCheck("reduce_only", reduce_only),
        NamedCheck("reducing", reducing),
        NamedCheck("breaker_inputs", breaker_inputs),
        NamedCheck("valuation", valuation),
        # a bound method: cheaper for the judge to call than an instance's __call__
        NamedCheck("breakers", _Breakers(breakers).check),
    ]
    if limits is not None:
        rules += limit_checks(limits, ledger)
    if account is not None:
        rules += account_checks(broker, account, valuer, ledger)
    return gates, rules


def user_checks(checks: Sequence[Check]) -> list[NamedCheck]:
    """A user's checks, wrapped: their reasons' codes become ``user.<name>.<code>``.

    Raises:
        InvalidInputError: a check that is not callable, or two with one name.
    """
    wrapped: list[NamedCheck] = []
    for check in checks:
        if not callable(check):
            raise InvalidInputError("checks", "each check must be callable: (ctx) -> reasons")
        name = f"user.{getattr(check, '__name__', type(check).__name__)}"
        if any(other.name == name for other in wrapped):
            raise InvalidInputError("checks", f"two checks are named {name!r}", name)
        wrapped.append(NamedCheck(name, _namespaced(name, check)))
    return wrapped


def _namespaced(name: str, check: Check) -> Rule:
    def run(ctx: DecisionContext) -> tuple[Reason, ...]:
        reasons = []
        for reason in check(ctx):
            if not isinstance(reason, Reason):
                raise TypeError(f"a check yields Reason objects, not {type(reason).__name__}")
            reasons.append(
                Reason(
                    f"{name}.{reason.code}" if reason.code else name,
                    reason.name,
                    reason.message,
                    reason.value,
                    reason.limit,
                )
            )
        return tuple(reasons)

    return run
