"""The RiskGate: the only holder of the submit capability; every order passes its checks.

An order goes: validate -> trading state (HALTED first) -> connection -> REDUCING rule ->
circuit breakers -> per-order limits -> hand-off to the capability. Everything from the
first check to the hand-off runs without yielding to the event loop, so concurrent submits
are judged one after another, each seeing the trips and the exposure reserved by the ones
before it. Any exception inside a check blocks the order (fail closed). A blocked order
returns ``None``; its decision names every reason. Every attempt, state change, reset and
kill produces exactly one audit record, logged with structlog and appended to the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import structlog

from hydra.application.orders import OrderHandle
from hydra.application.ports import AuditJournal
from hydra.domain import (
    AccountSnapshot,
    BreakerConfig,
    BreakerInputs,
    BreakerName,
    BreakerStatus,
    BrokerError,
    CircuitBreakerManager,
    Clock,
    ConnectionState,
    Instrument,
    InvalidInputError,
    LatchedTrip,
    OrderLimitChecker,
    OrderLimits,
    OrderRequest,
    OrderType,
    Position,
    Quote,
    Reason,
    RestingOrder,
    Side,
    TradingState,
    shrinks_position,
    system_clock,
)

if TYPE_CHECKING:
    from hydra.application.capability import SubmitCapability, SubmittingBroker

__all__ = [
    "AuditListener",
    "BreakersView",
    "BrokerView",
    "GateStatus",
    "JournalReplay",
    "KillReport",
    "OrderDecision",
    "RiskGate",
    "replay_journal",
]

_log = structlog.get_logger("hydra.gate")

_INPUT_NAMES = ("daily_pnl", "peak_equity", "current_equity", "position_value", "trade_loss")
_NO_INPUTS = (None, None, None, None, None)
_CLOCK_SKEW_S = 1.0

AuditListener = Callable[[Mapping[str, Any]], None]
"""Receives every audit record the gate produces (see ``RiskGate.subscribe``)."""


class OrderDecision(NamedTuple):
    """The gate's decision on one submit attempt: outcome, every reason, the order id.

    Immutable (a NamedTuple: built once per order, so it is also the cheapest to build).
    """

    seq: int
    time: datetime
    symbol: str
    side: Side | None
    quantity: float | None
    order_type: OrderType | None
    limit_price: float | None
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    order_id: int | None = None
    inputs: BreakerInputs | None = None
    trading_state: TradingState = TradingState.ACTIVE
    handle: OrderHandle | None = None

    @property
    def triggered(self) -> tuple[str, ...]:
        """Names of everything that blocked the order (empty when allowed)."""
        return tuple(reason.name for reason in self.reasons)

    @property
    def outcome(self) -> str:
        """``"allowed"`` or ``"blocked"``."""
        return "allowed" if self.allowed else "blocked"


@dataclass(frozen=True, slots=True)
class KillReport:
    """What the kill switch did: cancels sent, cancels that failed, flattening orders.

    ``not_flattened`` names positions left open and why (e.g. an order still working).
    """

    cancelled: tuple[int, ...]
    failed: tuple[tuple[int, str], ...]
    flattened: tuple[OrderHandle, ...] = ()
    not_flattened: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GateStatus:
    """The gate at a glance: trading state, connection, breakers and limits."""

    trading_state: TradingState
    connection: ConnectionState
    breakers: tuple[BreakerStatus, ...]
    limits: OrderLimits | None
    derive_inputs: bool
    session_start: datetime | None
    session_start_equity: float | None
    peak_equity: float | None


class BreakersView:
    """Read-only view of the gate's circuit breakers: state, trips and thresholds."""

    __slots__ = ("__breakers",)

    def __init__(self, breakers: CircuitBreakerManager) -> None:
        self.__breakers = breakers

    def status(self) -> tuple[BreakerStatus, ...]:
        """Every breaker's state, last value, threshold and since/until."""
        return self.__breakers.status()

    @property
    def latched(self) -> tuple[LatchedTrip, ...]:
        """Breakers tripped or cooling down."""
        return self.__breakers.latched

    @property
    def config(self) -> BreakerConfig:
        """The thresholds in force."""
        return self.__breakers.config


class BrokerView:
    """Read-only view of the gate's broker: reads, qualify, cancel, connection state.

    It has no attribute that submits; the broker behind it is not exposed.
    """

    __slots__ = ("__broker",)

    def __init__(self, broker: SubmittingBroker) -> None:
        self.__broker = broker

    def is_connected(self) -> bool:
        """True when the broker connection is up and synchronised."""
        return self.__broker.is_connected()

    @property
    def connection_state(self) -> ConnectionState:
        """The broker connection's state."""
        return self.__broker.connection_state

    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Qualify an instrument at the broker."""
        return await self.__broker.qualify_contract(contract)

    def get_positions(self) -> list[Position]:
        """Current positions."""
        return self.__broker.get_positions()

    def get_account_summary(self) -> AccountSnapshot:
        """Current account values."""
        return self.__broker.get_account_summary()

    def open_orders(self) -> list[OrderHandle]:
        """Orders not done yet."""
        return self.__broker.open_orders()

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The broker's latest price for ``instrument``, if it has one."""
        return self.__broker.reference_price(instrument)

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Cancel an order at the broker."""
        await self.__broker.cancel_order(handle)


class RiskGate:
    """The risk gate: claims the broker's submit capability and judges every order.

    Args:
        broker: an adapter offering ``claim_submit_capability`` (claimed here, once).
        breakers: the circuit breakers every order passes.
        limits: per-order limits (``OrderLimits()`` defaults); ``None`` turns them off.
        journal: the audit journal every record is appended to (None: structlog only).
        clock: time source for decisions (defaults to the system clock, UTC).
        derive_inputs: derive the breakers' inputs from the broker (account, positions,
            orders in flight, session start, peak) instead of trusting the caller alone;
            caller values, when given, still count and the stricter of the two wins.
        history: how many recent decisions ``decisions`` keeps (memory stays bounded).
        config_version: recorded with every audit record.

    Raises:
        CapabilityAlreadyClaimedError: the broker's capability is already held elsewhere.
        PermissionDeniedError: the broker connection may not submit (e.g. a CLI client).
    """

    def __init__(
        self,
        broker: SubmittingBroker,
        breakers: CircuitBreakerManager,
        *,
        limits: OrderLimits | None = OrderLimits(),  # noqa: B008  (frozen, immutable default)
        journal: AuditJournal | None = None,
        clock: Clock | None = None,
        derive_inputs: bool = False,
        history: int = 1000,
        config_version: str = "",
    ) -> None:
        if not isinstance(breakers, CircuitBreakerManager):
            raise InvalidInputError("breakers", "must be a CircuitBreakerManager", breakers)
        if limits is not None and not isinstance(limits, OrderLimits):
            raise InvalidInputError("limits", "must be OrderLimits or None", limits)
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise InvalidInputError("history", "must be a positive integer", history)
        self._capability: SubmitCapability = broker.claim_submit_capability()
        self._broker = broker
        self._view = BrokerView(broker)
        self._breakers = breakers
        self._breakers_view = BreakersView(breakers)
        self._limits = OrderLimitChecker(limits) if limits is not None else None
        self._journal = journal
        self._clock: Clock = clock if clock is not None else system_clock
        self._derive = bool(derive_inputs)
        self._decisions: deque[OrderDecision] = deque(maxlen=history)
        self._config_version = config_version
        self._seq = 0
        self._state = TradingState.ACTIVE
        self._prices: dict[tuple[object, ...], Quote] = {}
        self._session_start: datetime | None = None
        self._session_equity: float | None = None
        self._session_end: datetime | None = None
        self._peak: float | None = None
        self._last_realized: float | None = None
        self._listeners: list[AuditListener] = []

    # ------------------------------------------------------------------ views
    @property
    def broker(self) -> BrokerView:
        """Read-only view of the broker (positions, account, qualify, cancel, state)."""
        return self._view

    @property
    def breakers(self) -> BreakersView:
        """Read-only view of the breakers (reset them through ``reset_breaker``, audited)."""
        return self._breakers_view

    @property
    def trading_state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self._state

    @property
    def last_decision(self) -> OrderDecision | None:
        """The decision on the most recent submit attempt."""
        return self._decisions[-1] if self._decisions else None

    @property
    def decisions(self) -> tuple[OrderDecision, ...]:
        """Recent decisions, oldest first (bounded by ``history``)."""
        return tuple(self._decisions)

    def status(self) -> GateStatus:
        """Trading state, connection, every breaker's state and the limits in force."""
        return GateStatus(
            self._state,
            self._broker.connection_state,
            self._breakers.status(),
            self._limits.limits if self._limits else None,
            self._derive,
            self._session_start,
            self._session_equity,
            self._peak,
        )

    def subscribe(self, listener: AuditListener) -> Callable[[], None]:
        """Call ``listener`` with every audit record the gate produces; returns unsubscribe.

        The record is the dict that goes to the journal (also when there is no journal).
        A listener that raises is logged and never blocks trading.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # ------------------------------------------------------------------ prices
    def update_price(
        self, instrument: Instrument | str, price: float, at: datetime | None = None
    ) -> None:
        """Feed a reference price (e.g. from the host's market data) for the checks.

        ``instrument`` is an Instrument, or a stock symbol. A time in the future is refused.
        """
        target = instrument if isinstance(instrument, Instrument) else Instrument(instrument)
        now = self._clock()
        stamp = at if at is not None else now
        quote = Quote(price, stamp)
        if (stamp - now).total_seconds() > _CLOCK_SKEW_S:
            raise InvalidInputError("at", "a price cannot be dated in the future", stamp)
        current = self._prices.get(target.key)
        if current is None or quote.time >= current.time:
            self._prices[target.key] = quote

    def _quote(self, contract: Instrument) -> Quote | None:
        """The freshest of the fed price and the broker's own reference price."""
        prices = self._prices
        fed = prices.get(contract.key) if prices else None
        if fed is None and prices and contract.con_id:
            fed = prices.get(
                (contract.symbol, contract.sec_type, contract.currency, contract.multiplier)
            )
        broker = self._broker.reference_price(contract)
        if not isinstance(broker, Quote):
            return fed
        if fed is None or broker.time >= fed.time:
            return broker
        return fed

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

        The five numbers are the breakers' inputs (units in ``hydra.domain.breakers``).
        They are required unless the gate derives them (``derive_inputs=True``); when
        both are present the stricter value counts.

        Raises:
            BrokerError: the order was allowed but the broker failed to take it.
        """
        decision = self.submit_with_decision(
            contract, order, daily_pnl, peak_equity, current_equity, position_value, trade_loss
        )
        return decision.handle

    def submit_with_decision(
        self,
        contract: Instrument,
        order: OrderRequest,
        daily_pnl: float | None = None,
        peak_equity: float | None = None,
        current_equity: float | None = None,
        position_value: float | None = None,
        trade_loss: float | None = None,
    ) -> OrderDecision:
        """As ``submit``, returning the full decision (its ``handle`` is set when allowed).

        Synchronous on purpose: nothing yields between the checks and the hand-off.
        """
        started = time.perf_counter()
        self._seq += 1
        seq = self._seq
        now = self._clock()
        caller = (daily_pnl, peak_equity, current_equity, position_value, trade_loss)
        reasons, inputs = self._judge(contract, order, caller, now)
        self._audit_trips()
        symbol = contract.symbol if isinstance(contract, Instrument) else repr(contract)
        valid_order = order if isinstance(order, OrderRequest) else None
        if reasons:
            decision = self._decision(seq, now, symbol, valid_order, reasons, inputs, None)
            self._record_decision(decision, contract, caller, started=started)
            return decision
        assert isinstance(contract, Instrument)  # noqa: S101  (_judge proved it)
        assert valid_order is not None  # noqa: S101
        try:
            handle = self._capability.submit_order(contract, valid_order)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            failure = Reason("broker.error", "broker_error", error)
            decision = self._decision(seq, now, symbol, valid_order, (failure,), inputs, None)
            self._record_decision(decision, contract, caller, error=error, started=started)
            if isinstance(exc, BrokerError):
                raise
            raise BrokerError(f"broker failed to take the order: {exc!r}") from exc
        if self._limits is not None:
            self._limits.record_sent(contract, valid_order, now)
        decision = self._decision(seq, now, symbol, valid_order, (), inputs, handle)
        self._record_decision(decision, contract, caller, started=started)
        return decision

    async def cancel(self, handle: OrderHandle) -> None:
        """Cancel an order through the broker port."""
        _log.info("order.cancel", order_id=handle.order_id, symbol=handle.instrument.symbol)
        await self._broker.cancel_order(handle)

    # ------------------------------------------------------------------ controls
    def set_trading_state(self, state: TradingState | str, *, who: str, why: str) -> None:
        """Change the trading state; logged and audited with who and why."""
        try:
            new = TradingState(state)
        except ValueError:
            known = ", ".join(s.value for s in TradingState)
            raise InvalidInputError("state", f"must be one of {known}", state) from None
        _require_text("who", who)
        _require_text("why", why)
        previous, self._state = self._state, new
        self._audit(
            "state",
            "gate.state_changed",
            previous=previous.value,
            state=new.value,
            who=who,
            why=why,
        )

    def reset_breaker(self, name: BreakerName | str, *, who: str, why: str) -> BreakerStatus:
        """Re-arm a latched breaker deliberately; audited with who and why."""
        _require_text("who", who)
        status = self._breakers.reset(name, why)
        self._audit("reset", "breaker.reset", breaker=status.name.value, who=who, why=why)
        return status

    async def kill_switch(
        self, *, who: str, why: str, flatten: bool = False, cancel_wait: float = 5.0
    ) -> KillReport:
        """HALT, then cancel every open order; optionally flatten every position.

        HALTED is set before anything else, so from this call on no order passes. With
        ``flatten``, the gate waits (up to ``cancel_wait`` seconds) for the cancels to be
        confirmed, then closes each position through its own capability; an instrument
        that still has a working order is not flattened (the order might fill and the
        close would then overshoot) and is reported instead. The kill is always audited.
        """
        self.set_trading_state(TradingState.HALTED, who=who, why=f"kill switch: {why}")
        cancelled: list[int] = []
        failed: list[tuple[int, str]] = []
        pending: list[OrderHandle] = []
        try:
            working = list(self._broker.open_orders())
        except Exception as exc:  # noqa: BLE001  (reported: the kill must still finish)
            failed.append((0, f"cannot list open orders: {type(exc).__name__}: {exc}"))
            working = []
        for handle in working:
            try:
                await self._broker.cancel_order(handle)
            except Exception as exc:  # noqa: BLE001  (reported, not raised: cancel the rest)
                failed.append((handle.order_id, f"{type(exc).__name__}: {exc}"))
            else:
                cancelled.append(handle.order_id)
                pending.append(handle)
        flattened: list[OrderHandle] = []
        skipped: list[tuple[str, str]] = []
        if flatten:
            if pending:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*(h.wait() for h in pending)), cancel_wait
                    )
            try:
                flattened, skipped = self._flatten(who)
            except Exception as exc:  # noqa: BLE001  (reported; the kill record still follows)
                skipped.append(("*", f"flatten failed: {type(exc).__name__}: {exc}"))
        report = KillReport(tuple(cancelled), tuple(failed), tuple(flattened), tuple(skipped))
        self._audit(
            "kill",
            "gate.kill_switch",
            who=who,
            why=why,
            cancelled=list(report.cancelled),
            failed=[list(item) for item in report.failed],
            flattened=[h.order_id for h in report.flattened],
            not_flattened=[list(item) for item in report.not_flattened],
        )
        return report

    def _flatten(self, who: str) -> tuple[list[OrderHandle], list[tuple[str, str]]]:
        """Market orders closing every position with no working order, each audited."""
        if self._broker.connection_state is not ConnectionState.CONNECTED:
            return [], [("*", "broker not connected: nothing flattened")]
        handles: list[OrderHandle] = []
        skipped: list[tuple[str, str]] = []
        working = list(self._broker.open_orders())
        for position in self._broker.get_positions():
            if not position.quantity:
                continue
            if any(h.instrument.same_as(position.instrument) for h in working):
                skipped.append((position.symbol, "an order is still working; not flattened"))
                continue
            side = Side.SELL if position.quantity > 0 else Side.BUY
            order = OrderRequest(side, abs(position.quantity), intentional_duplicate=True)
            self._seq += 1
            now = self._clock()
            try:
                handle = self._capability.submit_order(position.instrument, order)
            except Exception as exc:  # noqa: BLE001  (recorded; flatten the others)
                error = f"{type(exc).__name__}: {exc}"
                failure = Reason("broker.error", "broker_error", error)
                decision = self._decision(
                    self._seq, now, position.symbol, order, (failure,), None, None
                )
                self._record_decision(
                    decision, position.instrument, (), kind="flatten", who=who, error=error
                )
                skipped.append((position.symbol, error))
                continue
            decision = self._decision(self._seq, now, position.symbol, order, (), None, handle)
            self._record_decision(decision, position.instrument, (), kind="flatten", who=who)
            handles.append(handle)
        return handles, skipped

    # ------------------------------------------------------------------ restore
    def restore(self, records: Iterable[Mapping[str, Any]]) -> JournalReplay:
        """Rebuild latched breakers, trading state, session start and peak from a journal.

        A gate rebuilt from the same config and journal comes back still tripped (until
        the session boundary or a deliberate reset) and in the same trading state.
        """
        replay = replay_journal(records)
        self._breakers.restore(replay.trips)
        self._state = replay.trading_state
        self._peak = replay.peak_equity
        if replay.session is not None and replay.session[0] == (
            self._breakers.config.session.session_start(self._clock())
        ):
            self._session_start, self._session_equity = replay.session
        self._audit(
            "restore",
            "gate.restored",
            state=self._state.value,
            latched=[t.breaker.value for t in self._breakers.latched],
            peak_equity=self._peak,
        )
        return replay

    # ------------------------------------------------------------------ judging
    def _judge(
        self, contract: object, order: object, caller: tuple[float | None, ...], now: datetime
    ) -> tuple[tuple[Reason, ...], BreakerInputs | None]:
        """Every reason to block (empty means allowed). Never raises: errors block."""
        if not isinstance(contract, Instrument):
            return (_invalid_type("contract", contract, "instrument_from_ib"),), None
        if not isinstance(order, OrderRequest):
            return (_invalid_type("order", order, "order_request_from_ib"),), None
        if self._state is TradingState.HALTED:
            return (Reason("state.halted", "halted", "trading is HALTED: no order passes"),), None
        try:
            connection = self._broker.connection_state
        except Exception as exc:  # noqa: BLE001  (a state we cannot read is a block)
            return (_check_error("connection", exc),), None
        if connection is not ConnectionState.CONNECTED:
            return (
                Reason(
                    f"connection.{connection.value}",
                    f"connection_{connection.value}",
                    f"broker connection is {connection.value}; orders are blocked until connected",
                ),
            ), None
        reasons: list[Reason] = []
        inputs: BreakerInputs | None = None
        try:
            symbol = contract.symbol
            quote = self._quote(contract)
            open_orders = [h for h in self._broker.open_orders() if h.instrument.same_as(contract)]
            position = _position_of(self._broker.get_positions(), contract)
            committed = sum(
                h.remaining * h.request.side.sign
                for h in open_orders
                if h.request.side is order.side
            )
            shrinks = shrinks_position(position, committed, order.signed_quantity)
            if self._state is TradingState.REDUCING and not shrinks:
                reasons.append(
                    Reason(
                        "state.reducing",
                        "reducing",
                        f"trading is REDUCING: {order.side.value} {order.quantity:g} {symbol} "
                        f"does not shrink the position {position:g} "
                        f"(with {committed:g} in flight)",
                    )
                )
            inputs = self._inputs(
                caller, contract, order, position + committed, quote, now, reasons
            )
            if inputs is not None:
                verdict = self._breakers.evaluate_inputs(inputs)
                reasons.extend(
                    Reason(b.code, b.breaker.value, b.message, b.value, b.limit)
                    for b in verdict.breaches
                    # An oversized position must be reducible: the size limit only
                    # blocks orders that would not shrink it.
                    if not (shrinks and b.breaker is BreakerName.POSITION_SIZE)
                )
            if self._limits is not None:
                resting = [
                    RestingOrder(h.request.side, h.request.limit_price)
                    for h in open_orders
                    if h.request.side is not order.side
                ]
                reasons.extend(self._limits.check(contract, order, quote, now, resting))
        except Exception as exc:  # noqa: BLE001  (fail closed: a check that raises blocks)
            reasons.append(_check_error("risk", exc))
        return tuple(reasons), inputs

    def _inputs(
        self,
        caller: tuple[float | None, ...],
        contract: Instrument,
        order: OrderRequest,
        exposure_before: float,
        quote: Quote | None,
        now: datetime,
        reasons: list[Reason],
    ) -> BreakerInputs | None:
        """The breakers' inputs: the caller's, the derived ones, or the stricter of both."""
        try:
            given = _caller_inputs(caller, required=not self._derive)
        except InvalidInputError as exc:
            reasons.append(_invalid(exc))
            return None
        if not self._derive:
            return given
        try:
            derived = self._derive_inputs(contract, order, exposure_before, quote, now)
        except InvalidInputError as exc:
            reasons.append(Reason("input.unavailable", f"unavailable_{exc.field}", str(exc)))
            return None
        if given is None:
            return derived
        return BreakerInputs(
            min(given.daily_pnl, derived.daily_pnl),
            max(given.peak_equity, derived.peak_equity),
            min(given.current_equity, derived.current_equity),
            max(given.position_value, derived.position_value),
            max(given.trade_loss, derived.trade_loss),
        )

    def _derive_inputs(
        self,
        contract: Instrument,
        order: OrderRequest,
        exposure_before: float,
        quote: Quote | None,
        now: datetime,
    ) -> BreakerInputs:
        """Inputs from the broker: equity, daily P&L since session start, peak, exposure."""
        account = self._broker.get_account_summary()
        equity = account.net_liquidation
        session_start, session_end = self._session_start, self._session_end
        if session_start is None or session_end is None or not session_start <= now < session_end:
            schedule = self._breakers.config.session
            session_start = schedule.session_start(now)
            self._session_end = schedule.next_boundary(now)
        if self._session_start != session_start or self._session_equity is None:
            self._session_start, self._session_equity = session_start, equity
            self._last_realized = None  # brokers reset realized P&L per session
            self._audit(
                "session", "gate.session_start", start=session_start.isoformat(), equity=equity
            )
        self._peak = equity if self._peak is None else max(self._peak, equity)
        # The last closed trade's loss is judged once: the breaker's cooldown remembers it.
        trade_loss = 0.0
        if self._last_realized is not None and account.realized_pnl < self._last_realized:
            trade_loss = (self._last_realized - account.realized_pnl) / equity
        self._last_realized = account.realized_pnl
        price = order.limit_price
        if quote is not None:
            price = quote.price if price is None else max(price, quote.price)
        if price is None:
            raise InvalidInputError(
                "position_value", f"no price to value the {contract.symbol} position"
            )
        exposure = abs(exposure_before + order.signed_quantity) * price * contract.multiplier
        return BreakerInputs(
            (equity - self._session_equity) / self._session_equity,
            self._peak,
            equity,
            exposure,
            trade_loss,
        )

    # ------------------------------------------------------------------ audit
    def _decision(
        self,
        seq: int,
        now: datetime,
        symbol: str,
        order: OrderRequest | None,
        reasons: tuple[Reason, ...],
        inputs: BreakerInputs | None,
        handle: OrderHandle | None,
    ) -> OrderDecision:
        decision = OrderDecision(
            seq=seq,
            time=now,
            symbol=symbol,
            side=order.side if order else None,
            quantity=order.quantity if order else None,
            order_type=order.order_type if order else None,
            limit_price=order.limit_price if order else None,
            allowed=handle is not None,
            reasons=reasons,
            order_id=handle.order_id if handle else None,
            inputs=inputs,
            trading_state=self._state,
            handle=handle,
        )
        self._decisions.append(decision)
        return decision

    def _record_decision(
        self,
        decision: OrderDecision,
        contract: object,
        caller: tuple[float | None, ...],
        *,
        kind: str = "decision",
        who: str = "",
        error: str = "",
        started: float | None = None,
    ) -> None:
        """One audit record: a compact structlog event, the full record in the journal.

        ``error`` marks an allowed order the broker failed to take (outcome ``error``).
        """
        triggered = list(decision.triggered)
        if error:
            event = "order.broker_error"
            _log.error(event, seq=decision.seq, symbol=decision.symbol, error=error)
        elif decision.allowed:
            event = "order.allowed"
            _log.info(
                event,
                seq=decision.seq,
                symbol=decision.symbol,
                side=decision.side,
                quantity=decision.quantity,
                order_id=decision.order_id,
            )
        else:
            event = "order.blocked"
            _log.warning(
                event,
                seq=decision.seq,
                symbol=decision.symbol,
                side=decision.side,
                quantity=decision.quantity,
                triggered=triggered,
                reasons=[r.message for r in decision.reasons],
            )
        if self._journal is None and not self._listeners:
            return
        record = {
            "kind": kind,
            "event": event,
            "config_version": self._config_version,
            "seq": decision.seq,
            "time": decision.time.isoformat(),
            "symbol": decision.symbol,
            "con_id": contract.con_id if isinstance(contract, Instrument) else None,
            "side": decision.side,
            "quantity": decision.quantity,
            "order_type": decision.order_type,
            "limit_price": decision.limit_price,
            "caller_inputs": _caller_fields(caller),
            "outcome": "error" if error else decision.outcome,
            "triggered": triggered,
            "reasons": [_reason_fields(r) for r in decision.reasons],
            "order_id": decision.order_id,
            "inputs": _inputs_fields(decision.inputs),
            "trading_state": decision.trading_state,
        }
        if who:
            record["who"] = who
        if error:
            record["error"] = error
        if started is not None:
            record["latency_s"] = time.perf_counter() - started
        self._append(record)

    def _audit_trips(self) -> None:
        for trip in self._breakers.take_new_trips():
            self._audit(
                "trip",
                "breaker.tripped",
                breaker=trip.breaker.value,
                since=trip.since.isoformat(),
                value=trip.value,
                reason=trip.reason,
            )

    def _audit(self, kind: str, event: str, **fields: Any) -> None:
        fields.setdefault("time", self._clock().isoformat())
        self._write(kind, event, fields, warn=kind in ("trip", "kill", "state"))

    def _write(
        self,
        kind: str,
        event: str,
        fields: dict[str, Any],
        *,
        warn: bool,
    ) -> None:
        if warn:
            _log.warning(event, **fields)
        else:
            _log.info(event, **fields)
        if self._journal is not None or self._listeners:
            self._append(
                {"kind": kind, "event": event, "config_version": self._config_version, **fields}
            )

    def _append(self, record: dict[str, Any]) -> None:
        """Append to the journal (a journal that cannot be written halts trading), notify."""
        if self._journal is not None:
            try:
                self._journal.append(record)
            except Exception as exc:  # noqa: BLE001  (fail closed below, never lose it silently)
                self._journal_failed(record, exc)
        for listener in tuple(self._listeners):
            try:
                listener(record)
            except Exception as exc:  # noqa: BLE001  (a listener never blocks trading)
                _log.error("gate.listener_failed", error=f"{type(exc).__name__}: {exc}")

    def _journal_failed(self, record: Mapping[str, Any], exc: Exception) -> None:
        """No audit trail, no trading: HALT (the record itself still went to the log)."""
        _log.critical(
            "journal.write_failed", error=f"{type(exc).__name__}: {exc}", record=dict(record)
        )
        if self._state is not TradingState.HALTED:
            previous, self._state = self._state, TradingState.HALTED
            _log.critical(
                "gate.state_changed",
                previous=previous.value,
                state=TradingState.HALTED.value,
                who="risk gate",
                why="audit journal cannot be written; trading halted until it is fixed",
            )


@dataclass(frozen=True, slots=True)
class JournalReplay:
    """What a journal says the gate's memory was: trips, trading state, session, peak."""

    trips: tuple[LatchedTrip, ...]
    trading_state: TradingState
    session: tuple[datetime, float] | None
    peak_equity: float | None


def replay_journal(records: Iterable[Mapping[str, Any]]) -> JournalReplay:
    """Fold audit records into the gate memory they imply (later records win).

    Trips not followed by a reset stay latched (the breakers drop expired ones when
    restored); the last state change gives the trading state; the peak is the highest
    peak equity any decision recorded.

    Raises:
        InvalidInputError: a record that should carry gate memory is malformed (the
            field names the record by its position, counting from 1).
    """
    trips: dict[BreakerName, LatchedTrip] = {}
    state = TradingState.ACTIVE
    peak: float | None = None
    session: tuple[datetime, float] | None = None
    for number, record in enumerate(records, start=1):
        kind = record.get("kind")
        try:
            if kind == "trip":
                name = BreakerName(record["breaker"])
                trips[name] = LatchedTrip(
                    name,
                    datetime.fromisoformat(record["since"]),
                    float(record["value"]),
                    str(record["reason"]),
                )
            elif kind == "reset":
                trips.pop(BreakerName(record["breaker"]), None)
            elif kind == "state":
                state = TradingState(record["state"])
            elif kind == "session":
                session = (datetime.fromisoformat(record["start"]), float(record["equity"]))
            elif kind == "decision":
                recorded = (record.get("inputs") or {}).get("peak_equity")
                if isinstance(recorded, int | float) and not isinstance(recorded, bool):
                    peak = float(recorded) if peak is None else max(peak, float(recorded))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidInputError(
                f"journal record {number}", f"malformed {kind!r} record: {exc!r}"
            ) from None
    return JournalReplay(tuple(trips.values()), state, session, peak)


def _position_of(positions: Iterable[Position], instrument: Instrument) -> float:
    return sum(p.quantity for p in positions if p.instrument.same_as(instrument))


def _caller_inputs(caller: tuple[float | None, ...], *, required: bool) -> BreakerInputs | None:
    if not required and caller == _NO_INPUTS:
        return None
    missing = [name for name, value in zip(_INPUT_NAMES, caller, strict=True) if value is None]
    if not missing:
        return BreakerInputs(*caller)  # type: ignore[arg-type]
    if len(missing) == len(_INPUT_NAMES) and not required:
        return None
    raise InvalidInputError(
        missing[0],
        "required (pass all five breaker inputs, or let the gate derive them)"
        if required
        else "pass all five breaker inputs or none",
    )


def _caller_fields(caller: tuple[float | None, ...]) -> dict[str, float | str | None] | None:
    if not caller or all(value is None for value in caller):
        return None
    return {name: _json_number(value) for name, value in zip(_INPUT_NAMES, caller, strict=True)}


def _json_number(value: object) -> float | str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None if value is None else repr(value)
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def _inputs_fields(inputs: BreakerInputs | None) -> dict[str, float] | None:
    if inputs is None:
        return None
    return {
        "daily_pnl": inputs.daily_pnl,
        "peak_equity": inputs.peak_equity,
        "current_equity": inputs.current_equity,
        "position_value": inputs.position_value,
        "trade_loss": inputs.trade_loss,
    }


def _reason_fields(reason: Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "name": reason.name,
        "message": reason.message,
        "value": reason.value,
        "limit": reason.limit,
    }


def _require_text(field_name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, "must be a non-empty string", value)


def _invalid(exc: InvalidInputError) -> Reason:
    return Reason("input.invalid", f"invalid_{exc.field}", str(exc))


def _invalid_type(name: str, value: object, converter: str) -> Reason:
    kind = "Instrument" if name == "contract" else "OrderRequest"
    return _invalid(
        InvalidInputError(
            name,
            f"must be a hydra {kind} (the ib adapter converts ib_async objects with {converter})",
            type(value).__name__,
        )
    )


def _check_error(check: str, exc: Exception) -> Reason:
    return Reason("check.error", f"{check}_error", f"{check} check raised {exc!r}")
