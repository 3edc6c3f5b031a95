"""The order book over ib_async: handles for every order IB reports, own and foreign.

ib_async reports orders as Trade objects and rebuilds them after a reconnect; the book
keeps one handle per order, finds it by order id or by IB's permId, follows the new Trade,
and publishes each change to the gateway's listeners and observers. Orders placed by other
clients (another client id, TWS) become ``foreign`` handles keyed by their negated permId.
So does an order IB reports under this client's own id once the session is up, if the
gateway's door never sent it (keyed by its order id): nothing but the door may place
orders as this client, so such an order had no decision. Working orders found when the
gateway first connects are this client's from an earlier session, and its own. An order
of a type or field HYDRA cannot express (REL, VWAP, PEG, a DTC time in force) is followed
as a market order of its side and quantity, so it still counts (fail closed).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from ib_async import IB, Contract, Order, Trade, TradeLogEntry
from ib_async import Fill as IBFill
from ib_async import OrderStatus as IBOrderStatus
from ib_async import Position as IBPosition

from hydra.adapters.ib.convert import (
    fill_from_ib,
    instrument_from_ib,
    market_equivalent_from_ib,
    order_request_from_ib,
    position_from_ib,
    status_from_trade,
    to_ib_contract,
    to_ib_order,
)
from hydra.application import BrokerObserver, OrderHandle, OrderListener, Unsubscribe
from hydra.application.subscribers import attach
from hydra.domain import (
    BrokerNotConnectedError,
    Fill,
    Instrument,
    InvalidInputError,
    OrderEvent,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    UnknownOrderError,
)

__all__ = ["AMEND_REFUSED", "IBOrderBook", "IBOrderHandle", "place_new_order"]

_log = structlog.get_logger("hydra.ib")
_ib_log = logging.getLogger("ib_async.ib")  # IB's own logger (IB._logger)

_CONTRACT_CACHE_SIZE = 10_000

_RETAINED_DONE = 1_000
IB_DONE = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})

AMEND_REFUSED = frozenset({103, 104, 105, 106, 107, 109, 110, 201, 321})
"""IB's errors that refuse an amendment in flight (duplicate id, filled, does not match the
original, cannot transmit, incomplete, price out of range, off the tick, rejected, invalid)."""

PlaceOrder = Callable[[Contract, Any], Trade]


def place_new_order(ib: IB, contract: Contract, order: Order) -> Trade:
    """``IB.placeOrder`` for a new order, without formatting a log line nobody reads.

    ``IB.placeOrder`` builds ``f"placeOrder: New order {trade}"`` (the whole Trade's repr,
    30 to 80 us) after sending, even when its logger is off. This is the same send and the
    same bookkeeping (the Trade registered under ib_async's key, ``newOrderEvent``), with
    the line formatted only when ``ib_async.ib`` logs at INFO. A modification (a known
    order id) goes through ``IB.placeOrder`` itself.
    """
    wrapper = ib.wrapper
    # Everything read from ib_async's internals is read BEFORE the send: if a future
    # ib_async moved one, this raises with nothing sent, never after the order is live.
    client_id, trades, zone = wrapper.clientId, wrapper.trades, wrapper.defaultTimezone
    order_id = order.orderId or ib.client.getReqId()
    key = wrapper.orderKey(client_id, order_id, order.permId)
    if key in trades:
        order.orderId = order_id
        return IB.placeOrder(ib, contract, order)  # not the instance's: the claim refuses it
    ib.client.placeOrder(order_id, contract, order)  # type: ignore[no-untyped-call]
    now = datetime.datetime.now(zone)
    order.clientId = client_id
    order.orderId = order_id
    status = IBOrderStatus(orderId=order_id, status=IBOrderStatus.PendingSubmit)
    trade = Trade(contract, order, status, [], [TradeLogEntry(now, status.status)])
    trades[key] = trade
    if _ib_log.isEnabledFor(logging.INFO):
        _ib_log.info("placeOrder: New order %s", trade)
    ib.newOrderEvent.emit(trade)
    return trade


class IBOrderHandle(OrderHandle):
    """An order handle over ib_async: ``trade`` is the live ib_async Trade.

    After a reconnect ib_async builds new Trade objects; the gateway rebinds ``trade``
    so a handle created before the drop keeps updating. ``amended_from`` holds the terms
    before the last amendment sent, until IB refuses it (they are put back) or another
    amendment follows.
    """

    __slots__ = ("amended_from", "trade")

    def __init__(
        self,
        order_id: int,
        instrument: Instrument,
        request: OrderRequest,
        trade: Trade,
        *,
        foreign: bool = False,
        parent_id: int | None = None,
        oca_group: str = "",
    ) -> None:
        super().__init__(
            order_id, instrument, request, foreign=foreign, parent_id=parent_id, oca_group=oca_group
        )
        self.trade = trade
        self.amended_from: OrderRequest | None = None


class IBOrderBook:
    """Every order IB reports to this client, as handles; and who hears of their changes."""

    def __init__(self, ib: IB, client_id: int) -> None:
        self._ib = ib
        self._client_id = client_id
        self._handles: dict[int, IBOrderHandle] = {}
        self._by_perm_id: dict[int, IBOrderHandle] = {}
        # Working orders only: the kill switch and status read them; finished handles
        # are kept apart (recent ones only) for fills IB reports late.
        self._open: dict[int, IBOrderHandle] = {}
        self._retired: deque[IBOrderHandle] = deque()
        self._retired_ids: set[int] = set()
        # Converted contracts, reused: building an ib_async Contract per order is costly.
        self._ib_contracts: dict[Instrument, Contract] = {}
        self._listeners: list[OrderListener] = []
        self._observers: list[BrokerObserver] = []
        self._reserved: list[int] = []  # the ids the next place() / place_list() use
        # From the first connect on, an own-id order no handle tracks was not the door's.
        self._session_up = False

    # ------------------------------------------------------------------ reads
    def open_orders(self) -> list[OrderHandle]:
        """Handles of the working orders: this client's and foreign ones."""
        return list(self._open.values())

    def subscribe(self, listener: OrderListener) -> Unsubscribe:
        """Receive every order event."""
        return attach(self._listeners, listener)

    def observe(self, observer: BrokerObserver) -> Unsubscribe:
        """Follow every handle change and position message."""
        return attach(self._observers, observer)

    # ------------------------------------------------------------------ orders
    def reserve(self, count: int = 1) -> tuple[int, ...]:
        """The order ids the next ``place`` (or ``place_list`` of ``count`` legs) uses.

        Taken from ib_async's id sequence once and held until that send.
        """
        reserved = self._reserved
        while len(reserved) < count:
            try:
                reserved.append(self._ib.client.getReqId())
            except ConnectionError as exc:
                raise BrokerNotConnectedError(f"no order id: {exc}") from exc
        return tuple(reserved[:count])

    def session_up(self) -> None:
        """The first connect's orders are adopted: later unknown own-id orders are foreign."""
        self._session_up = True

    def forget_reservation(self) -> None:
        """Drop the held ids (the connection is gone; the next session numbers afresh)."""
        self._reserved = []

    def place(
        self, place_order: PlaceOrder, contract: Instrument, order: OrderRequest
    ) -> OrderHandle:
        """Send through ``place_order`` (the gateway's private door) and track the handle."""
        ib_order = to_ib_order(order)
        if self._reserved:
            ib_order.orderId = self._reserved.pop(0)
            self._reserved.clear()
        return self._send(place_order, contract, order, ib_order)

    def place_list(self, place_order: PlaceOrder, legs: Sequence[OrderLeg]) -> list[OrderHandle]:
        """Send a bracket or an OCA group as IB wants it, and track every leg.

        Each leg gets its reserved id; a child names its parent (``parentId``); members of
        a group share ``ocaGroup`` with ``ocaType`` 1 (cancel the others, with block); only
        the last leg carries ``transmit``, so IB holds the list until it is whole.
        """
        ids = list(self.reserve(len(legs)))
        self._reserved = []
        handles: list[OrderHandle] = []
        for index, leg in enumerate(legs):
            ib_order = to_ib_order(leg.order)
            ib_order.orderId = ids[index]
            if leg.parent is not None:
                ib_order.parentId = ids[leg.parent]
            if leg.oca_group:
                ib_order.ocaGroup = leg.oca_group
                ib_order.ocaType = 1
            ib_order.transmit = index == len(legs) - 1
            handles.append(
                self._send(
                    place_order,
                    leg.instrument,
                    leg.order,
                    ib_order,
                    parent_id=ib_order.parentId or None,
                    oca_group=leg.oca_group,
                )
            )
        return handles

    def modify(self, place_order: PlaceOrder, handle: OrderHandle, order: OrderRequest) -> None:
        """Amend a working order: ``placeOrder`` on its known id with the new fields.

        Raises:
            UnknownOrderError: the order is unknown or no longer working.
        """
        known = self._handles.get(handle.order_id)
        if known is None or known.is_done or known.foreign:
            raise UnknownOrderError(
                f"order {handle.order_id} is not working at this gateway (it is "
                f"{handle.status.value}); only a working order of ours can be amended"
            )
        live = known.trade.order
        ib_order = to_ib_order(order)
        for name in ("orderId", "clientId", "permId", "parentId", "ocaGroup", "ocaType"):
            setattr(ib_order, name, getattr(live, name))
        contract = self._ib_contracts.get(known.instrument) or known.trade.contract
        try:
            place_order(contract, ib_order)
        except ConnectionError as exc:
            raise BrokerNotConnectedError(f"placeOrder failed: {exc}; nothing queued") from exc
        known.amended_from, known.request = known.request, order

    def _send(
        self,
        place_order: PlaceOrder,
        contract: Instrument,
        order: OrderRequest,
        ib_order: Order,
        *,
        parent_id: int | None = None,
        oca_group: str = "",
    ) -> OrderHandle:
        ib_contract = self._ib_contracts.get(contract)
        if ib_contract is None:
            if len(self._ib_contracts) >= _CONTRACT_CACHE_SIZE:
                self._ib_contracts.clear()
            ib_contract = self._ib_contracts[contract] = to_ib_contract(contract)
        try:
            trade = place_order(ib_contract, ib_order)
        except ConnectionError as exc:
            raise BrokerNotConnectedError(f"placeOrder failed: {exc}; nothing queued") from exc
        handle = IBOrderHandle(
            trade.order.orderId, contract, order, trade, parent_id=parent_id, oca_group=oca_group
        )
        self._handles[handle.order_id] = handle
        self._open[handle.order_id] = handle
        return handle

    def cancel(self, handle: OrderHandle) -> None:
        """Ask IB to cancel; unknown or done orders raise UnknownOrderError."""
        known = self._handles.get(handle.order_id)
        if known is None or known.is_done:
            raise UnknownOrderError(
                f"order {handle.order_id} is unknown to this gateway or already done"
            )
        self._ib.cancelOrder(known.trade.order)

    # ------------------------------------------------------------------ IB events
    def on_open_order(self, trade: Trade) -> None:
        """An openOrder message: follow an order no handle tracks yet (foreign ones too).

        For a tracked order with an amendment in flight, IB's terms matching the
        amendment confirm it: a later error no longer puts the old terms back.
        """
        handle = self._handle_for(trade)
        if handle is None:
            if trade.orderStatus.status not in IB_DONE:
                self._adopt(trade)
            return
        if handle.amended_from is not None and _terms(trade.order) == _terms(
            to_ib_order(handle.request)
        ):
            handle.amended_from = None

    def on_order_status(self, trade: Trade) -> None:
        """An orderStatus message: update the order's handle."""
        handle = self._handle_for(trade)
        if handle is not None:
            self._publish(handle, self._event(handle, trade, None))

    def on_exec_details(self, trade: Trade, fill: IBFill) -> None:
        """An execution: the fill reaches its handle at once."""
        handle = self._handle_for(trade)
        if handle is not None:
            self._publish(handle, self._event(handle, trade, fill_from_ib(fill)))

    def on_error(self, req_id: int, code: int, message: str, *_contract: object) -> None:
        """ib_async's errorEvent: IB refused an amendment, so the handle keeps the old terms.

        ib_async only logs such an error; without this the handle (and the gate's ledger,
        which counts its remaining quantity) would show terms IB never took. The change is
        published as an order event carrying IB's message.
        """
        handle = self._handles.get(req_id)
        if handle is None or handle.amended_from is None or code not in AMEND_REFUSED:
            return
        refused, handle.request, handle.amended_from = handle.request, handle.amended_from, None
        _log.warning(
            "gateway.amend_refused",
            order_id=req_id,
            code=code,
            message=message,
            kept_quantity=handle.request.quantity,
            refused_quantity=refused.quantity,
        )
        remaining = 0.0 if handle.is_done else max(0.0, handle.request.quantity - handle.filled)
        message = f"amendment refused by IB (error {code}): {message}"
        if handle.is_done:  # a done handle takes no more events: put its last one right here
            handle.remaining, handle.message = remaining, message
        self._publish(
            handle,
            OrderEvent(
                handle.order_id,
                handle.instrument.symbol,
                handle.status,
                handle.filled,
                remaining,
                handle.avg_fill_price,
                message,
            ),
        )

    def on_position(self, position: IBPosition) -> None:
        """A position message: observers reconcile with it."""
        update = position_from_ib(position)
        for observer in tuple(self._observers):
            try:
                observer.on_position(update)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the gateway)
                _log.exception("gateway.observer_failed", symbol=update.symbol)

    def rebind(self) -> int:
        """After a reconnect: follow ib_async's new Trades, catch up on missed events.

        Returns how many handles were rebound; working orders no handle tracked yet are
        adopted.
        """
        rebound = 0
        for trade in self._ib.trades():
            handle = self._handles.get(trade.order.orderId) if trade.order.orderId else None
            before = handle.trade if handle is not None else None
            handle = self._handle_for(trade)
            if handle is None:
                continue
            if before is not None and before is not handle.trade:
                rebound += 1
            known = {fill.exec_id for fill in handle.fills}
            for ib_fill in trade.fills:
                if ib_fill.execution.execId not in known:
                    self._publish(handle, self._event(handle, trade, fill_from_ib(ib_fill)))
            self._publish(handle, self._event(handle, trade, None))
        self.adopt_open_trades()
        return rebound

    def foreign_working(self) -> bool:
        """True while a foreign order (another client's, TWS's) is followed as working."""
        return any(handle.foreign for handle in self._open.values())

    async def follow_global_cancel(self, lock: asyncio.Lock, timeout: float) -> None:
        """After a global cancel, wait (up to ``timeout`` s) until foreign orders are gone.

        IB does not stream other clients' cancels to us, so this asks for the account's
        open orders until the foreign ones this book follows are no longer listed. ``lock``
        serialises the request with the gateway's resync: ib_async keys these
        requests by a fixed name, so two at once would collide.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.foreign_working() and loop.time() < deadline:
            await asyncio.sleep(0.1)
            async with lock:
                trades = await asyncio.wait_for(self._ib.reqAllOpenOrdersAsync(), timeout)
            self.retire_missing_foreign(
                {t.order.permId for t in trades if t.orderStatus.status not in IB_DONE}
            )

    def retire_missing_foreign(self, open_perm_ids: set[int]) -> None:
        """Close the foreign handles IB no longer lists as open.

        IB streams an order's updates to the client that placed it, not to us; after a
        global cancel, a fresh list of the account's open orders is how we learn it is
        gone. Whether it was cancelled or filled, the position messages tell the ledger.
        """
        for handle in list(self._open.values()):
            if handle.foreign and _perm_id(handle.trade) not in open_perm_ids:
                event = OrderEvent(
                    handle.order_id,
                    handle.instrument.symbol,
                    OrderStatus.CANCELLED,
                    handle.filled,
                    0.0,
                    handle.avg_fill_price,
                    "no longer open at IB (after the global cancel)",
                )
                self._publish(handle, event)

    def adopt_open_trades(self) -> None:
        """Follow working orders no handle tracks yet (earlier sessions, other clients, TWS).

        So they count as exposure, and a kill switch cancels them.
        """
        for trade in self._ib.openTrades():
            if self._handle_for(trade) is None:
                self._adopt(trade)

    # ------------------------------------------------------------------ internals
    def _handle_for(self, trade: Trade) -> IBOrderHandle | None:
        """The handle a Trade belongs to: by order id, or by permId for replayed orders.

        Orders replayed after a reconnect as completed orders carry no order id, only the
        permId IB assigned; handles remember it from the first openOrder/orderStatus.
        """
        order = trade.order
        handle = None
        if order.orderId > 0 and order.clientId == self._client_id:
            handle = self._handles.get(order.orderId)
        perm_id = _perm_id(trade)
        if handle is None and perm_id:
            handle = self._by_perm_id.get(perm_id)
        if handle is None:
            return None
        if perm_id:
            self._by_perm_id[perm_id] = handle
        if handle.trade is not trade:
            handle.trade = trade  # ib_async rebuilt the Trade (reconnect): follow it
        return handle

    def _adopt(self, trade: Trade) -> None:
        order = trade.order
        perm_id = _perm_id(trade)
        own_id = order.clientId == self._client_id and order.orderId > 0
        if not own_id and not perm_id:
            return  # not identifiable yet; IB sends the permId with the next message
        order_id = order.orderId if own_id else -perm_id
        if order_id in self._handles:
            return
        # Under our own id but not the door's (it tracks every order it sends): no decision.
        foreign = not own_id or self._session_up
        try:
            instrument = instrument_from_ib(trade.contract)
            request = _adopted_request(order, order_id)
        except Exception as exc:  # noqa: BLE001  (one odd order must not break connect)
            _log.error(
                "gateway.open_order_not_adopted",
                order_id=order.orderId,
                perm_id=perm_id,
                error=f"{type(exc).__name__}: {exc}",
            )
            return
        handle = IBOrderHandle(order_id, instrument, request, trade, foreign=foreign)
        self._handles[order_id] = handle
        self._open[order_id] = handle
        if perm_id:
            self._by_perm_id[perm_id] = handle
        _log.info(
            "gateway.open_order_adopted",
            order_id=order_id,
            client_id=order.clientId,
            foreign=foreign,
            symbol=handle.instrument.symbol,
        )
        self._publish(handle, self._event(handle, trade, None))

    def _event(self, handle: IBOrderHandle, trade: Trade, fill: Fill | None) -> OrderEvent:
        status, message = status_from_trade(trade)
        order_status = trade.orderStatus
        filled = float(order_status.filled or 0.0)
        if fill is not None:
            filled = max(filled, sum(f.quantity for f in handle.fills) + fill.quantity)
            status = OrderStatus.SUBMITTED if not status.is_done else status
        remaining = max(0.0, handle.request.quantity - filled)
        if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            remaining = 0.0
        avg = float(order_status.avgFillPrice or 0.0)
        if fill is not None and not avg:
            avg = fill.price
        return OrderEvent(
            handle.order_id, handle.instrument.symbol, status, filled, remaining, avg, message, fill
        )

    def _publish(self, handle: IBOrderHandle, event: OrderEvent) -> None:
        handle.apply(event)
        if handle.is_done:
            self._open.pop(handle.order_id, None)
            self._retire(handle)
        for observer in tuple(self._observers):
            try:
                observer.on_order(handle)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the gateway)
                _log.exception("gateway.observer_failed", order_id=event.order_id)
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001  (a subscriber's bug must not break the gateway)
                _log.exception("gateway.listener_failed", order_id=event.order_id)

    def _retire(self, handle: IBOrderHandle) -> None:
        """Forget done orders beyond the most recent few, so memory stays flat.

        The recent ones stay known, so a fill IB reports after the final status still
        reaches its handle.
        """
        if handle.order_id in self._retired_ids:
            return
        self._retired_ids.add(handle.order_id)
        self._retired.append(handle)
        if len(self._retired) > _RETAINED_DONE:
            old = self._retired.popleft()
            self._retired_ids.discard(old.order_id)
            self._handles.pop(old.order_id, None)
            perm_id = _perm_id(old.trade)
            if perm_id:
                self._by_perm_id.pop(perm_id, None)


def _adopted_request(order: Order, order_id: int) -> OrderRequest:
    """The request an adopted order is followed as: its own, else a market equivalent.

    An order HYDRA cannot express (a REL, VWAP or PEG order; a DTC time in force) still
    counts (fail closed): as a market order of its side and quantity, so its whole
    remaining quantity is exposure valued at the reference price, it is audited as
    ``order.foreign`` and the kill switch cancels it.
    """
    try:
        return order_request_from_ib(order)
    except InvalidInputError as exc:
        _log.warning(
            "gateway.open_order_counted_as_market",
            order_id=order_id,
            order_type=order.orderType,
            tif=order.tif,
            error=str(exc),
        )
        return market_equivalent_from_ib(order)


def _perm_id(trade: Trade) -> int:
    """IB's permanent id of an order (0 until IB has reported it)."""
    return int(trade.order.permId or trade.orderStatus.permId or 0)


def _terms(order: Order) -> tuple[float, ...]:
    """What an amendment changes, as IB's openOrder echoes it onto the trade's order.

    ib_async copies quantity, limit and aux price; a trailing percent it leaves as sent, so
    an amended percent is never taken as confirmed (a later refusal still puts it back).
    """
    return (
        float(order.totalQuantity or 0.0),
        float(order.lmtPrice or 0.0),
        float(order.auxPrice or 0.0),
        float(order.trailingPercent or 0.0),
    )
