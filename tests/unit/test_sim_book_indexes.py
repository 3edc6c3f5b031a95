"""The simulator book's indexes: a fill finds what it touches, ended orders leave no trace."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hydra.adapters.sim.book import OrderBook, Working
from hydra.application import OrderHandle
from hydra.domain import Instrument, OrderRequest, OrderType, Side, TimeInForce

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
AAPL, MSFT = Instrument("AAPL", con_id=1), Instrument("MSFT", con_id=2)
UNRELATED = 5_000


class _Book:
    """An order book with its fills and cancels recorded, and order ids handed out."""

    def __init__(self) -> None:
        self.fills: list[tuple[int, float]] = []
        self.cancels: list[tuple[int, str]] = []
        self.book = OrderBook(
            lambda handle, price: self.fills.append((handle.order_id, price)),
            lambda handle, why: self.cancels.append((handle.order_id, why)),
        )
        self._ids = itertools.count(1)

    def add(
        self,
        request: OrderRequest,
        *,
        instrument: Instrument = AAPL,
        parent: int | None = None,
        oca: str = "",
        price: float | None = None,
    ) -> int:
        order_id = next(self._ids)
        handle = OrderHandle(order_id, instrument, request, parent_id=parent, oca_group=oca)
        active = parent is None or parent not in self.book
        self.book.add(Working(handle, instrument.con_id, active, parent=parent, oca=oca), price)
        return order_id

    def rest_unrelated(self) -> None:
        """Orders far from any price used here, in both contracts, in groups of their own."""
        for i in range(UNRELATED):
            side, limit = (Side.BUY, 50.0) if i % 2 else (Side.SELL, 500.0)
            self.add(
                OrderRequest.limit(side, 1, limit),
                instrument=(AAPL, MSFT)[i % 3 == 0],
                oca=f"other-{i % 7}" if i % 5 == 0 else "",
            )


def _indexes(book: OrderBook) -> dict[str, int]:
    """How many keys each of the book's private indexes holds (memory must stay bounded)."""
    return {
        "by_contract": len(book._by_contract),
        "by_parent": len(book._by_parent),
        "by_group": len(book._by_group),
        "at_close": len(book._at_close),
        "expiring": len(book._expiring),
    }


def test_a_fill_finds_its_children_and_group_among_many_unrelated_orders() -> None:
    """Among 5,000 resting orders a bracket's fill wakes its children and OCA fills cancel."""
    sim = _Book()
    sim.rest_unrelated()
    entry = sim.add(OrderRequest.limit(Side.BUY, 10, 100.0))
    take_profit = sim.add(OrderRequest.limit(Side.SELL, 10, 120.0), parent=entry)
    stop_loss = sim.add(OrderRequest.stop(Side.SELL, 10, 90.0), parent=entry)
    low = sim.add(OrderRequest.limit(Side.BUY, 5, 95.0), oca="entry")
    high = sim.add(OrderRequest.stop(Side.BUY, 5, 130.0), oca="entry")
    sim.book.on_price(AAPL.con_id, 100.0)
    assert sim.fills == [(entry, 100.0)]
    sim.book.on_price(AAPL.con_id, 89.0)
    assert sim.fills == [(entry, 100.0), (stop_loss, 89.0), (low, 89.0)]
    assert sim.cancels == [
        (take_profit, f"OCA: order {stop_loss} filled"),
        (high, f"OCA: order {low} filled"),
    ]
    assert len(sim.book.orders) == UNRELATED


def test_ended_orders_leave_every_index() -> None:
    """Filled, cancelled, auctioned and expired orders leave no key behind in any index."""
    sim = _Book()
    later = NOW + timedelta(hours=1)
    for n in range(200):
        entry = sim.add(OrderRequest.limit(Side.BUY, 1, 100.0))
        sim.add(OrderRequest.limit(Side.SELL, 1, 120.0), parent=entry, oca=f"bracket-{n}")
        sim.add(OrderRequest.stop(Side.SELL, 1, 90.0), parent=entry, oca=f"bracket-{n}")
        sim.add(OrderRequest(Side.BUY, 1, OrderType.MARKET_ON_CLOSE), instrument=MSFT)
        sim.add(
            OrderRequest.limit(Side.BUY, 1, 10.0, tif=TimeInForce.GTD, good_till=later),
            instrument=MSFT,
        )
        cancelled = sim.add(OrderRequest.limit(Side.BUY, 1, 10.0), oca=f"left-{n}")
        sim.book.cancel(cancelled, "by request")
    sim.book.on_price(AAPL.con_id, 100.0)  # the entries fill; their children wake
    sim.book.on_price(AAPL.con_id, 121.0)  # each take-profit fills and cancels its stop
    sim.book.close({MSFT.con_id: 300.0})  # the MOCs fill
    sim.book.expire(later)  # the GTDs expire
    assert sim.book.orders == {}
    assert _indexes(sim.book) == dict.fromkeys(_indexes(sim.book), 0)
    assert len(sim.fills) == 600


def test_an_amendment_refiles_the_order_under_its_new_request() -> None:
    """An order amended to GTD expires and one amended from GTD to GTC no longer does."""
    sim = _Book()
    later = NOW + timedelta(hours=1)
    sim.rest_unrelated()
    becomes_gtd = sim.add(OrderRequest.limit(Side.BUY, 1, 10.0))
    stays = sim.add(OrderRequest.limit(Side.BUY, 1, 10.0, tif=TimeInForce.GTD, good_till=later))
    gtd = OrderRequest.limit(Side.BUY, 1, 11.0, tif=TimeInForce.GTD, good_till=later)
    sim.book.amend(becomes_gtd, gtd, None)
    sim.book.amend(stays, OrderRequest.limit(Side.BUY, 1, 11.0, tif=TimeInForce.GTC), None)
    sim.book.expire(later)
    assert sim.cancels == [(becomes_gtd, "GTD order expired")]
    assert stays in sim.book
    assert _indexes(sim.book)["expiring"] == 0
