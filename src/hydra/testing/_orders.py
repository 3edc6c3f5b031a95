"""Orders in the fake gateway: place, modify, cancel, fill, brackets, OCA and whatIf."""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from hydra.testing import _wire as wire
from hydra.testing import _wire_orders as wire_orders
from hydra.testing._account import MARGIN_RATE
from hydra.testing._core import Session, ib_time
from hydra.testing._market import NO_SECURITY_DEFINITION, MarketDesk
from hydra.testing._model import ExecutionRecord, FakeInstrument, OrderRecord, PlacedOrder
from hydra.testing._wire_place import PlaceRequest, parse_place_order

if TYPE_CHECKING:
    from collections.abc import Callable

# Flat commission per fill, so tests can predict cash to the cent.
COMMISSION = 1.0
ORDER_TYPES = frozenset({"MKT", "LMT", "STP", "STP LMT"})


class OrderDesk(MarketDesk):
    """Order entry, matching against the reference price, and order reports."""

    _reject_rule: Callable[[PlacedOrder], str | None] | None
    _market_fill: str

    # ------------------------------------------------------------------ validation

    def _validation_error(self, placed: PlacedOrder) -> str | None:
        if placed.action not in {"BUY", "SELL"}:
            return f"action must be BUY or SELL, not {placed.action!r}"
        qty = placed.quantity
        if not math.isfinite(qty) or qty <= 0:
            return f"order quantity must be a positive finite number, not {qty!r}"
        if placed.order_type not in ORDER_TYPES:
            return f"order type {placed.order_type!r} is not supported; use one of " + ", ".join(
                sorted(ORDER_TYPES)
            )
        needs: dict[str, tuple[str, ...]] = {
            "LMT": ("limit_price",),
            "STP": ("aux_price",),
            "STP LMT": ("limit_price", "aux_price"),
        }
        for name in needs.get(placed.order_type, ()):
            value = getattr(placed, name)
            label = "limit price" if name == "limit_price" else "stop (aux) price"
            if value is None:
                return f"a {placed.order_type} order needs a {label}"
            if not math.isfinite(value) or value <= 0:
                return f"the {label} must be a positive finite number, not {value!r}"
        if placed.order_type == "MKT" and placed.symbol not in self._prices:
            return f"no reference price for {placed.symbol}; call set_price() first"
        return None

    def _rejection(self, placed: PlacedOrder) -> str | None:
        if self._reject_rule is not None:
            reason = self._reject_rule(placed)
            if reason is not None:
                return reason
        return self._validation_error(placed)

    # ------------------------------------------------------------------ entry

    def _on_place_order(self, session: Session, fields: list[str]) -> None:
        client_id = session.client_id
        if client_id is None:
            return
        req = parse_place_order(fields, session.version)
        placed = PlacedOrder(
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
        )
        self.placed.append(placed)
        self._next_order_id = max(self._next_order_id, req.order_id + 1)
        matches = self._match(req.con_id, req.symbol, req.sec_type, req.currency)
        if req.what_if:
            self._what_if(session, placed, matches[0] if matches else None)
            return
        existing = self._orders.get((client_id, req.order_id))
        if existing is not None:
            self._modify(session, existing, placed)
            return
        order = self._new_record(client_id, req, matches[0] if matches else None)
        self._orders[(client_id, req.order_id)] = order
        if order.instrument is None:
            self._finish(order, "Inactive", f"Rejected: {NO_SECURITY_DEFINITION}")
            session.error(req.order_id, 200, NO_SECURITY_DEFINITION)
            return
        reason = self._rejection(placed)
        parent = self._orders.get((client_id, req.parent_id)) if req.parent_id else None
        if reason is None and req.parent_id and (parent is None or not _alive(parent)):
            reason = f"parent order {req.parent_id} is not a working order"
        if reason is not None:
            self._reject(order, reason)
            return
        order.working = req.transmit and (parent is None or parent.status == "Filled")
        order.status = "Submitted" if order.working else "PreSubmitted"
        self._send_order_update(order)
        if req.transmit and parent is not None and not parent.working and parent.is_open:
            # The last child of a bracket transmits the whole group.
            self._transmit(parent)
        self._try_fill(order)

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
        )

    def _transmit(self, order: OrderRecord) -> None:
        order.working = True
        order.status = "Submitted"
        self._send_order_update(order)
        self._try_fill(order)

    def _what_if(self, session: Session, placed: PlacedOrder, inst: FakeInstrument | None) -> None:
        """Answer a whatIf preview with margin and commission figures; nothing executes."""
        if inst is None:
            session.error(placed.order_id, 200, NO_SECURITY_DEFINITION)
            return
        problem = self._validation_error(placed)
        price = self._prices.get(inst.symbol, placed.limit_price or placed.aux_price)
        if problem is None and price is None:
            problem = f"no reference price for {inst.symbol}"
        if problem is not None or price is None:
            session.error(placed.order_id, 201, f"Order rejected - reason:{problem}")
            return
        figures = self._figures()
        change = placed.quantity * price * inst.multiplier * MARGIN_RATE
        preview = {
            "initMarginBefore": figures["margin"],
            "maintMarginBefore": figures["margin"],
            "equityWithLoanBefore": figures["net_liq"],
            "initMarginChange": change,
            "maintMarginChange": change,
            "equityWithLoanChange": -COMMISSION,
            "initMarginAfter": figures["margin"] + change,
            "maintMarginAfter": figures["margin"] + change,
            "equityWithLoanAfter": figures["net_liq"] - COMMISSION,
            "commission": COMMISSION,
            "minCommission": COMMISSION,
            "maxCommission": COMMISSION,
        }
        record = OrderRecord(
            client_id=placed.client_id,
            order_id=placed.order_id,
            perm_id=0,
            instrument=inst,
            action=placed.action,
            quantity=placed.quantity,
            order_type=placed.order_type,
            limit_price=placed.limit_price,
            tif=placed.tif,
            account=self.account,
            order_ref="",
            status="PreSubmitted",
            aux_price=placed.aux_price,
            what_if=True,
        )
        session.send(wire_orders.open_order(session.version, record, inst, preview))

    def _modify(self, session: Session, order: OrderRecord, placed: PlacedOrder) -> None:
        if not order.is_open:
            session.error(order.order_id, 103, "Duplicate order id")
            return
        problem = self._validation_error(placed)
        if problem is not None:
            # 321 is a warning to clients, so they keep the still-live order.
            session.error(order.order_id, 321, f"Error validating request: modify - {problem}")
            return
        order.quantity = placed.quantity
        order.order_type = placed.order_type
        order.limit_price = placed.limit_price
        order.aux_price = placed.aux_price
        order.tif = placed.tif or order.tif
        if placed.transmit and not order.working and order.parent_id == 0:
            order.working = True
            order.status = "Submitted"
        self._send_order_update(order)
        self._try_fill(order)

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
        price = None if inst is None else self._prices.get(inst.symbol)
        if inst is None or price is None or not order.working or order.status != "Submitted":
            return False
        buy = order.action == "BUY"
        if order.order_type in {"STP", "STP LMT"} and not order.triggered:
            stop = order.aux_price or 0.0
            if not (price >= stop if buy else price <= stop):
                return False
            order.triggered = True
        as_limit = order.order_type in {"LMT", "STP LMT"}
        if as_limit:
            limit = order.limit_price
            if limit is None or not (price <= limit if buy else price >= limit):
                return False
            self._fill(order, inst, price)
            return True
        self._fill(order, inst, self._market_price(inst, price, buy=buy))
        return True

    def _market_price(self, inst: FakeInstrument, price: float, *, buy: bool) -> float:
        """Market (and triggered stop) orders fill at the touch: buys at the ask."""
        quote = self._quote(inst)
        if self._market_fill == "last" or quote is None:
            return price
        return quote[1] if buy else quote[0]

    def _fill(self, order: OrderRecord, inst: FakeInstrument, price: float) -> None:
        shares = order.remaining
        signed = shares if order.action == "BUY" else -shares
        held_before = self._book.position(inst.symbol)[0]
        closing = held_before != 0.0 and (held_before > 0) != (signed > 0)
        realized = self._book.apply_fill(inst.symbol, signed, price, inst.multiplier)
        self._cash -= signed * price * inst.multiplier + COMMISSION
        self._bump_stats(inst.symbol, self._prices.get(inst.symbol, price), shares)
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
        """Release a bracket's children; cancel the other members of the order's OCA group."""
        for child in self._children(order):
            if child.is_open and not child.working:
                self._transmit(child)
        siblings = [
            o
            for o in self._orders.values()
            if o is not order
            and o.is_open
            and (
                (order.oca_group and o.oca_group == order.oca_group)
                or (
                    order.parent_id
                    and o.parent_id == order.parent_id
                    and o.client_id == order.client_id
                )
            )
        ]
        for sibling in siblings:
            self._cancel(sibling)


def _alive(order: OrderRecord) -> bool:
    return order.is_open or order.status == "Filled"


def _error(req_id: int, code: int, text: str, version: int) -> list[str]:
    return wire.error(req_id, code, text, version)


def _open_order(version: int, order: OrderRecord, inst: FakeInstrument) -> list[str]:
    return wire_orders.open_order(version, order, inst)
