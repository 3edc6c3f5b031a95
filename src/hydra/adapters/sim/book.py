"""The simulator's order book: when each working order triggers, fills, expires or is cancelled.

Every IB order type the domain knows is modelled at the reference price ``p`` of its
contract (fills are whole, at ``p``):

* MKT fills at once; LMT when ``p`` reaches the limit (a buy at or below, a sell at or
  above);
* STP triggers when ``p`` trades through the stop (a buy at or above, a sell at or below)
  and fills as a market order; STP LMT then rests as a limit at its limit price;
* MIT triggers when ``p`` touches the price from the other side (a buy at or below, a sell
  at or above); LIT then rests as a limit;
* TRAIL keeps the best price seen since it was placed and a stop ``trailing_amount`` (or
  ``trailing_percent``) behind it, and triggers like a stop; TRAIL LIMIT then rests as a
  limit ``limit_offset`` beyond the stop;
* MOC fills in the closing auction (``close``) at the closing price; LOC there if the
  price reaches its limit;
* IOC and FOK that do not fill on arrival are cancelled; GTD orders expire at
  ``good_till``.

Order lists: a bracket's children are inactive until their parent fills, then become
live (and are judged at once at the current price); the children of one parent, and the
members of one OCA group, cancel each other when one fills. Cancelling a parent cancels
its children. An amendment replaces a working order's quantity and prices in place.

A fill, a cancel, the closing auction and expiry cost what they touch, not what rests: the
book indexes its orders by contract, by parent, by OCA group, and keeps apart the few
that the auction (MOC/LOC) or the clock (GTD) can end. Whatever walks several of them
does so in arrival order, the order the book took them in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from hydra.application import OrderHandle
from hydra.domain import OrderRequest, OrderType, Side, TimeInForce
from hydra.domain._members import BUY, LIMIT, MARKET

__all__ = ["OrderBook", "Working"]

FillOrder = Callable[[OrderHandle, float], None]
"""Books a whole fill of the order at the price and reports it."""
CancelOrder = Callable[[OrderHandle, str], None]
"""Reports the order cancelled, with why."""

_Key = TypeVar("_Key", bound=Hashable)
_AT_CLOSE = (OrderType.MARKET_ON_CLOSE, OrderType.LIMIT_ON_CLOSE)


@dataclass(slots=True)
class Working:
    """One working order as the book tracks it."""

    handle: OrderHandle
    con_id: int
    active: bool = True  # False: a bracket child waiting for its parent's fill
    triggered: bool = False  # a stop or touch order whose trigger has traded
    extreme: float | None = None  # a trailing stop: the best price since it was placed
    parent: int | None = None
    oca: str = ""
    arrival: int = 0  # set by the book: its place in the order the book took its orders

    @property
    def request(self) -> OrderRequest:
        """The order as it stands (amendments replace it)."""
        return self.handle.request


class OrderBook:
    """The working orders of a simulator, and the rules that fill or end them.

    Args:
        fill: called to book and report a fill.
        cancel: called to report a cancel.
    """

    def __init__(self, fill: FillOrder, cancel: CancelOrder) -> None:
        self._fill = fill
        self._cancel = cancel
        self.orders: dict[int, Working] = {}
        self._arrivals = itertools.count()
        # Indexes over ``orders``, kept by ``_take`` / ``_remove`` (empty buckets go, so
        # memory follows what is working): a fill or a cancel then costs what it touches.
        self._by_contract: dict[int, dict[int, Working]] = {}
        self._by_parent: dict[int, dict[int, Working]] = {}
        self._by_group: dict[str, dict[int, Working]] = {}
        self._at_close: dict[int, Working] = {}  # MOC / LOC
        self._expiring: dict[int, Working] = {}  # GTD
        # OCA groups one of whose orders filled: an order that joins later is cancelled,
        # as IB cancels it (the most recent groups only: memory stays flat).
        self._filled_groups: dict[str, None] = {}

    def __contains__(self, order_id: int) -> bool:
        return order_id in self.orders

    def arrive(
        self,
        handle: OrderHandle,
        con_id: int,
        price: float | None,
        *,
        active: bool = True,
        parent: int | None = None,
        oca: str = "",
    ) -> None:
        """A new order at ``price``: filled at once if it can be, else taken (``add``).

        perf: sim_submit_fill. An order that fills on arrival never rests: nothing is built
        or indexed for it, and no child of it has arrived yet (a list's legs come parent
        first). An OCA member always goes through ``add`` (its group may have filled).
        """
        if price is not None and active and not oca and _fills_now(handle.request, price):
            self._fill(handle, price)
            return
        self.add(Working(handle, con_id, active=active, parent=parent, oca=oca), price)

    def add(self, working: Working, price: float | None) -> None:
        """Take a new order; if it is live, judge it at once at ``price``."""
        if working.oca and working.oca in self._filled_groups:
            self._cancel(working.handle, f"OCA group {working.oca!r} already filled")
            return
        request = working.request
        self._take(working)
        if request.order_type.is_trailing and price is not None:
            working.extreme = price
        if not working.active:
            return
        filled = price is not None and self._judge(working, price)
        if not filled and request.tif in (TimeInForce.IOC, TimeInForce.FOK):
            self.cancel(working.handle.order_id, f"{request.tif.value} order not marketable")

    def on_price(self, con_id: int, price: float) -> None:
        """A new price for one contract: judge every live order in it."""
        for working in list(self._by_contract.get(con_id, {}).values()):
            if working.active and working.handle.order_id in self.orders:
                self._judge(working, price)

    def close(self, prices: dict[int, float]) -> None:
        """The closing auction: MOC fills at the closing price, LOC if it reaches its limit.

        An MOC or LOC the auction does not fill is cancelled.
        """
        for working in _in_arrival(self._at_close.values()):
            request = working.request
            price = prices.get(working.con_id)
            kind = request.order_type
            if kind in _AT_CLOSE and working.active:
                if price is not None and (
                    kind is OrderType.MARKET_ON_CLOSE or _reaches(request, price)
                ):
                    self._filled(working, price)
                else:
                    self.cancel(working.handle.order_id, "not filled in the closing auction")

    def expire(self, now: datetime) -> None:
        """Cancel the GTD orders whose ``good_till`` has passed."""
        for working in _in_arrival(self._expiring.values()):
            good_till = working.request.good_till
            if good_till is not None and now >= good_till:
                self.cancel(working.handle.order_id, "GTD order expired")

    def cancel(self, order_id: int, why: str) -> None:
        """End a working order (and its bracket children)."""
        working = self._remove(order_id)
        if working is None:
            return
        self._cancel(working.handle, why)
        for child in self._children(order_id):
            self.cancel(child.handle.order_id, f"parent order {order_id} ended: {why}")

    def amend(self, order_id: int, request: OrderRequest, price: float | None) -> None:
        """Replace a working order's request in place, then judge it at ``price``."""
        working = self.orders[order_id]
        working.handle.request = request
        self._track(working)
        working.triggered = False
        if request.order_type.is_trailing and price is not None:
            working.extreme = price
        if working.active and price is not None:
            self._judge(working, price)

    # ------------------------------------------------------------------ internals
    def _judge(self, working: Working, price: float) -> bool:
        """Fill the order if ``price`` fills it; True when it did."""
        request = working.request
        kind = request.order_type
        if kind in _AT_CLOSE:
            return False
        if _fills_now(request, price):
            self._filled(working, price)
            return True
        if kind.is_trailing:
            self._trail(working, price)
        if not working.triggered and kind is not OrderType.LIMIT:
            working.triggered = _triggers(working, price)
        if not working.triggered:
            return False
        if kind in (OrderType.STOP, OrderType.MARKET_IF_TOUCHED, OrderType.TRAILING_STOP):
            self._filled(working, price)
            return True
        if _reaches_after_trigger(working, price):
            self._filled(working, price)
            return True
        return False

    def _trail(self, working: Working, price: float) -> None:
        best = working.extreme
        if best is None:
            working.extreme = price
        elif working.request.side is Side.SELL:
            working.extreme = max(best, price)
        else:
            working.extreme = min(best, price)

    def _filled(self, working: Working, price: float) -> None:
        order_id = working.handle.order_id
        if self._remove(order_id) is None:
            return
        self._fill(working.handle, price)
        for child in self._children(order_id):
            child.active = True
        for child in self._children(order_id):
            if child.handle.order_id in self.orders:
                self._judge(child, price)
        if working.oca:
            self._filled_groups[working.oca] = None
            if len(self._filled_groups) > _GROUPS_KEPT:
                del self._filled_groups[next(iter(self._filled_groups))]
        for sibling in self._siblings(working):
            self.cancel(sibling.handle.order_id, f"OCA: order {order_id} filled")

    def _take(self, working: Working) -> None:
        order_id = working.handle.order_id
        working.arrival = next(self._arrivals)
        self.orders[order_id] = working
        _bucket(self._by_contract, working.con_id)[order_id] = working
        if working.parent is not None:
            _bucket(self._by_parent, working.parent)[order_id] = working
        if working.oca:
            _bucket(self._by_group, working.oca)[order_id] = working
        self._track(working)

    def _track(self, working: Working) -> None:
        """File the order under what its request makes it (an amendment may change it)."""
        order_id = working.handle.order_id
        request = working.request
        for index, member in (
            (self._at_close, request.order_type in _AT_CLOSE),
            (self._expiring, request.good_till is not None),
        ):
            if member:
                index[order_id] = working
            else:
                index.pop(order_id, None)

    def _remove(self, order_id: int) -> Working | None:
        working = self.orders.pop(order_id, None)
        if working is None:
            return None
        _drop(self._by_contract, working.con_id, order_id)
        if working.parent is not None:
            _drop(self._by_parent, working.parent, order_id)
        if working.oca:
            _drop(self._by_group, working.oca, order_id)
        self._at_close.pop(order_id, None)
        self._expiring.pop(order_id, None)
        return working

    def _children(self, parent: int) -> list[Working]:
        return list(self._by_parent.get(parent, {}).values())

    def _siblings(self, working: Working) -> list[Working]:
        """The orders one fill cancels: the same parent's other children, the OCA group."""
        found: dict[int, Working] = {}
        if working.parent is not None:
            found.update(self._by_parent.get(working.parent, {}))
        if working.oca:
            found.update(self._by_group.get(working.oca, {}))
        return _in_arrival(found.values())


def _bucket(index: dict[_Key, dict[int, Working]], key: _Key) -> dict[int, Working]:
    bucket = index.get(key)
    if bucket is None:
        bucket = index[key] = {}
    return bucket


def _drop(index: dict[_Key, dict[int, Working]], key: _Key, order_id: int) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.pop(order_id, None)
        if not bucket:
            del index[key]


def _in_arrival(orders: Iterable[Working]) -> list[Working]:
    """A copy of ``orders`` in the order the book took them (ending one edits the index)."""
    return sorted(orders, key=lambda working: working.arrival)


_GROUPS_KEPT = 10_000


def stop_price(working: Working) -> float | None:
    """The price that triggers the order now (a trailing stop's follows the best price)."""
    request = working.request
    if not request.order_type.is_trailing:
        return request.stop_price
    best = working.extreme
    if best is None:
        return None
    distance = (
        request.trailing_amount
        if request.trailing_amount is not None
        else best * (request.trailing_percent or 0.0) / 100.0
    )
    return best - distance if request.side is Side.SELL else best + distance


def _fills_now(request: OrderRequest, price: float) -> bool:
    """A market order, or a limit the price reaches: it fills at ``price`` at once."""
    kind = request.order_type
    return kind is MARKET or (kind is LIMIT and _reaches(request, price))


def _reaches(request: OrderRequest, price: float) -> bool:
    limit = request.limit_price
    assert limit is not None  # noqa: S101  (the type carries one)
    return price <= limit if request.side is BUY else price >= limit


def _triggers(working: Working, price: float) -> bool:
    request = working.request
    trigger = stop_price(working)
    if trigger is None:
        return False
    touch = request.order_type in (OrderType.MARKET_IF_TOUCHED, OrderType.LIMIT_IF_TOUCHED)
    buy = request.side is Side.BUY
    if touch:  # if touched: a buy when the price falls to it, a sell when it rises to it
        return price <= trigger if buy else price >= trigger
    return price >= trigger if buy else price <= trigger  # a stop: traded through


def _reaches_after_trigger(working: Working, price: float) -> bool:
    """A triggered STP LMT / LIT / TRAIL LIMIT: does ``price`` reach its limit?"""
    request = working.request
    if request.order_type is OrderType.TRAILING_STOP_LIMIT:
        trigger = stop_price(working)
        assert trigger is not None  # noqa: S101  (triggered, so it has one)
        offset = request.limit_offset or 0.0
        limit = trigger - offset if request.side is Side.SELL else trigger + offset
        return price >= limit if request.side is Side.SELL else price <= limit
    return _reaches(request, price)
