"""The decision context: everything the checks judge one order by, built once per decision.

``DecisionContext`` is what every check receives (the built-in ones and a user's own):
the order as given, the instrument the broker qualified and its economics, the exposure
ledger's entry and the position after the order, the reference price, the breakers'
inputs, the valuation in the account's currency, the clock's now and the trading state.
``hydra.application.builder.ContextBuilder`` fills it, once per decision.
"""

from __future__ import annotations

from datetime import datetime

from hydra.application.exposure import Exposure
from hydra.application.orders import OrderHandle
from hydra.application.valuation import Exposures
from hydra.domain import (
    AccountSnapshot,
    BreakerInputs,
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
from hydra.domain.breakers import INPUT_NAMES

__all__ = ["NO_PRICE", "DecisionContext", "caller_inputs", "check_error"]


def caller_inputs(caller: tuple[float | None, ...]) -> BreakerInputs:
    """The seed's five floats as one value: all five, validated.

    Raises:
        InvalidInputError: one is missing (named), or invalid (NaN, infinity, negative).
    """
    missing = [name for name, value in zip(INPUT_NAMES, caller, strict=True) if value is None]
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
        prepared: True from here on (the early gates passed; exposure, price and inputs
            are being filled in);
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
        "prepared",
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
        self.prepared = False
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
    def adds_risk(self) -> bool:
        """The decision adds to the position: it grows something and shrinks nothing."""
        return self.increase > 0 and not self.shrinks


_EMPTY = Exposure(0.0, 0.0, 0.0, None)
_UNSET_INSTRUMENT = Instrument("UNSET")
_UNSET_ORDER = OrderRequest(Side.BUY, 1.0)
