"""One instrument's working limit orders, for the self-cross check: the best price per side."""

from __future__ import annotations

import heapq

from hydra.domain import Side

__all__ = ["RestingBook"]


class RestingBook:
    """One instrument's working limit orders: the best price on each side, at once.

    Two heaps (highest buy, lowest sell) with lazy deletion: an order that ends, or an
    amendment's old price, stays in its heap until it reaches the top, where the live
    prices (``_live``) show it is stale. Adding and finding cost O(log n) and O(1)
    amortised, whatever rests; the heaps are rebuilt when stale entries outnumber the
    live ones, so memory follows the orders resting, not those that ever rested.
    """

    __slots__ = ("_buys", "_live", "_sells")

    def __init__(self) -> None:
        self._buys: list[tuple[float, int]] = []  # (-price, order id): the highest first
        self._sells: list[tuple[float, int]] = []  # (price, order id): the lowest first
        self._live: dict[int, tuple[Side, float]] = {}

    def rest(self, order_id: int, side: Side, price: float) -> None:
        """An order rests at ``price`` (new, or amended to a new price)."""
        if self._live.get(order_id) == (side, price):
            return
        self._live[order_id] = (side, price)
        if side is Side.BUY:
            heapq.heappush(self._buys, (-price, order_id))
        else:
            heapq.heappush(self._sells, (price, order_id))

    def remove(self, order_id: int) -> None:
        """An order no longer rests (filled, cancelled, rejected)."""
        self._live.pop(order_id, None)
        # Stale entries below the tops never surface by themselves: rebuild the heaps
        # from the live orders once they hold more stale than live, so memory stays flat.
        if len(self._buys) + len(self._sells) > 2 * len(self._live) + 64:
            self._buys = [(-p, i) for i, (s, p) in self._live.items() if s is Side.BUY]
            self._sells = [(p, i) for i, (s, p) in self._live.items() if s is Side.SELL]
            heapq.heapify(self._buys)
            heapq.heapify(self._sells)

    def best(self, side: Side, skip: tuple[int, ...] = ()) -> float | None:
        """The best live price on ``side`` (None when nothing rests there).

        ``skip`` leaves out a few orders (an amendment's own, a bracket child's entry):
        they are lifted off the top while the next is read, then put back.
        """
        heap = self._buys if side is Side.BUY else self._sells
        live = self._live
        lifted: list[tuple[float, int]] = []
        found = None
        while heap:
            key, order_id = heap[0]
            price = -key if side is Side.BUY else key
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
