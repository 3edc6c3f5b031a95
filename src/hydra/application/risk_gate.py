"""The RiskGate: the only holder of the submit capability; every order passes its checks.

An order goes: a decision context (``context``) -> the checks (``checks``, run by the
``judge``: the gates that stop early, then every rule) -> the write-ahead decision record
(``outbox.conclude``, with the order id the broker reserved) -> the hand-off
(``outbox.send``). From the first check to the hand-off nothing yields to the event loop,
so concurrent submits are judged one after another, each seeing the trips and the exposure
reserved by the ones before it. A blocked order returns ``None``; its decision names every
reason. The desk controls (state, reset, kill, flatten, restore) are in ``desk``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hydra.application.audit import AuditTrail
from hydra.application.builder import ContextBuilder
from hydra.application.checks import Check, built_in_checks, user_checks
from hydra.application.config import GateConfig
from hydra.application.context import caller_inputs
from hydra.application.controls import DeskControls
from hydra.application.decide import Decider
from hydra.application.decisions import OrderDecision
from hydra.application.desk import Desk
from hydra.application.exposure import ExposureLedger
from hydra.application.judge import Judge
from hydra.application.kill import KillSwitch
from hydra.application.lists import OrderLists
from hydra.application.notices import Notices
from hydra.application.orders import OrderHandle
from hydra.application.outbox import Outbox
from hydra.application.ports import AuditJournal, HaltRequests
from hydra.application.previews import Previewer
from hydra.application.prices import ReferencePrices
from hydra.application.reads import GateReads
from hydra.application.records import CancelRecord
from hydra.application.session import SessionTracker
from hydra.application.valuation import Valuer
from hydra.application.views import BreakersView, BrokerView
from hydra.domain import (
    AccountLimits,
    BreakerInputs,
    CircuitBreakerManager,
    Clock,
    Instrument,
    InvalidInputError,
    LimitTable,
    OrderLimits,
    OrderRequest,
    Reason,
)
from hydra.domain._unique import Unique
from hydra.domain.clock import system_clock
from hydra.domain.limit_checker import OrderLimitChecker

if TYPE_CHECKING:
    from hydra.application.capability import SubmittingBroker

__all__ = ["RiskGate"]

_NOT_INPUTS = Reason(
    "input.invalid", "invalid_inputs", "inputs: must be BreakerInputs (or None to derive them)"
)


class RiskGate(GateReads, DeskControls, OrderLists, Unique):
    """The risk gate: claims the broker's submit capability and judges every order.

    Args:
        broker: an adapter offering ``claim_submit_capability`` (claimed here, once).
        breakers: the circuit breakers every order passes; the gate owns their re-arming
            from now on (``reset_breaker``), so the manager refuses a direct reset.
        limits: per-order limits: one ``OrderLimits`` for every instrument, or a
            ``LimitTable`` (per security type and contract, the most specific wins; a
            plain ``OrderLimits`` gets the table's built-in option collar); ``None``
            turns them off.
        account_limits: the account-wide rules' settings (``AccountLimits()``
            defaults: the broker's margin preview, gross 1.5 / net 1.0 exposure caps,
            short sales need shares to borrow, orders need the exchange open); ``None``
            turns those rules off (the valuation in the account's currency stays).
        journal: the audit journal every record is appended to (None: structlog only).
        clock: time source for decisions (defaults to the system clock, UTC).
        config: the gate's own settings (``GateConfig()`` defaults: inputs derived from
            the broker, 1000 decisions kept, fed prices within 5 % of the broker's).
        checks: your own checks, ``(ctx: DecisionContext) -> Iterable[Reason]``, run after
            the built-in ones; they can only block (codes become ``user.<name>.<code>``),
            and one that raises blocks the order (``check.error``).
        config_version: recorded with every audit record.
        halt_requests: HALT requests left by ``hydra kill`` while this trader did not
            answer; one pending is journaled (path "broker") and obeyed at the start of
            the next decision and at ``restore``.

    Raises:
        CapabilityAlreadyClaimedError: the broker's capability, or the breakers, already
            belong to another gate.
        PermissionDeniedError: the broker connection may not submit (e.g. a CLI client).
        InvalidInputError: a bad argument, named.
    """

    def __init__(
        self,
        broker: SubmittingBroker,
        breakers: CircuitBreakerManager,
        *,
        limits: OrderLimits | LimitTable | None = OrderLimits(),  # noqa: B008  (immutable)
        account_limits: AccountLimits | None = AccountLimits(),  # noqa: B008  (immutable)
        journal: AuditJournal | None = None,
        clock: Clock | None = None,
        config: GateConfig | None = None,
        checks: Sequence[Check] = (),
        config_version: str = "",
        halt_requests: HaltRequests | None = None,
    ) -> None:
        if not isinstance(breakers, CircuitBreakerManager):
            raise InvalidInputError("breakers", "must be a CircuitBreakerManager", breakers)
        if limits is not None and not isinstance(limits, OrderLimits | LimitTable):
            raise InvalidInputError("limits", "must be OrderLimits, a LimitTable or None", limits)
        if account_limits is not None and not isinstance(account_limits, AccountLimits):
            raise InvalidInputError(
                "account_limits", "must be AccountLimits or None", account_limits
            )
        config = config if config is not None else GateConfig()
        if not isinstance(config, GateConfig):
            raise InvalidInputError("config", "must be a GateConfig", config)
        extra = user_checks(checks)
        if breakers.owned:
            breakers.claim_control()  # raises: those breakers belong to another gate
        capability = broker.claim_submit_capability()
        control = breakers.claim_control()
        self._broker = broker
        self._config = config
        self._view = BrokerView(broker)
        self._breakers = breakers
        self._breakers_view = BreakersView(breakers)
        self._limits = OrderLimitChecker(limits) if limits is not None else None
        self._clock: Clock = clock if clock is not None else system_clock
        self._audit = AuditTrail(journal, config_version, self._journal_failed)
        self._notices = notices = Notices(self._audit, breakers, self._clock)
        self._prices = ReferencePrices(
            broker, self._clock, config.fed_price_tolerance, notices.price_refused
        )
        self._session = SessionTracker(breakers.config.session, notices.session_started)
        self._ledger = ExposureLedger(
            on_mismatch=notices.ledger_mismatch,
            on_reconciled=notices.ledger_reconciled,
            on_foreign=notices.foreign_order,
        )
        self._account_limits = account_limits
        valuer = Valuer(
            broker,
            self._prices,
            (account_limits or AccountLimits()).max_rate_age,
        )
        self._builder = ContextBuilder(
            broker,
            self._ledger,
            self._prices,
            self._session,
            self._limits,
            valuer,
            derive=config.derive_inputs,
        )
        gates, rules = built_in_checks(
            broker, breakers, self._limits, self._ledger, account_limits, valuer
        )
        self._judge = Judge(self._builder, gates, [*rules, *extra])
        self._outbox = Outbox(
            capability, self._audit, self._ledger, self._limits, self._clock, config.history
        )
        self._desk = Desk(
            (breakers, control), self._audit, self._session, self._clock, halt_requests
        )
        self._kill = KillSwitch(
            self._desk,
            broker,
            self._outbox,
            self._builder,
            self._ledger,
            self._audit,
            self._clock,
        )
        self._decider = Decider(
            self._builder,
            self._judge,
            notices,
            self._outbox,
            self._desk,
            self._clock,
            Previewer(broker, self._builder, self._judge, account_limits),
        )
        self._unobserve = broker.observe(self._ledger)

    def close(self) -> None:
        """Stop following the broker and close the journal (call it at shutdown).

        No order passes afterwards: its write-ahead record cannot be written, so it is
        blocked and the gate halts (in memory; the journal is not reopened for it).
        """
        self._unobserve()
        self._audit.close()

    # ------------------------------------------------------------------ prices
    def update_price(
        self, instrument: Instrument | str, price: float, at: datetime | None = None
    ) -> None:
        """Feed a reference price (e.g. from the host's market data) for the checks.

        ``instrument`` is an Instrument, or a stock symbol. A price dated in the future, or
        one further from the broker's own reference than ``config.fed_price_tolerance``, is
        refused (and audited), whether or not the limits are on: a fed price never switches
        the price checks off.

        Raises:
            InvalidInputError: a bad price or time.
            PriceRefusedError: the price deviates from the broker's reference.
        """
        self._prices.feed(instrument, price, at)

    # ------------------------------------------------------------------ orders
    async def submit(
        self,
        contract: Instrument,
        order: OrderRequest,
        daily_pnl: float | None = None,
        peak_equity: float | None = None,
        current_equity: float | None = None,
        position_value: float | None = None,
        trade_loss: float | None = None,
    ) -> OrderHandle | None:
        """Judge an order and send it if allowed: the handle, or ``None`` when blocked.

        The five numbers are the breakers' inputs (units in ``hydra.domain.breakers``):
        all five or none. The gate derives them from the broker by default; when the
        caller gives them too, the stricter value counts. With
        ``GateConfig(derive_inputs=False)`` they are required. Invalid ones block.

        Raises:
            BrokerError: the order was allowed but the broker failed to take it.
        """
        caller = (daily_pnl, peak_equity, current_equity, position_value, trade_loss)
        inputs: BreakerInputs | None = None
        problem: Reason | None = None
        if any(value is not None for value in caller):
            try:
                inputs = caller_inputs(caller)
            except InvalidInputError as exc:
                problem = Reason("input.invalid", f"invalid_{exc.field}", str(exc))

        return (await self._decider.order_async(contract, order, inputs, problem)).handle

    async def place(
        self, contract: Instrument, order: OrderRequest, *, inputs: BreakerInputs | None = None
    ) -> OrderDecision:
        """As ``submit_with_decision``, awaiting what the broker must answer first.

        With ``[limits] margin = "broker"`` and a broker that previews margin over the
        network (IB's whatIf), the preview is awaited (within ``margin_timeout``) before
        the decision; from the first check to the hand-off nothing yields, as always.

        Raises:
            BrokerError: the order was allowed but the broker failed to take it.
        """
        valid = inputs is None or isinstance(inputs, BreakerInputs)
        return await self._decider.order_async(
            contract, order, inputs if valid else None, None if valid else _NOT_INPUTS
        )

    def submit_with_decision(
        self, contract: Instrument, order: OrderRequest, *, inputs: BreakerInputs | None = None
    ) -> OrderDecision:
        """As ``submit``, returning the whole decision (its ``handle`` is set when sent).

        ``inputs`` are the caller's breaker inputs as one value (None: derived only).
        Synchronous on purpose: nothing yields between the checks and the hand-off. A
        broker whose margin preview must be awaited (IB with ``margin = "broker"``)
        cannot be asked here: the order is blocked with ``margin.unavailable``; use
        ``await place(...)`` (or ``margin = "model"``).

        Raises:
            BrokerError: the order was allowed but the broker failed to take it.
        """
        valid = inputs is None or isinstance(inputs, BreakerInputs)
        return self._decider.order(
            contract, order, inputs if valid else None, None if valid else _NOT_INPUTS
        )

    async def cancel(self, handle: OrderHandle) -> None:
        """Cancel an order through the broker port (audited)."""
        self._audit.record(
            CancelRecord(
                time=self._clock(), order_id=handle.order_id, symbol=handle.instrument.symbol
            )
        )
        await self._broker.cancel_order(handle)

    def _journal_failed(self, record: Mapping[str, Any], exc: Exception) -> None:
        self._desk.journal_failed(record, exc)
