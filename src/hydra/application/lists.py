"""What an amendment, a bracket and an OCA group must be, before the gate judges them.

These are shape rules, not risk rules: an amendment changes a working order of the gate's
own, by its quantity and prices only; a bracket's take-profit is a limit and its stop-loss
a stop, both on the other side and for the entry's quantity; an OCA group has two legs or
more and a printable name. A shape that is wrong is an ``InvalidInputError`` naming the
field, raised before anything is judged or recorded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from hydra.application.decide import Decider, ListLeg
from hydra.application.orders import BracketHandle, OrderHandle
from hydra.application.ports import BrokerPort
from hydra.application.records import DecisionRecord
from hydra.domain import BreakerInputs, Instrument, InvalidInputError, OrderRequest, OrderType

__all__ = ["AMENDABLE", "OrderLists", "amended", "bracket_legs", "oca_legs"]

AMENDABLE = ("quantity", "limit_price", "stop_price", "trailing_amount", "trailing_percent")
"""The fields an amendment may change."""

_STOPS = frozenset(
    {
        OrderType.STOP,
        OrderType.STOP_LIMIT,
        OrderType.TRAILING_STOP,
        OrderType.TRAILING_STOP_LIMIT,
    }
)
_GROUP_MAX = 64


def amended(
    handle: object, changes: Mapping[str, float | None], working: Iterable[OrderHandle]
) -> OrderRequest:
    """The order a working order becomes with ``changes`` (None: a field left as it is).

    Raises:
        InvalidInputError: not a working order of this gate's, no change, an unknown
            field, or a new value the order type refuses (named).
    """
    if not isinstance(handle, OrderHandle):
        raise InvalidInputError("handle", "must be an OrderHandle the gate returned", handle)
    if handle.foreign:
        raise InvalidInputError(
            "handle", f"order {handle.order_id} was not sent by this gate; it cannot amend it"
        )
    if handle.is_done or all(other is not handle for other in working):
        raise InvalidInputError(
            "handle",
            f"order {handle.order_id} is {handle.status.value}: only a working order can be "
            "amended",
        )
    unknown = sorted(set(changes) - set(AMENDABLE))
    if unknown:
        raise InvalidInputError(unknown[0], f"cannot be amended; amend one of {AMENDABLE}")
    given: dict[str, object] = {name: value for name, value in changes.items() if value is not None}
    if not given:
        raise InvalidInputError("modify", f"nothing to change; give one of {AMENDABLE}")
    # A trailing stop has one distance: giving one clears the other.
    if "trailing_amount" in given:
        given.setdefault("trailing_percent", None)
    elif "trailing_percent" in given:
        given["trailing_amount"] = None
    return dataclasses.replace(handle.request, **given)  # type: ignore[arg-type]


def bracket_legs(
    instrument: Instrument,
    entry: OrderRequest,
    take_profit: OrderRequest | None,
    stop_loss: OrderRequest | None,
) -> list[ListLeg]:
    """A bracket as legs: the entry, then its children (OCA-linked, waiting for it).

    Raises:
        InvalidInputError: a leg of the wrong kind, side or quantity, or no child.
    """
    if not isinstance(entry, OrderRequest):
        raise InvalidInputError("entry", "must be an OrderRequest", entry)
    if take_profit is None and stop_loss is None:
        raise InvalidInputError(
            "take_profit", "a bracket needs a take_profit, a stop_loss, or both"
        )
    group = f"hydra-bracket-{id(entry):x}"
    legs: list[ListLeg] = [("entry", instrument, entry, None, "")]
    for role, child, kinds in (
        ("take_profit", take_profit, frozenset({OrderType.LIMIT})),
        ("stop_loss", stop_loss, _STOPS),
    ):
        if child is None:
            continue
        if not isinstance(child, OrderRequest):
            raise InvalidInputError(role, "must be an OrderRequest", child)
        if child.order_type not in kinds:
            allowed = ", ".join(sorted(kind.value for kind in kinds))
            raise InvalidInputError(
                f"{role}.order_type", f"must be one of {allowed}", child.order_type
            )
        if child.side is entry.side:
            raise InvalidInputError(f"{role}.side", "must be the entry's other side", child.side)
        if child.quantity != entry.quantity:
            raise InvalidInputError(
                f"{role}.quantity",
                f"must be the entry's quantity {entry.quantity:g}",
                child.quantity,
            )
        legs.append((role, instrument, child, 0, group))
    return legs


def oca_legs(legs: Sequence[tuple[Instrument, OrderRequest]], group: str) -> list[ListLeg]:
    """An OCA group as legs, every one in ``group``.

    Raises:
        InvalidInputError: fewer than two legs, a malformed leg, or a bad group name.
    """
    if not isinstance(group, str) or not group.strip() or len(group) > _GROUP_MAX:
        raise InvalidInputError("group", f"must be a name of 1 to {_GROUP_MAX} characters", group)
    if not group.isprintable():
        raise InvalidInputError("group", "must be printable text", group)
    if len(legs) < 2:
        raise InvalidInputError("legs", "an OCA group needs two legs or more", len(legs))
    out: list[ListLeg] = []
    for index, leg in enumerate(legs):
        if (
            not isinstance(leg, tuple)
            or len(leg) != 2
            or not isinstance(leg[0], Instrument)
            or not isinstance(leg[1], OrderRequest)
        ):
            raise InvalidInputError(f"legs[{index}]", "must be (Instrument, OrderRequest)", leg)
        out.append(("oca", leg[0], leg[1], None, group))
    return out


class OrderLists:
    """The gate's public amendment and order-list methods (``RiskGate`` inherits them)."""

    _decider: Decider
    _broker: BrokerPort

    async def modify(
        self,
        handle: OrderHandle,
        *,
        quantity: float | None = None,
        limit_price: float | None = None,
        stop_price: float | None = None,
        trailing_amount: float | None = None,
        trailing_percent: float | None = None,
    ) -> OrderHandle | None:
        """Amend a working order: the handle when allowed, ``None`` when blocked.

        Judged by the same checks as the order it becomes: HALTED blocks it, REDUCING lets
        only a reduction through, the tick applies to each new price and the collar to the
        limit it makes (``OrderLimitChecker.collar``), and notional, size and the breakers
        judge only what it adds; amendments have their own rate
        (``OrderLimits.max_modifies``). A bracket's child is judged with its entry.
        The write-ahead record names the same broker order id (``amends``).

        Raises:
            InvalidInputError: the order is not a working order of this gate's, or a
                new field is invalid (named).
            BrokerError: the amendment was allowed but the broker refused it.
        """
        changes = {
            "quantity": quantity,
            "limit_price": limit_price,
            "stop_price": stop_price,
            "trailing_amount": trailing_amount,
            "trailing_percent": trailing_percent,
        }
        order, parent = self._amendment(handle, changes)
        return (await self._decider.amend_async(handle, order, None, parent)).handle

    def modify_with_decision(
        self, handle: OrderHandle, *, inputs: BreakerInputs | None = None, **changes: float | None
    ) -> DecisionRecord:
        """As ``modify``, returning the whole decision (synchronous, like submitting).

        Like ``submit_with_decision``, it cannot await the broker's margin preview.
        """
        order, parent = self._amendment(handle, changes)
        return self._decider.amend(handle, order, inputs, parent)

    def _amendment(
        self, handle: OrderHandle, changes: Mapping[str, float | None]
    ) -> tuple[OrderRequest, OrderHandle | None]:
        """The order a working order becomes, and a bracket child's working entry."""
        working = self._broker.open_orders()
        order = amended(handle, changes, working)
        parent = next((h for h in working if h.order_id == handle.parent_id), None)
        return order, parent

    async def submit_bracket(
        self,
        instrument: Instrument,
        entry: OrderRequest,
        *,
        take_profit: OrderRequest | None = None,
        stop_loss: OrderRequest | None = None,
        inputs: BreakerInputs | None = None,
    ) -> BracketHandle | None:
        """Judge an entry and its protection as one decision; send all three or none.

        ``take_profit`` (a LMT) and ``stop_loss`` (a STP, STP LMT, TRAIL or TRAIL LIMIT) are
        on the other side, for the entry's quantity; they wait at the broker until the entry
        fills, then one's fill cancels the other (an OCA group). Exposure counts what can
        fill: the children reduce what the entry adds. One write-ahead record names every
        leg's broker order id. ``None`` when blocked (``last_decision`` names each reason,
        each child's prefixed with its role).

        Raises:
            InvalidInputError: the legs do not make a bracket (named).
            BrokerError: the bracket was allowed but the broker failed to take it.
        """
        legs = bracket_legs(instrument, entry, take_profit, stop_loss)
        decision, handles = await self._decider.order_list_async(legs, inputs)
        if not decision.allowed:
            return None
        by_role = dict(zip((leg[0] for leg in legs), handles, strict=True))
        return BracketHandle(by_role["entry"], by_role.get("take_profit"), by_role.get("stop_loss"))

    async def submit_oca(
        self,
        legs: Sequence[tuple[Instrument, OrderRequest]],
        *,
        group: str,
        inputs: BreakerInputs | None = None,
    ) -> tuple[OrderHandle, ...] | None:
        """Judge an OCA group as one decision; send every leg or none.

        The group can fill only one leg: each is judged as if it alone filled (exposure
        counts the largest leg, not the sum), and when one fills the broker cancels the
        others. ``None`` when blocked.

        Raises:
            InvalidInputError: fewer than two legs, or a bad group name (named).
            BrokerError: the group was allowed but the broker failed to take it.
        """
        decision, handles = await self._decider.order_list_async(oca_legs(legs, group), inputs)
        return handles if decision.allowed else None
