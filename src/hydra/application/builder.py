"""Builds each decision's context from the broker, the ledger, prices and the session.

``ContextBuilder`` fills a ``DecisionContext`` in two steps: ``open`` (before the early
gates: the broker's contract economics, a cheap lookup) and ``prepare`` (after them:
exposure, limits, price, valuation and inputs, each problem kept as a reason for the
check that reports it, so one missing number never hides the others).
"""

from __future__ import annotations

from datetime import datetime

from hydra.application.context import NO_PRICE, DecisionContext, check_error
from hydra.application.exposure import ExposureLedger, make_exposure
from hydra.application.orders import OrderHandle
from hydra.application.ports import BrokerPort
from hydra.application.prices import ReferencePrices
from hydra.application.session import SessionTracker
from hydra.application.valuation import Valuer
from hydra.domain import (
    BreakerInputs,
    BrokerError,
    ContractSpec,
    Instrument,
    InvalidInputError,
    OrderRequest,
    Quote,
    Reason,
    TradingState,
)
from hydra.domain._members import BUY
from hydra.domain.limit_checker import OrderLimitChecker
from hydra.domain.trading_state import shrinks_position

__all__ = ["ContextBuilder"]


class ContextBuilder:
    """Builds each decision's context from the broker, the ledger, prices and the session.

    Args:
        broker: the port (contract economics, account, positions, working orders).
        ledger: the exposure ledger (seeded from the broker on first use).
        prices: the reference prices (the broker's, or a fresher fed one).
        session: the session tracker the derived breaker inputs come from.
        limits: the per-order limit checker (its price age rule judges the reference).
        valuer: values exposure in the base currency.
        derive: derive the breakers' inputs (the stricter of the caller's and the derived).
    """

    __slots__ = ("_broker", "_derive", "_ledger", "_limits", "_prices", "_session", "_valuer")

    def __init__(
        self,
        broker: BrokerPort,
        ledger: ExposureLedger,
        prices: ReferencePrices,
        session: SessionTracker,
        limits: OrderLimitChecker | None,
        valuer: Valuer,
        *,
        derive: bool,
    ) -> None:
        self._broker = broker
        self._ledger = ledger
        self._prices = prices
        self._session = session
        self._limits = limits
        self._valuer = valuer
        self._derive = derive

    @property
    def valuer(self) -> Valuer:
        """Values exposure in the base currency (rates, underlyings)."""
        return self._valuer

    @property
    def ledger(self) -> ExposureLedger:
        """The exposure ledger."""
        return self._ledger

    def open(
        self,
        contract: object,
        order: object,
        now: datetime,
        state: TradingState,
        caller_inputs: BreakerInputs | None,
        inputs_problem: Reason | None = None,
        *,
        action: str = "order",
        base: float = 0.0,
        replacing: OrderHandle | None = None,
        orders: int = 1,
    ) -> DecisionContext:
        """A new context; the broker's economics for the contract are looked up here.

        ``inputs_problem`` is why the caller's breaker inputs were refused (then nothing
        is derived: the breakers have nothing to judge, and that blocks the order).
        ``action``, ``base`` and ``replacing`` say what the decision is (see
        ``DecisionContext``).
        """
        ctx = DecisionContext(contract, order, now, state, caller_inputs)
        ctx.inputs_problem = inputs_problem
        ctx.action, ctx.base, ctx.replacing, ctx.orders = action, base, replacing, orders
        if isinstance(contract, Instrument):
            ctx.spec = self._broker.contract_spec(contract)
        return ctx

    def seed_ledger(self) -> None:
        """Start the ledger from the broker's positions and working orders, once."""
        if not self._ledger.seeded:
            self._ledger.seed(self._broker.positions(), self._broker.open_orders())

    def prepare(self, ctx: DecisionContext) -> None:
        """Fill in exposure, price and inputs (after the early gates have passed)."""
        contract = ctx.contract
        spec = ctx.spec
        assert isinstance(contract, Instrument)  # noqa: S101  (the gates proved it)
        assert isinstance(ctx.order, OrderRequest)  # noqa: S101
        assert spec is not None  # noqa: S101
        order = ctx.request = ctx.order
        target = contract if contract.con_id else contract.qualified(spec.con_id)
        ctx.instrument, ctx.prepared = target, True
        if not self._ledger.seeded:
            self.seed_ledger()
        entry = self._ledger.entry(target.key)
        # Exposure after the order, in the ledger's view and (while they disagree) the
        # broker's: working orders on the order's side may all fill first.
        quantity = order.quantity
        committed = entry.buying if order.side is BUY else -entry.selling
        replacing = ctx.replacing
        if replacing is None:
            ctx.increase = 0.0 if ctx.action == "child" else quantity
        else:  # an amendment: the order it replaces is working; count the new one instead
            committed -= replacing.remaining * replacing.request.side.sign
            quantity -= replacing.filled
            ctx.increase = max(0.0, order.quantity - replacing.request.quantity)
        signed = quantity if order.side is BUY else -quantity
        ctx.signed, ctx.committed = signed, committed
        base = ctx.base
        position = entry.position + base
        after = abs(position + committed + signed)
        broker = entry.broker
        disagree = entry.mismatch and broker is not None
        if disagree:
            broker = broker + base  # type: ignore[operator]
            after = max(after, abs(broker + committed + signed))
        ctx.position_after = after
        ctx.exposure = make_exposure(  # Exposure(...). perf: gate_pass
            (entry.position, entry.buying, entry.selling, entry.broker if disagree else None)
        )
        ctx.shrinks = shrinks_position(position, committed, signed) and (
            not disagree or shrinks_position(broker, committed, signed)  # type: ignore[arg-type]
        )
        quote = ctx.quote = self._prices.quote(target)
        limits = self._limits
        if limits is not None:
            own = ctx.limits = limits.for_instrument(target)
            ctx.reference, ctx.price_problem = limits.reference(target, quote, ctx.now, own)
        account_problem = self._value(ctx, spec, order, quote)
        self._inputs(ctx, account_problem)

    def _value(
        self, ctx: DecisionContext, spec: ContractSpec, order: OrderRequest, quote: Quote | None
    ) -> Reason | None:
        """The account, the rate to its currency and one unit's exposure (or why not).

        Returns why the account is not available (None: it is).
        """
        try:
            account = ctx.account = self._broker.account()
        except BrokerError as exc:
            return Reason("input.unavailable", "unavailable_account", str(exc))
        except Exception as exc:  # noqa: BLE001  (fail closed, and the other rules still run)
            return check_error("breaker_inputs", exc)
        valuer = self._valuer
        rate, ctx.fx_problem = valuer.rate(spec.currency, account.currency, ctx.now)
        ctx.rate = rate
        if rate is None:
            return None
        # The order is valued at the higher of its own price and the reference.
        price = order.valued_at(None)
        if quote is not None:
            price = quote.price if price is None or quote.price > price else price
        ctx.underlying = valuer.underlying(spec, ctx.instrument)
        ctx.unit_value, ctx.value_problem = valuer.unit(spec, ctx.instrument, price, rate)
        return None

    def _inputs(self, ctx: DecisionContext, account_problem: Reason | None) -> None:
        """The breakers' inputs: the caller's, the derived ones, or the stricter of both."""
        if ctx.inputs_problem is not None:
            return
        given = ctx.caller_inputs
        if not self._derive:
            if given is None:
                ctx.inputs_problem = _REQUIRED
            ctx.inputs = given
            return
        if account_problem is not None:
            ctx.inputs_problem = account_problem
            return
        unit = ctx.unit_value
        if unit is None:
            if ctx.fx_problem is None and ctx.value_problem is None:
                ctx.inputs_problem = NO_PRICE  # else the valuation check says why
            return
        account = ctx.account
        assert account is not None  # noqa: S101  (no account problem)
        try:
            derived = self._session.inputs(account, ctx.position_after * unit, ctx.now)
        except InvalidInputError as exc:
            ctx.inputs_problem = Reason("input.unavailable", f"unavailable_{exc.field}", str(exc))
            return
        except Exception as exc:  # noqa: BLE001  (fail closed, and the other rules still run)
            ctx.inputs_problem = check_error("breaker_inputs", exc)
            return
        if given is None:
            ctx.inputs = derived
            return
        ctx.inputs = BreakerInputs(
            min(given.daily_pnl, derived.daily_pnl),
            max(given.peak_equity, derived.peak_equity),
            min(given.current_equity, derived.current_equity),
            max(given.position_value, derived.position_value),
            max(given.trade_loss, derived.trade_loss),
        )


_REQUIRED = Reason(
    "input.invalid",
    "invalid_daily_pnl",
    "daily_pnl: required (pass all five breaker inputs, or let the gate derive them)",
)
