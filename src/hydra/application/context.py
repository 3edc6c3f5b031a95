"""The decision context: everything the checks judge one order by, built once per decision.

``DecisionContext`` is what every check receives (the built-in ones and a user's own):
the order as given, the instrument the broker qualified and its economics, the exposure
ledger's entry and the position after the order, the reference price, the breakers'
inputs, the clock's now and the trading state. ``ContextBuilder`` fills it in two steps:
``open`` (before the early gates: the broker's contract economics, a cheap lookup) and
``prepare`` (after them: exposure, price and inputs, each problem kept as a reason for
the check that reports it, so one missing number never hides the others).
"""

from __future__ import annotations

from datetime import datetime

from hydra.application.exposure import Exposure, ExposureLedger
from hydra.application.orders import OrderHandle
from hydra.application.ports import BrokerPort
from hydra.application.prices import ReferencePrices
from hydra.application.session import SessionTracker
from hydra.application.valuation import Exposures, Valuer
from hydra.domain import (
    AccountSnapshot,
    BreakerInputs,
    BrokerError,
    ContractSpec,
    Instrument,
    InvalidInputError,
    MarginImpact,
    OrderLimits,
    OrderRequest,
    Quote,
    Reason,
    Side,
    TradingState,
)
from hydra.domain.limits import OrderLimitChecker
from hydra.domain.trading_state import shrinks_position

__all__ = ["ContextBuilder", "DecisionContext", "caller_inputs", "check_error"]

_INPUT_NAMES = ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss")


def caller_inputs(caller: tuple[float | None, ...]) -> BreakerInputs:
    """The seed's five floats as one value: all five, validated.

    Raises:
        InvalidInputError: one is missing (named), or invalid (NaN, infinity, negative).
    """
    missing = [name for name, value in zip(_INPUT_NAMES, caller, strict=True) if value is None]
    if missing:
        raise InvalidInputError(missing[0], "pass all five breaker inputs or none")
    return BreakerInputs(*caller)  # type: ignore[arg-type]


def check_error(name: str, exc: BaseException) -> Reason:
    """``check.error``: the check ``name`` raised, so the order is blocked (fail closed)."""
    return Reason("check.error", f"{name}_error", f"{name} check raised {exc!r}")


NO_PRICE = Reason(
    "input.unavailable",
    "unavailable_position_value",
    "position_value: no price to value the position (no reference price and no limit price)",
)


class DecisionContext:
    """One order as the checks see it; the gate builds it once per decision.

    Set when the decision opens:
        contract, order: what the caller passed (``instrument`` / ``request`` are the
            same objects once the input gate has found them to be HYDRA's types);
        now: the gate's clock; state: the trading state; caller_inputs: the caller's
            breaker inputs (None: none given); spec: the broker's contract economics
            (None: not qualified).
    Set by ``prepare`` (only for an order that passed the early gates):
        instrument: the instrument to send (with the broker's contract id);
        exposure: the exposure ledger's view of the instrument (an immutable snapshot:
            position, working buys and sells, the broker's view while it disagrees);
        committed: signed quantity working on the order's side (it may all fill first);
        signed: the order's signed quantity; position_after: the absolute position after
        the order in the stricter view; shrinks: the order shrinks the position in every
        view and never flips it; quote: the reference price (the broker's, or a fresher
        fed one); reference / price_problem: the usable reference price, or why there is
        none; inputs / inputs_problem: the breakers' inputs, or why they are missing;
        limits: the instrument's own per-order limits (None: the limits are off);
        account: the broker's account snapshot (None: not available); rate: one unit
        of the instrument's currency in the account's base currency, or fx_problem
        why there is none; underlying: an option's underlying price; unit_value: the
        base-currency exposure of one unit (price x multiplier x rate; an option's on
        its underlying), or value_problem why it is unknown.
    Set by the account-wide checks, for the record:
        preview: the broker's margin preview awaited before the decision (or why it
        failed); margin / margin_source: the margin figures judged and where they came
        from (broker or model); exposures: gross and net exposure
        before and after the order.
    What the decision is:
        action: ``order`` (a new order), ``modify`` (an amendment of ``replacing``),
            ``child`` (a bracket's take-profit or stop-loss: it acts only once its entry,
            ``base`` signed quantity, has filled) or ``leg`` (one member of an OCA group,
            judged as if it alone filled);
        increase: the quantity the decision adds (a new order's quantity; an amendment's
            growth, 0 if it does not grow; 0 for a bracket's child): notional, size and the
            breakers judge only what is added;
        orders: how many orders the decision sends (a bracket's or OCA group's first leg
            counts them all, for the order-rate limit).
    """

    __slots__ = (
        "account",
        "action",
        "base",
        "caller_inputs",
        "committed",
        "contract",
        "exposure",
        "exposures",
        "fx_problem",
        "increase",
        "inputs",
        "inputs_problem",
        "instrument",
        "limits",
        "margin",
        "margin_source",
        "now",
        "order",
        "orders",
        "position_after",
        "preview",
        "price_problem",
        "quote",
        "rate",
        "reference",
        "replacing",
        "request",
        "shrinks",
        "signed",
        "spec",
        "state",
        "underlying",
        "unit_value",
        "value_problem",
    )

    def __init__(
        self,
        contract: object,
        order: object,
        now: datetime,
        state: TradingState,
        caller_inputs: BreakerInputs | None,
    ) -> None:
        self.contract = contract
        self.order = order
        self.now = now
        self.state = state
        self.caller_inputs = caller_inputs
        self.spec: ContractSpec | None = None
        self.instrument: Instrument = _UNSET_INSTRUMENT
        self.request: OrderRequest = _UNSET_ORDER
        self.exposure = _EMPTY
        self.committed = 0.0
        self.signed = 0.0
        self.position_after = 0.0
        self.shrinks = False
        self.quote: Quote | None = None
        self.reference: float | None = None
        self.price_problem: Reason | None = None
        self.inputs: BreakerInputs | None = None
        self.inputs_problem: Reason | None = None
        self.action = "order"
        self.base = 0.0
        self.replacing: OrderHandle | None = None
        self.increase = 0.0
        self.orders = 1
        self.limits: OrderLimits | None = None
        self.account: AccountSnapshot | None = None
        self.rate: float | None = None
        self.fx_problem: Reason | None = None
        self.underlying: float | None = None
        self.unit_value: float | None = None
        self.value_problem: Reason | None = None
        self.preview: MarginImpact | Reason | None = None
        self.margin: MarginImpact | None = None
        self.margin_source = ""
        self.exposures: Exposures | None = None

    @property
    def base_currency(self) -> str:
        """The account's base currency ("" when the account is not available)."""
        account = self.account
        return account.currency if account is not None else ""

    @property
    def prepared(self) -> bool:
        """True once the early gates passed and exposure, price and inputs are filled in."""
        return self.instrument is not _UNSET_INSTRUMENT


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
        ctx.instrument = target
        if not self._ledger.seeded:
            self.seed_ledger()
        entry = self._ledger.entry(target.key)
        # Exposure after the order, in the ledger's view and (while they disagree) the
        # broker's: working orders on the order's side may all fill first.
        quantity = order.quantity
        committed = entry.buying if order.side is Side.BUY else -entry.selling
        replacing = ctx.replacing
        if replacing is None:
            ctx.increase = 0.0 if ctx.action == "child" else quantity
        else:  # an amendment: the order it replaces is working; count the new one instead
            committed -= replacing.remaining * replacing.request.side.sign
            quantity -= replacing.filled
            ctx.increase = max(0.0, order.quantity - replacing.request.quantity)
        signed = quantity if order.side is Side.BUY else -quantity
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
        ctx.exposure = Exposure(
            entry.position, entry.buying, entry.selling, entry.broker if disagree else None
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
_EMPTY = Exposure(0.0, 0.0, 0.0, None)
_UNSET_INSTRUMENT = Instrument("UNSET")
_UNSET_ORDER = OrderRequest(Side.BUY, 1.0)
