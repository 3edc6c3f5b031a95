"""Order outcomes in the fake gateway: triggers, fills, cancels, brackets and OCA groups.

What each type needs and when it triggers is in ``_order_rules``; order entry and amends
(placeOrder) in ``_order_entry``. Here, as IB answers: a bracket's children work once
their parent fills; a fill cancels the rest of the bracket and, with ``ocaType`` 1, of
the OCA group (2 and 3 reduce the others by the filled quantity); a cancel cancels the
order's children; MOC and LOC orders meet the closing auction.
"""

from __future__ import annotations

from functools import partial

from hydra.testing import _order_rules as rules
from hydra.testing import _wire as wire
from hydra.testing import _wire_orders as wire_orders
from hydra.testing._core import ib_time
from hydra.testing._model import ExecutionRecord, FakeInstrument, OrderRecord
from hydra.testing._what_if import COMMISSION, WhatIfDesk

__all__ = ["COMMISSION", "OrderDesk"]


class OrderDesk(WhatIfDesk):
    """Matching against the reference price, fills, cancels and what they set off."""

    _market_fill: str

    def _transmit(self, order: OrderRecord) -> None:
        order.working = True
        order.status = "Submitted"
        self._arm(order)
        self._send_order_update(order)
        self._try_fill(order)

    def _arm(self, order: OrderRecord) -> None:
        """A working trailing stop starts trailing from the current price."""
        inst = order.instrument
        price = None if inst is None else self._prices.get(inst.key)
        if inst is not None and price is not None and order.working:
            rules.follow(order, price, inst.min_tick)

    # ------------------------------------------------------------------ outcomes

    def _finish(self, order: OrderRecord, status: str, completed_status: str) -> None:
        order.status = status
        order.working = False
        order.completed_time = ib_time()
        order.completed_status = completed_status

    def _reject(self, order: OrderRecord, reason: str) -> None:
        self._finish(order, "Inactive", f"Rejected: {reason}")
        # Only the error, no orderStatus: clients then mark the trade Cancelled and keep the
        # error text in the trade's log, which is what they do with a real 201.
        text = f"Order rejected - reason:{reason}"
        self._send_about(order, partial(_error, order.order_id, 201, text))

    def _send_order_update(self, order: OrderRecord) -> None:
        inst = order.instrument
        if inst is not None:
            self._send_about(
                order,
                partial(_open_order, order=order, inst=inst),
                partial(wire_orders.order_status, order=order),
            )

    def _cancel(self, order: OrderRecord) -> None:
        self._finish(order, "Cancelled", "Cancelled by Trader")
        # Status first so the trade carries final filled/remaining figures when the 202
        # (which clients log as an error) arrives for an already-done trade.
        self._send_about(
            order,
            partial(wire_orders.order_status, order=order),
            partial(_error, order.order_id, 202, "Order Canceled - reason:"),
        )
        for child in self._children(order):
            if child.is_open:
                self._cancel(child)

    def _children(self, order: OrderRecord) -> list[OrderRecord]:
        return [
            o
            for o in self._orders.values()
            if o.parent_id == order.order_id and o.client_id == order.client_id and o.parent_id
        ]

    # ------------------------------------------------------------------ matching

    def _try_fill(self, order: OrderRecord) -> bool:
        inst = order.instrument
        price = None if inst is None else self._prices.get(inst.key)
        if inst is None or price is None or not order.working or order.status != "Submitted":
            return False
        if not rules.triggered(order, price, inst.min_tick):
            return False
        buy = order.action == "BUY"
        limit = rules.limit_of(order, inst.min_tick)
        if limit is not None:
            if not (price <= limit if buy else price >= limit):
                return False
            self._fill(order, inst, price)
            return True
        self._fill(order, inst, self._market_price(inst, price, buy=buy))
        return True

    def _fill_at_close(self, inst: FakeInstrument, close: float) -> None:
        """The closing auction: MOC orders fill at ``close``, LOC ones within their limit.

        An LOC order the close does not reach is cancelled, as IB cancels it.
        """
        for order in list(self._orders.values()):
            if (
                order.instrument is not inst
                or order.order_type not in rules.AT_THE_CLOSE
                or not order.working
                or not order.is_open
            ):
                continue
            limit = order.limit_price if order.order_type == "LOC" else None
            buy = order.action == "BUY"
            if limit is None or (close <= limit if buy else close >= limit):
                self._fill(order, inst, close)
            else:
                self._cancel(order)

    def _market_price(self, inst: FakeInstrument, price: float, *, buy: bool) -> float:
        """Market (and triggered stop) orders fill at the touch: buys at the ask."""
        quote = self._quote(inst)
        if self._market_fill == "last" or quote is None:
            return price
        return quote[1] if buy else quote[0]

    def _fill(self, order: OrderRecord, inst: FakeInstrument, price: float) -> None:
        shares = order.remaining
        signed = shares if order.action == "BUY" else -shares
        held_before = self._book.position(inst.key)[0]
        closing = held_before != 0.0 and (held_before > 0) != (signed > 0)
        realized = self._book_fill(inst, signed, price, COMMISSION)
        self._bump_stats(inst.key, self._prices.get(inst.key, price), shares)
        order.avg_fill_price = (order.avg_fill_price * order.filled + price * shares) / (
            order.filled + shares
        )
        order.filled += shares
        order.last_fill_price = price
        self._finish(order, "Filled", "Filled")
        execution = ExecutionRecord(
            exec_id=f"{order.perm_id:08x}.{next(self._exec_seq):08x}.01.01",
            client_id=order.client_id,
            order_id=order.order_id,
            perm_id=order.perm_id,
            instrument=inst,
            side="BOT" if signed > 0 else "SLD",
            shares=shares,
            price=price,
            time=ib_time(),
            cum_qty=order.filled,
            avg_price=order.avg_fill_price,
            order_ref=order.order_ref,
            account=order.account,
            commission=COMMISSION,
            realized_pnl=realized if closing else None,
        )
        self._executions.append(execution)
        # Commission before the Filled status: a client awaiting the trade's filled event
        # then already finds the commission on the fill.
        self._send_about(
            order,
            partial(wire_orders.exec_details, req_id=-1, ex=execution),
            lambda _v: wire_orders.commission_report(execution),
            partial(wire_orders.order_status, order=order),
            partial(_open_order, order=order, inst=inst),
        )
        self._after_fill(inst)
        self._on_filled(order)

    def _after_fill(self, inst: FakeInstrument) -> None:
        """Hook for position and account pushes (the gateway may delay them)."""
        self._push_after_fill(inst)

    def _on_filled(self, order: OrderRecord) -> None:
        """Release a bracket's children; cancel (or reduce) the rest of the bracket or group."""
        for child in self._children(order):
            if child.is_open and not child.working:
                self._transmit(child)
        for other in list(self._orders.values()):
            if other is order or not other.is_open:
                continue
            bracket = bool(order.parent_id) and (
                other.parent_id == order.parent_id and other.client_id == order.client_id
            )
            group = bool(order.oca_group) and other.oca_group == order.oca_group
            if bracket or (group and order.oca_type not in {2, 3}):
                self._cancel(other)
            elif group:
                self._reduce(other, order.filled)

    def _reduce(self, order: OrderRecord, by: float) -> None:
        """OCA types 2 and 3: a fill in the group takes its quantity off the others."""
        if order.quantity - by <= order.filled:
            self._cancel(order)
            return
        order.quantity -= by
        self._send_order_update(order)


def _error(req_id: int, code: int, text: str, version: int) -> list[str]:
    return wire.error(req_id, code, text, version)


def _open_order(version: int, order: OrderRecord, inst: FakeInstrument) -> list[str]:
    return wire_orders.open_order(version, order, inst)
