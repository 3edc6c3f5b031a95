"""Order entry in the fake gateway: placeOrder, new or amending, answered as IB answers.

* a new order: openOrder + orderStatus; refused outright: error 201 (invalid), 200 (no
  such contract, or an ambiguous one), 110 (a price off the instrument's tick);
* an amend (placeOrder on a known order id): the working order changes in place and is
  answered with openOrder + orderStatus; a filled order: error 104; a cancelled or
  rejected one: 103 (duplicate order id); another side or contract: 105, invalid
  fields: 321, a price off the tick: 110, each followed by the order as it still works;
* ``transmit=False`` holds an order (PreSubmitted) until a later order of its bracket or
  OCA group transmits;
* an IOC order that cannot fill at once is cancelled.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hydra.testing import _order_rules as rules
from hydra.testing._contracts import AMBIGUOUS, NO_SECURITY_DEFINITION
from hydra.testing._model import FakeInstrument, OrderRecord, PlacedOrder
from hydra.testing._orders import OrderDesk
from hydra.testing._what_if import OFF_TICK
from hydra.testing._wire_place import PlaceRequest, parse_place_order

if TYPE_CHECKING:
    from collections.abc import Callable

    from hydra.testing._core import Session

__all__ = ["EntryDesk"]


class EntryDesk(OrderDesk):
    """placeOrder: new orders, amends and whatIf previews."""

    _reject_rule: Callable[[PlacedOrder], str | None] | None

    # ------------------------------------------------------------------ entry

    def _rejection(self, placed: PlacedOrder, inst: FakeInstrument) -> str | None:
        if self._reject_rule is not None:
            reason = self._reject_rule(placed)
            if reason is not None:
                return reason
        return self._validation_error(placed, inst)

    def _on_place_order(self, session: Session, fields: list[str]) -> None:
        client_id = session.client_id
        if client_id is None:
            return
        req = parse_place_order(fields, session.version)
        placed = _placed(client_id, req)
        self.placed.append(placed)
        self._next_order_id = max(self._next_order_id, req.order_id + 1)
        if req.what_if:
            self._what_if(session, placed, req.contract)
            return
        existing = self._orders.get((client_id, req.order_id))
        if existing is not None:
            self._amend(session, existing, placed, req)
            return
        matches = self._match(req.contract)
        order = self._new_record(client_id, req, matches[0] if len(matches) == 1 else None)
        self._orders[(client_id, req.order_id)] = order
        if order.instrument is None:
            text = AMBIGUOUS.format(req.contract.describe()) if matches else NO_SECURITY_DEFINITION
            self._finish(order, "Inactive", f"Rejected: {text}")
            session.error(req.order_id, 200, text)
            return
        reason = self._rejection(placed, order.instrument)
        parent = self._orders.get((client_id, req.parent_id)) if req.parent_id else None
        if reason is None and req.parent_id and (parent is None or not _alive(parent)):
            reason = f"parent order {req.parent_id} is not a working order"
        if reason is not None:
            self._reject(order, reason)
            return
        if rules.off_tick(placed, order.instrument.min_tick) is not None:
            # Only the error: clients drop a new order IB answers with 110.
            self._finish(order, "Inactive", f"Rejected: {OFF_TICK}")
            session.error(req.order_id, 110, OFF_TICK)
            return
        order.working = req.transmit and (parent is None or parent.status == "Filled")
        order.status = "Submitted" if order.working else "PreSubmitted"
        self._arm(order)
        self._send_order_update(order)
        if req.transmit:
            self._transmit_held(order, parent)
        self._try_fill(order)
        self._expire_unfilled_ioc(order)

    def _new_record(
        self, client_id: int, req: PlaceRequest, inst: FakeInstrument | None
    ) -> OrderRecord:
        return OrderRecord(
            client_id=client_id,
            order_id=req.order_id,
            perm_id=next(self._perm_ids),
            instrument=inst,
            action=req.action,
            quantity=math.nan if req.quantity is None else req.quantity,
            order_type=req.order_type,
            limit_price=req.limit_price,
            tif=req.tif,
            account=req.account or self.account,
            order_ref=req.order_ref,
            status="PendingSubmit",
            aux_price=req.aux_price,
            oca_group=req.oca_group,
            oca_type=req.oca_type,
            parent_id=req.parent_id,
            good_till_date=req.good_till_date,
            outside_rth=req.outside_rth,
            trailing_percent=req.trailing_percent,
            trail_stop_price=req.trail_stop_price,
            lmt_price_offset=req.lmt_price_offset,
        )

    def _transmit_held(self, order: OrderRecord, parent: OrderRecord | None) -> None:
        """A transmitted order sends on what its bracket or OCA group held back."""
        if parent is not None and not parent.working and parent.is_open:
            self._transmit(parent)  # the last child of a bracket transmits the whole group
        if order.oca_group and order.parent_id == 0:
            for held in self._orders.values():
                if (
                    held is not order
                    and held.client_id == order.client_id
                    and held.oca_group == order.oca_group
                    and held.parent_id == 0
                    and held.is_open
                    and not held.working
                ):
                    self._transmit(held)

    def _expire_unfilled_ioc(self, order: OrderRecord) -> None:
        if order.tif == "IOC" and order.working and order.is_open:
            self._cancel(order)

    # ------------------------------------------------------------------ amend

    def _amend(
        self, session: Session, order: OrderRecord, placed: PlacedOrder, req: PlaceRequest
    ) -> None:
        """PlaceOrder on a known order id: change the working order in place."""
        inst = order.instrument
        if order.status == "Filled":
            session.error(order.order_id, 104, "Can't modify a filled order.")
            return
        if not order.is_open or inst is None:
            session.error(order.order_id, 103, "Duplicate order id")
            return
        problem = self._validation_error(placed, inst)
        if placed.action != order.action or not req.contract.matches(inst):
            refusal = (105, "Order being modified does not match original order.")
        elif problem is not None:
            refusal = (321, f"Error validating request: modify - {problem}")
        elif rules.off_tick(placed, inst.min_tick) is not None:
            refusal = (110, OFF_TICK)
        else:
            refusal = None
        if refusal is not None:
            # Warnings to clients (they keep the order), then the order as it still works.
            session.error(order.order_id, *refusal)
            self._send_order_update(order)
            return
        trail_changed = (placed.aux_price, placed.trailing_percent) != (
            order.aux_price,
            order.trailing_percent,
        )
        order.quantity = placed.quantity
        order.order_type = placed.order_type
        order.limit_price = placed.limit_price
        order.aux_price = placed.aux_price
        order.tif = placed.tif or order.tif
        order.good_till_date = placed.good_till_date
        order.outside_rth = placed.outside_rth
        order.order_ref = placed.order_ref
        order.trailing_percent = placed.trailing_percent
        order.lmt_price_offset = placed.lmt_price_offset
        if placed.trail_stop_price is not None:
            order.trail_stop_price = placed.trail_stop_price
        elif trail_changed and not order.triggered:
            order.trail_stop_price = None  # trails afresh from the price, by the new trail
        if placed.transmit and not order.working and order.parent_id == 0:
            order.working = True
            order.status = "Submitted"
        self._arm(order)
        self._send_order_update(order)
        self._try_fill(order)


def _placed(client_id: int, req: PlaceRequest) -> PlacedOrder:
    return PlacedOrder(
        order_id=req.order_id,
        client_id=client_id,
        symbol=req.symbol,
        action=req.action,
        quantity=math.nan if req.quantity is None else req.quantity,
        order_type=req.order_type,
        limit_price=req.limit_price,
        tif=req.tif,
        aux_price=req.aux_price,
        parent_id=req.parent_id,
        oca_group=req.oca_group,
        transmit=req.transmit,
        what_if=req.what_if,
        con_id=req.con_id,
        oca_type=req.oca_type,
        good_till_date=req.good_till_date,
        outside_rth=req.outside_rth,
        order_ref=req.order_ref,
        trailing_percent=req.trailing_percent,
        trail_stop_price=req.trail_stop_price,
        lmt_price_offset=req.lmt_price_offset,
    )


def _alive(order: OrderRecord) -> bool:
    return order.is_open or order.status == "Filled"
