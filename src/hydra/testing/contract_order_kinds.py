"""The rest of IB's order vocabulary on every adapter: TRAIL LIMIT, LIT, LOC, amended terms.

``BrokerContract`` includes this suite next to ``OrderVocabularyContract``. Fills happen
at the reference price of the moment, so a test that must show an order did *not* fill at
one price asserts the price it finally filled at: that holds over a socket too, where a
fill the adapter has not yet reported would pass a status check.
"""

from __future__ import annotations

from hydra.application import RiskGate
from hydra.application.records import DecisionRecord
from hydra.domain import OrderRequest, OrderStatus, OrderType, Side
from hydra.testing.contract_kit import (
    BrokerHarness,
    aapl_at_200,
    broker_caught_up,
    eventually,
    filled,
    long_aapl,
)

__all__ = ["OrderKindsContract"]


class OrderKindsContract:
    """TRAIL LIMIT, LIT and LOC, and amendments of a trail and of a quantity, on every adapter."""

    async def test_a_trailing_stop_limit_follows_then_fills_only_within_its_offset(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """TRAIL LIMIT 5.00 behind, offset 1.00: up to 210, 203 triggers, 204.5 fills (not 203)."""
        aapl = await long_aapl(harness, gate, 5)
        order = OrderRequest(
            Side.SELL, 5, OrderType.TRAILING_STOP_LIMIT, trailing_amount=5.0, limit_offset=1.0
        )
        trail = await gate.submit(aapl, order)
        assert trail is not None
        await eventually(lambda: trail.status is OrderStatus.SUBMITTED)
        # The stop follows to 210 - 5 = 205, so the limit is 204: 206 holds it, 203 triggers
        # it below its limit, 204.5 is within.
        for price in (203.0, 207.0, 210.0, 206.0, 203.0, 204.5):
            harness.set_price("AAPL", price)
        await filled(trail)
        assert trail.avg_fill_price == 204.5
        await eventually(lambda: not gate.broker.positions())

    async def test_limit_if_touched_rests_until_touched_then_works_as_a_limit(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Buy LITs touched at 195: one (limit 197) skips 197 and fills at 195, one (194) at 194."""
        aapl = await aapl_at_200(harness, gate)
        above, below = [
            await gate.submit(
                aapl, OrderRequest(Side.BUY, 1, OrderType.LIMIT_IF_TOUCHED, limit, stop_price=195.0)
            )
            for limit in (197.0, 194.0)
        ]
        assert above is not None
        assert below is not None
        await eventually(lambda: above.status is below.status is OrderStatus.SUBMITTED)
        # 197 is within the first limit but untouched; 195 touches both, and is beyond the
        # second limit, which then works as a limit through 196 until 194.
        for price in (197.0, 195.0, 196.0, 194.0):
            harness.set_price("AAPL", price)
        await filled(above)
        await filled(below)
        assert (above.avg_fill_price, below.avg_fill_price) == (195.0, 194.0)

    async def test_limit_on_close_fills_in_the_auction_only_within_its_limit(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """Buy LOCs at 199 and 197 skip 196 intraday; a 198 close fills one, cancels the other."""
        aapl = await aapl_at_200(harness, gate)
        within, beyond = [
            await gate.submit(aapl, OrderRequest(Side.BUY, 2, OrderType.LIMIT_ON_CLOSE, limit))
            for limit in (199.0, 197.0)
        ]
        assert within is not None
        assert beyond is not None
        await eventually(lambda: within.status is beyond.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 196.0)  # a plain limit would fill here
        harness.set_price("AAPL", 198.0)
        harness.close_market()
        await filled(within)
        assert within.avg_fill_price == 198.0
        assert await beyond.wait(timeout=5) is OrderStatus.CANCELLED
        assert beyond.filled == 0
        await eventually(lambda: [p.quantity for p in gate.broker.positions()] == [2])

    async def test_an_amended_trailing_stop_trails_by_the_new_amount(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A TRAIL 5.00 cut to 2.00 at 210, under the same id: 209 holds it, 207.5 fills it."""
        aapl = await long_aapl(harness, gate, 5)
        records: list[DecisionRecord] = []
        gate.subscribe(lambda r: records.append(r) if isinstance(r, DecisionRecord) else None)
        trail = await gate.submit(aapl, OrderRequest.trailing_stop(Side.SELL, 5, amount=5.0))
        assert trail is not None
        await eventually(lambda: trail.status is OrderStatus.SUBMITTED)
        harness.set_price("AAPL", 210.0)  # the stop follows to 205
        assert await gate.modify(trail, trailing_amount=2.0) is trail
        await broker_caught_up(harness, aapl)
        assert [r.amends for r in records] == [None, trail.order_id]
        assert [h.order_id for h in gate.broker.open_orders()] == [trail.order_id]
        for price in (209.0, 207.5):  # the stop is 208 now; by the old trail 207.5 holds
            harness.set_price("AAPL", price)
        await filled(trail)
        assert trail.avg_fill_price == 207.5
        assert trail.request.trailing_amount == 2.0

    async def test_an_amended_limit_quantity_goes_up_and_down_under_one_id(
        self, harness: BrokerHarness, gate: RiskGate
    ) -> None:
        """A buy of 3 raised to 6 fills 6; a sell of 6 cut to 4 fills 4: the long ends at 2."""
        aapl = await aapl_at_200(harness, gate)
        records: list[DecisionRecord] = []
        gate.subscribe(lambda r: records.append(r) if isinstance(r, DecisionRecord) else None)
        for order, quantity, price, position in (
            (OrderRequest.limit(Side.BUY, 3, 195.0), 6, 195.0, 6),
            (OrderRequest.limit(Side.SELL, 6, 205.0), 4, 205.0, 2),
        ):
            handle = await gate.submit(aapl, order)
            assert handle is not None
            await eventually(lambda h=handle: h.status is OrderStatus.SUBMITTED)  # type: ignore[misc]
            assert await gate.modify(handle, quantity=quantity) is handle
            await broker_caught_up(harness, aapl)
            assert records[-1].amends == handle.order_id
            assert [h.order_id for h in gate.broker.open_orders()] == [handle.order_id]
            harness.set_price("AAPL", price)
            await filled(handle)
            assert handle.filled == quantity
            await eventually(
                lambda p=position: [x.quantity for x in gate.broker.positions()] == [p]  # type: ignore[misc]
            )
        assert [r.amends is None for r in records] == [True, False, True, False]
