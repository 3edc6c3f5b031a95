"""Cancels and order reports of the fake gateway: open, completed and executed orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing import _wire_orders as wire_orders
from hydra.testing._core import Session, int_field
from hydra.testing._order_entry import EntryDesk

if TYPE_CHECKING:
    from collections.abc import Callable

    from hydra.testing._model import OrderRecord


class OrderReports(EntryDesk):
    """Answers cancel, global cancel, open/completed order and execution requests."""

    _cancels_refused: str | None = None  # set by FaultControls.refuse_cancels

    def _on_cancel_order(self, session: Session, fields: list[str]) -> None:
        # [4, 1, orderId, (manualOrderCancelTime from version 169)]
        order_id = int(fields[2])
        self.cancel_requests.append(order_id)
        order = self._orders.get((session.client_id or 0, order_id))
        if order is None:
            session.error(
                order_id, 10147, f"OrderId {order_id} that needs to be cancelled is not found."
            )
            return
        if not order.is_open:
            text = (
                f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                f"state: {order.status}."
            )
            session.error(order_id, 10148, text)
            return
        if self._cancels_refused is not None:
            text = f"Cancel attempted when order is not cancellable: {self._cancels_refused}"
            session.error(order_id, 161, text)
            return
        self._cancel(order)

    def _on_req_global_cancel(self, session: Session, fields: list[str]) -> None:
        # Every working order of every client and of TWS, as IB's global cancel does.
        if self._cancels_refused is not None:
            return  # the exchange did not take it: every order keeps working
        for order in list(self._orders.values()):
            if order.is_open:
                self._cancel(order)

    def _on_req_open_orders(self, session: Session, fields: list[str]) -> None:
        # reqOpenOrders: only this client's orders (client 0 also sees TWS's, its own).
        self._send_open_orders(session, lambda order: order.client_id == session.client_id)

    def _on_req_all_open_orders(self, session: Session, fields: list[str]) -> None:
        self._send_open_orders(session, lambda order: True)

    def _send_open_orders(self, session: Session, wanted: Callable[[OrderRecord], bool]) -> None:
        for order in self._orders.values():
            if order.is_open and order.instrument is not None and wanted(order):
                session.send(wire_orders.open_order(session.version, order, order.instrument))
                session.send(wire_orders.order_status(session.version, order))
        session.send(wire_orders.open_order_end())

    def _on_req_completed_orders(self, session: Session, fields: list[str]) -> None:
        for order in self._orders.values():
            if not order.is_open and order.instrument is not None:
                session.send(wire_orders.completed_order(session.version, order, order.instrument))
        session.send(wire_orders.completed_orders_end())

    def _on_req_executions(self, session: Session, fields: list[str]) -> None:
        # [7, 3, reqId, clientId, acctCode, time, symbol, secType, exchange, side]
        req_id = int(fields[2])
        client_filter = int_field(fields[3])
        account, symbol, sec_type, side = fields[4], fields[6], fields[7], fields[9]
        wanted_side = {"BUY": "BOT", "SELL": "SLD"}.get(side, side)
        for ex in self._executions:
            if (
                (not client_filter or ex.client_id == client_filter)
                and (not account or ex.account == account)
                and (not symbol or ex.instrument.symbol == symbol)
                and (not sec_type or ex.instrument.sec_type == sec_type)
                and (not wanted_side or ex.side == wanted_side)
            ):
                session.send(wire_orders.exec_details(session.version, req_id, ex))
                session.send(wire_orders.commission_report(ex))
        session.send(wire_orders.exec_details_end(req_id))
