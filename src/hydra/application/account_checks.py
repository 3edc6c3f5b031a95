"""The account-wide checks: valuation, trading hours, short sales, portfolio exposure.

Each is one check of the gate's rule list, with its reason codes beside it and its
settings in ``hydra.domain.AccountLimits`` (the margin check, the last of them, is in
``margin``). Each but the hours blocks only an order that adds risk (an order that
shrinks the position in every view, or adds nothing, passes them), and each fails
closed: a figure it cannot get blocks the order with a reason saying so.
"""

from __future__ import annotations

from hydra.application.context import DecisionContext
from hydra.application.exposure import ExposureLedger
from hydra.application.margin import MarginCheck
from hydra.application.named import NamedCheck
from hydra.application.ports import BrokerPort
from hydra.application.valuation import Valuer
from hydra.domain import (
    AccountLimits,
    OrderType,
    Reason,
    Right,
    SecurityType,
    Side,
    TradingHours,
)

__all__ = [
    "EXTENDED_HOURS_TYPES",
    "account_checks",
]

_NONE: tuple[Reason, ...] = ()

EXTENDED_HOURS_TYPES = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
"""Order types that may trade outside regular hours (with ``outside_rth``), as IB allows."""


# ----------------------------------------------------------------------------- valuation
def valuation(ctx: DecisionContext) -> tuple[Reason, ...]:
    """``fx.missing`` / ``price.missing``: the order cannot be valued in the base currency.

    No usable rate from the instrument's currency, or an option's underlying has no price.
    """
    problem = ctx.fx_problem or ctx.value_problem
    return (problem,) if problem is not None else _NONE


# ----------------------------------------------------------------------------- exposure
def _exposure_reason(which: str, value: float, cap: float, equity: float) -> Reason:
    return Reason(
        f"exposure.{which}",
        f"max_{which}_exposure",
        f"{which} exposure after the order {value:,.2f} is {value / equity:.2%} of equity, "
        f"above max {cap:.2%}",
        value / equity,
        cap,
    )


class _Exposure:
    """``exposure.gross`` / ``exposure.net`` / ``exposure.unavailable``: the portfolio caps.

    Every instrument with a position or working orders counts, each at the extreme
    where every working order on one side fills (as the ledger counts them); the order
    is blocked when it takes gross (or net) exposure above its cap and higher than it
    was. Equity is the breakers' current equity (the account's net liquidation).
    """

    __slots__ = ("__name__", "_gross", "_ledger", "_net", "_valuer")

    def __init__(self, limits: AccountLimits, valuer: Valuer, ledger: ExposureLedger) -> None:
        self.__name__ = "exposure"
        self._gross = limits.max_gross_exposure
        self._net = limits.max_net_exposure
        self._valuer = valuer
        self._ledger = ledger

    def __call__(self, ctx: DecisionContext) -> tuple[Reason, ...]:
        unit = ctx.unit_value
        inputs = ctx.inputs
        if not ctx.adds_risk or unit is None or inputs is None:
            return _NONE  # nothing added, or the valuation / inputs checks say why not
        if ctx.instrument.right is Right.PUT:
            unit = -unit  # a put's exposure runs against its underlying
        views = [view + ctx.base for view in ctx.exposure.views()]
        low, high = min(views) - ctx.exposure.selling, max(views) + ctx.exposure.buying
        moved = (min(views) if ctx.signed < 0 else max(views)) + ctx.committed + ctx.signed
        after = (low, moved) if ctx.signed > 0 else (moved, high)
        before_a, before_b = sorted((low * unit, high * unit))
        after_a, after_b = sorted((after[0] * unit, after[1] * unit))
        found = self._valuer.exposures(
            self._ledger.exposed(),
            ctx.instrument.key,
            (before_a, before_b, after_a, after_b),
            ctx.base_currency,
            ctx.now,
        )
        if isinstance(found, Reason):
            return (found,)
        ctx.exposures = found
        gross_before, gross_after, net_before, net_after = found
        equity = inputs.current_equity
        reasons = []
        gross, net = self._gross, self._net
        if gross is not None and gross_after > gross * equity and gross_after > gross_before:
            reasons.append(_exposure_reason("gross", gross_after, gross, equity))
        if net is not None and net_after > net * equity and net_after > net_before:
            reasons.append(_exposure_reason("net", net_after, net, equity))
        return tuple(reasons)


# ----------------------------------------------------------------------------- short sales
class _ShortSale:
    """``short.unavailable``: a sale opening or growing a short stock position.

    It needs the broker to have that many shares to lend (unknown: blocked, unless
    ``unknown_shortable = "allow"``).
    """

    __slots__ = ("__name__", "_allow_unknown", "_broker")

    def __init__(self, broker: BrokerPort, limits: AccountLimits) -> None:
        self.__name__ = "short_sale"
        self._broker = broker
        self._allow_unknown = limits.unknown_shortable == "allow"

    def __call__(self, ctx: DecisionContext) -> tuple[Reason, ...]:
        spec = ctx.spec
        if ctx.request.side is not Side.SELL or spec is None or ctx.increase <= 0:
            return _NONE
        if spec.sec_type is not SecurityType.STOCK:
            return _NONE
        after = min(ctx.exposure.views()) + ctx.base + ctx.committed + ctx.signed
        needed = max(0.0, -after) - max(0.0, -(after - ctx.signed))
        if needed <= 0:
            return _NONE
        shares = self._broker.shortable_shares(ctx.instrument)
        label = ctx.instrument.label
        if shares is None:
            if self._allow_unknown:
                return _NONE
            return (
                Reason(
                    "short.unavailable",
                    "short_unavailable",
                    f"selling {needed:g} {label} short needs shares to borrow, and the "
                    "broker reports none available or unknown (unknown_shortable = block)",
                    needed,
                ),
            )
        if shares < needed:
            return (
                Reason(
                    "short.unavailable",
                    "short_unavailable",
                    f"selling {needed:g} {label} short needs {needed:g} shares to borrow; "
                    f"the broker has {shares:g}",
                    needed,
                    shares,
                ),
            )
        return _NONE


# ----------------------------------------------------------------------------- hours
def _closed(ctx: DecisionContext, hours: TradingHours, why: str) -> Reason:
    upcoming = hours.next_open(ctx.now, regular=True)
    when = f"; regular hours next open {upcoming.isoformat()}" if upcoming else ""
    return Reason(
        "session.closed",
        "session_closed",
        f"{ctx.instrument.label}: {why} ({hours.time_zone}){when}",
    )


class _Hours:
    """``session.closed`` / ``session.unknown``: the exchange must be open for the order.

    Inside regular (liquid) hours everything passes; in the extended session only a
    limit or stop-limit with ``outside_rth``; a market order outside regular hours never;
    nothing when the exchange is closed (a holiday has no session). Hours the broker did
    not give block unless ``unknown_hours = "allow"``. A bracket's take-profit and
    stop-loss act only once the entry fills, so its entry alone is judged.
    """

    __slots__ = ("__name__", "_allow_unknown")

    def __init__(self, limits: AccountLimits) -> None:
        self.__name__ = "session_hours"
        self._allow_unknown = limits.unknown_hours == "allow"

    def __call__(self, ctx: DecisionContext) -> tuple[Reason, ...]:
        spec = ctx.spec
        hours = spec.hours if spec is not None else None
        if (hours is not None and hours.always_open) or ctx.action == "child":
            return _NONE
        regular = hours.is_open(ctx.now, regular=True) if hours is not None else None
        if hours is None or regular is None:
            if self._allow_unknown:
                return _NONE
            return (
                Reason(
                    "session.unknown",
                    "session_unknown",
                    f"{ctx.instrument.label}: the broker gave no trading hours for now; "
                    "an order cannot be judged open (unknown_hours = block)",
                ),
            )
        if regular:
            return _NONE
        order = ctx.request
        if not hours.is_open(ctx.now, regular=False):
            return (_closed(ctx, hours, "the exchange is closed"),)
        if order.order_type is OrderType.MARKET:
            return (_closed(ctx, hours, "a market order outside regular hours"),)
        if order.outside_rth and order.order_type in EXTENDED_HOURS_TYPES:
            return _NONE
        return (
            _closed(
                ctx,
                hours,
                f"outside regular hours only a limit or stop-limit with outside_rth trades, "
                f"not {order.order_type.value}"
                + ("" if order.outside_rth else " without outside_rth"),
            ),
        )


def account_checks(
    broker: BrokerPort, limits: AccountLimits, valuer: Valuer, ledger: ExposureLedger
) -> list[NamedCheck]:
    """The account-wide rules, in order (margin only when it is not off)."""
    checks = [
        NamedCheck("session_hours", _Hours(limits)),
        NamedCheck("short_sale", _ShortSale(broker, limits)),
        NamedCheck("exposure", _Exposure(limits, valuer, ledger)),
    ]
    if limits.margin != "off":
        checks.append(NamedCheck("margin", MarginCheck(broker, limits)))
    return checks
