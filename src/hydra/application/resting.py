"""One instrument's working limit orders, for the self-cross check: the best price per side."""

from __future__ import annotations

import heapq

from hydra.domain import Side
from hydra.domain._members import BUY, SELL

__all__ = ["RestingBook"]


class RestingBook:
    """One instrument's working limit orders: the best price on each side, at once.

    Two heaps (highest buy, lowest sell) with lazy deletion: an order that ends, or an
    amendment's old price, stays in its heap until it reaches the top, where the live
    prices (``_live``) show it is stale. Adding and finding cost O(log n) and O(1)
    amortised, whatever rests; the heaps are rebuilt when stale entries outnumber the
    live ones, so memory follows the orders resting, not those that ever rested.

    A new price waits in ``_pending`` until the next ``best``: an order that ends before
    then (one that fills on arrival) never enters a heap. perf: gate_pass_book_5000.
    """

    __slots__ = ("_buys", "_live", "_pending", "_sells")

    def __init__(self) -> None:
        self._buys: list[tuple[float, int]] = []  # (-price, order id): the highest first
        self._sells: list[tuple[float, int]] = []  # (price, order id): the lowest first
        self._live: dict[int, tuple[Side, float]] = {}
        self._pending: list[int] = []  # order ids whose live price is not in a heap yet

    def rest(self, order_id: int, side: Side, price: float) -> None:
        """An order rests at ``price`` (new, or amended to a new price)."""
        if self._live.get(order_id) == (side, price):
            return
        self._live[order_id] = (side, price)
        pending = self._pending
        pending.append(order_id)
        if len(pending) > 2 * len(self._live) + 64:
            # Nothing asked for the best price for a while (the self-cross check is off):
            # keep only the live ones, once each, so memory follows what rests.
            self._pending = [i for i in dict.fromkeys(pending) if i in self._live]

    def _push_pending(self) -> None:
        """Put the prices still live among the pending ones into their heaps."""
        live = self._live
        for order_id in self._pending:
            rests = live.get(order_id)
            if rests is None:
                continue  # ended before anything looked
            side, price = rests
            if side is BUY:
                heapq.heappush(self._buys, (-price, order_id))
            else:
                heapq.heappush(self._sells, (price, order_id))
        self._pending.clear()

    def remove(self, order_id: int) -> None:
        """An order no longer rests (filled, cancelled, rejected)."""
        self._live.pop(order_id, None)
        # Stale entries below the tops never surface by themselves: rebuild the heaps
        # from the live orders once they hold more stale than live, so memory stays flat.
        if len(self._buys) + len(self._sells) > 2 * len(self._live) + 64:
            self._buys = [(-p, i) for i, (s, p) in self._live.items() if s is BUY]
            self._sells = [(p, i) for i, (s, p) in self._live.items() if s is SELL]
            heapq.heapify(self._buys)
            heapq.heapify(self._sells)
            self._pending.clear()  # every live price is in the rebuilt heaps

    def best(self, side: Side, skip: tuple[int, ...] = ()) -> float | None:
        """The best live price on ``side`` (None when nothing rests there).

        ``skip`` leaves out a few orders (an amendment's own, a bracket child's entry):
        they are lifted off the top while the next is read, then put back.
        """
        if self._pending:
            self._push_pending()
        heap = self._buys if side is BUY else self._sells
        live = self._live
        lifted: list[tuple[float, int]] = []
        found = None
        while heap:
            key, order_id = heap[0]
            price = -key if side is BUY else key
            if live.get(order_id) != (side, price):
                heapq.heappop(heap)  # ended, or amended to another price since
            elif order_id in skip:
                lifted.append(heapq.heappop(heap))
            else:
                found = price
                break
        for entry in lifted:
            heapq.heappush(heap, entry)
        return found
