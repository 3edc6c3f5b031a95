"""Margin previews over ib_async: a whatIf order through the gate's own door, never executed.

IB answers a placeOrder with ``whatIf`` set by an openOrder whose order state carries the
account's initial margin before and after the order and the equity with loan after it
(strings; an unset figure is the largest double or empty), all in the account's base
currency; nothing is placed. The request goes through the order door (``sending()``),
since a whatIf is a placeOrder message and the door refuses every other sender once the
gate holds the capability. An error IB reports for the request's id is the preview's
answer (``BrokerError`` with IB's text).

There is no timeout inside: the gate bounds the wait (``asyncio.wait_for``). A preview
cancelled that way leaves nothing behind, neither ib_async's pending request nor ours,
and an answer that arrives later is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ib_async import IB, OrderState, RequestError

from hydra.adapters.ib.convert import to_ib_contract, to_ib_order
from hydra.adapters.ib.door import IBOrderDoor
from hydra.domain import (
    BrokerError,
    BrokerNotConnectedError,
    Instrument,
    InvalidInputError,
    MarginImpact,
    OrderRequest,
)

__all__ = ["IBMarginPreviews", "margin_impact_from"]

# ib_async's UNSET_DOUBLE (the largest double) and anything near it means "not computed".
_UNSET = 1.7e308


def margin_impact_from(state: object, currency: str) -> MarginImpact:
    """IB's whatIf order state as a ``MarginImpact`` in ``currency`` (the account's base).

    Raises:
        BrokerError: an answer without the figures (an error's empty result), or with a
            figure unset, empty, not a number or not usable.
    """
    if not isinstance(state, OrderState):
        raise BrokerError(f"IB answered the margin preview without an order state: {state!r}")
    before = _figure(state, "initMarginBefore")
    after = _figure(state, "initMarginAfter")
    equity = _figure(state, "equityWithLoanAfter")
    try:
        return MarginImpact(before, after, equity, currency)
    except InvalidInputError as exc:
        raise BrokerError(f"IB's margin preview is unusable: {exc}") from None


def _figure(state: OrderState, name: str) -> float:
    raw = getattr(state, name)
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise BrokerError(f"IB's margin preview has no {name} ({raw!r})") from None
    if not math.isfinite(value) or abs(value) >= _UNSET:
        raise BrokerError(f"IB's margin preview has no {name} (unset)")
    return value


class IBMarginPreviews:
    """Sends whatIf orders through the door and turns IB's answers into MarginImpacts.

    Args:
        ib: the gateway's ib_async client.
        door: the gateway's order door (a whatIf is a placeOrder message).
        require_connected: raises ``BrokerNotConnectedError`` naming the action unless
            the connection is up.
        base_currency: the account's base currency (raises ``BrokerError`` when the
            account values have not arrived).
    """

    __slots__ = ("_base_currency", "_door", "_errors", "_ib", "_require_connected")

    def __init__(
        self,
        ib: IB,
        door: IBOrderDoor,
        require_connected: Callable[[str], None],
        base_currency: Callable[[], str],
    ) -> None:
        self._ib = ib
        self._door = door
        self._require_connected = require_connected
        self._base_currency = base_currency
        # IB's errors for each preview in flight, by request id (ib_async resolves a
        # failed request with an empty result and only logs the message).
        self._errors: dict[int, list[str]] = {}

    @property
    def pending(self) -> int:
        """Previews waiting for IB's answer."""
        return len(self._errors)

    async def impact(
        self, instrument: Instrument, order: OrderRequest, *, readonly: bool
    ) -> MarginImpact:
        """Send ``order`` on ``instrument`` as a whatIf and wait (unbounded) for IB's figures.

        Raises:
            InvalidInputError: not an Instrument and an OrderRequest.
            BrokerNotConnectedError: the connection is not up, or dropped meanwhile.
            BrokerError: a read-only connection (IB takes no order message on one), IB
                refused the preview (its message), or answered without usable figures.
        """
        if not isinstance(instrument, Instrument):
            raise InvalidInputError("instrument", "must be an Instrument", instrument)
        if not isinstance(order, OrderRequest):
            raise InvalidInputError("order", "must be an OrderRequest", order)
        if readonly:
            raise BrokerError("a read-only IB connection cannot preview margin (whatIf)")
        self._require_connected("preview margin")
        currency = self._base_currency()
        contract, ib_order = to_ib_contract(instrument), to_ib_order(order)
        # ib_async keeps the request's future under its request id, which it does not
        # return: found by identity, so a cancelled preview can be taken out again.
        futures = self._ib.wrapper._futures
        with self._door.sending():
            try:
                future = self._ib.whatIfOrderAsync(contract, ib_order)
            except ConnectionError as exc:
                raise BrokerNotConnectedError(f"cannot preview margin: {exc}") from exc
        req_id = next(k for k, f in futures.items() if f is future)
        errors = self._errors[req_id] = []
        try:
            state: object = await future
        except ConnectionError as exc:
            raise BrokerNotConnectedError(f"margin preview lost: {exc}") from exc
        except RequestError as exc:  # ib_async's RaiseRequestErrors on
            raise BrokerError(f"IB refused the margin preview: {exc.message}") from None
        finally:
            del self._errors[req_id]
            self._forget(req_id, future)
        if not isinstance(state, OrderState):  # a failed request ends with an empty result
            reason = "; ".join(errors) or "no answer"
            raise BrokerError(f"IB refused the margin preview: {reason}")
        return margin_impact_from(state, currency)

    def _forget(self, req_id: int, future: object) -> None:
        """Take a finished or abandoned preview out of ib_async (a late answer then drops).

        ib_async keeps an answered whatIf's result list for ever (it pops it only for
        requests ended without a result): taken out here too, so memory stays bounded.
        """
        wrapper = self._ib.wrapper
        pending = wrapper._futures.get(req_id)
        if pending is future:
            del wrapper._futures[req_id]
            wrapper._reqId2Contract.pop(req_id, None)
        if pending is None or pending is future:
            wrapper._results.pop(req_id, None)

    def on_error(self, req_id: int, code: int, message: str, *_contract: object) -> None:
        """ib_async's errorEvent: keep IB's message for a preview in flight."""
        errors = self._errors.get(req_id)
        if errors is not None:
            errors.append(f"{message} (error {code})")
