"""The RiskGate: the only holder of the submit capability; every order passes its checks.

An order goes: validate inputs -> connection -> circuit breakers -> hand-off to the
capability. Check and hand-off run without yielding to the event loop, so concurrent
submits cannot jointly slip past a limit that the first one trips. Any exception inside
a check blocks the order (fail closed). A blocked order returns ``None``; its decision,
with every reason, is kept (``last_decision``, ``decisions``) and logged.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from hydra.application.orders import OrderHandle
from hydra.domain import (
    AccountSnapshot,
    BrokerError,
    CircuitBreakerManager,
    Clock,
    ConnectionState,
    Instrument,
    InvalidInputError,
    OrderRequest,
    OrderType,
    Position,
    Reason,
    Side,
    system_clock,
)

if TYPE_CHECKING:
    from hydra.application.capability import SubmitCapability, SubmittingBroker

__all__ = ["BrokerView", "OrderDecision", "RiskGate"]

_log = structlog.get_logger("hydra.gate")


@dataclass(frozen=True, slots=True)
class OrderDecision:
    """The gate's decision on one submit attempt: outcome, every reason, the order id."""

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
    handle: OrderHandle | None = field(default=None, compare=False, repr=False)

    @property
    def triggered(self) -> tuple[str, ...]:
        """Names of everything that blocked the order (empty when allowed)."""
        return tuple(reason.name for reason in self.reasons)

    @property
    def outcome(self) -> str:
        """``"allowed"`` or ``"blocked"``."""
        return "allowed" if self.allowed else "blocked"


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

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Cancel an order at the broker."""
        await self.__broker.cancel_order(handle)


class RiskGate:
    """The risk gate: claims the broker's submit capability and judges every order.

    Args:
        broker: an adapter offering ``claim_submit_capability`` (claimed here, once).
        breakers: the circuit breakers every order passes first.
        clock: time source for decisions (defaults to the system clock, UTC).
        history: how many recent decisions ``decisions`` keeps (memory stays bounded).

    Raises:
        CapabilityAlreadyClaimedError: the broker's capability is already held elsewhere.
    """

    def __init__(
        self,
        broker: SubmittingBroker,
        breakers: CircuitBreakerManager,
        *,
        clock: Clock | None = None,
        history: int = 1000,
    ) -> None:
        if not isinstance(breakers, CircuitBreakerManager):
            raise InvalidInputError("breakers", "must be a CircuitBreakerManager", breakers)
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise InvalidInputError("history", "must be a positive integer", history)
        self._capability: SubmitCapability = broker.claim_submit_capability()
        self._broker = broker
        self._view = BrokerView(broker)
        self._breakers = breakers
        self._clock: Clock = clock if clock is not None else system_clock
        self._decisions: deque[OrderDecision] = deque(maxlen=history)
        self._seq = 0

    @property
    def broker(self) -> BrokerView:
        """Read-only view of the broker (positions, account, qualify, cancel, state)."""
        return self._view

    @property
    def breakers(self) -> CircuitBreakerManager:
        """The circuit breakers this gate applies."""
        return self._breakers

    @property
    def last_decision(self) -> OrderDecision | None:
        """The decision on the most recent submit attempt."""
        return self._decisions[-1] if self._decisions else None

    @property
    def decisions(self) -> tuple[OrderDecision, ...]:
        """Recent decisions, oldest first (bounded by ``history``)."""
        return tuple(self._decisions)

    async def submit(
        self,
        contract: Instrument,
        order: OrderRequest,
        daily_pnl: float,
        peak_equity: float,
        current_equity: float,
        position_value: float,
        trade_loss: float,
    ) -> OrderHandle | None:
        """Judge an order and send it if allowed: the handle, or ``None`` when blocked.

        The five numbers are the breakers' inputs (units in ``hydra.domain.breakers``).

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
        daily_pnl: float,
        peak_equity: float,
        current_equity: float,
        position_value: float,
        trade_loss: float,
    ) -> OrderDecision:
        """As ``submit``, returning the full decision (its ``handle`` is set when allowed).

        Synchronous on purpose: nothing yields between the checks and the hand-off.
        """
        self._seq += 1
        seq = self._seq
        now = self._clock()
        reasons = self._judge(
            contract, order, daily_pnl, peak_equity, current_equity, position_value, trade_loss
        )
        symbol = contract.symbol if isinstance(contract, Instrument) else repr(contract)
        valid_order = order if isinstance(order, OrderRequest) else None
        if reasons:
            decision = _decision(seq, now, symbol, valid_order, reasons, None)
            self._decisions.append(decision)
            _log.warning(
                "order.blocked",
                seq=seq,
                symbol=symbol,
                triggered=[r.name for r in reasons],
                reasons=[r.message for r in reasons],
            )
            return decision
        assert isinstance(contract, Instrument)  # noqa: S101  (_judge proved it)
        assert valid_order is not None  # noqa: S101
        try:
            handle = self._capability.submit_order(contract, valid_order)
        except BrokerError as exc:
            _log.error("order.broker_error", seq=seq, symbol=symbol, error=str(exc))
            raise
        except Exception as exc:
            _log.error("order.broker_error", seq=seq, symbol=symbol, error=repr(exc))
            raise BrokerError(f"broker failed to take the order: {exc!r}") from exc
        decision = _decision(seq, now, symbol, valid_order, (), handle)
        self._decisions.append(decision)
        _log.info(
            "order.allowed",
            seq=seq,
            symbol=symbol,
            side=valid_order.side.value,
            quantity=valid_order.quantity,
            order_id=handle.order_id,
        )
        return decision

    async def cancel(self, handle: OrderHandle) -> None:
        """Cancel an order through the broker port."""
        _log.info("order.cancel", order_id=handle.order_id, symbol=handle.instrument.symbol)
        await self._broker.cancel_order(handle)

    def _judge(
        self,
        contract: object,
        order: object,
        daily_pnl: float,
        peak_equity: float,
        current_equity: float,
        position_value: float,
        trade_loss: float,
    ) -> tuple[Reason, ...]:
        """Every reason to block; empty means allowed. Never raises: errors block."""
        if not isinstance(contract, Instrument):
            return (
                _invalid(
                    InvalidInputError(
                        "contract",
                        "must be a hydra Instrument (the ib adapter converts ib_async "
                        "contracts with instrument_from_ib)",
                        type(contract).__name__,
                    )
                ),
            )
        if not isinstance(order, OrderRequest):
            return (
                _invalid(
                    InvalidInputError(
                        "order",
                        "must be a hydra OrderRequest (the ib adapter converts ib_async "
                        "orders with order_request_from_ib)",
                        type(order).__name__,
                    )
                ),
            )
        try:
            state = self._broker.connection_state
        except Exception as exc:  # noqa: BLE001  (a state we cannot read is a block)
            return (_check_error("connection", exc),)
        if state is not ConnectionState.CONNECTED:
            return (
                Reason(
                    f"connection.{state.value}",
                    f"connection_{state.value}",
                    f"broker connection is {state.value}; orders are blocked until connected",
                ),
            )
        try:
            verdict = self._breakers.evaluate(
                daily_pnl, peak_equity, current_equity, position_value, trade_loss
            )
        except InvalidInputError as exc:
            return (_invalid(exc),)
        except Exception as exc:  # noqa: BLE001  (fail closed: a check that raises blocks)
            return (_check_error("breakers", exc),)
        return tuple(
            Reason(b.code, b.breaker.value, b.message, b.value, b.limit) for b in verdict.breaches
        )


def _decision(
    seq: int,
    now: datetime,
    symbol: str,
    order: OrderRequest | None,
    reasons: tuple[Reason, ...],
    handle: OrderHandle | None,
) -> OrderDecision:
    return OrderDecision(
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
        handle=handle,
    )


def _invalid(exc: InvalidInputError) -> Reason:
    return Reason("input.invalid", f"invalid_{exc.field}", str(exc))


def _check_error(check: str, exc: Exception) -> Reason:
    return Reason("check.error", f"{check}_error", f"{check} check raised {exc!r}")
