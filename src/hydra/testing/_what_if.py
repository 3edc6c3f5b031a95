"""whatIf previews: the margin an order would take, answered as IB does and never executed.

A placeOrder with ``whatIf`` set is answered with one openOrder whose order state carries
the account's margin and equity with loan before the order, the change it makes and the
result (``initMarginBefore/Change/After``, ``maintMargin...``, ``equityWithLoan...``) and
the commission, all in the base currency; the margin follows the gateway's
``MarginModel`` as if the order had filled at the reference price (its limit or stop
when unpriced). Nothing is kept or executed. A test can make the gateway leave previews
unanswered (the client times out), answer those late, or answer previews with an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing import _order_rules as rules
from hydra.testing import _wire_orders as wire_orders
from hydra.testing._contracts import AMBIGUOUS, NO_SECURITY_DEFINITION
from hydra.testing._market import MarketDesk
from hydra.testing._model import OrderRecord

if TYPE_CHECKING:
    from hydra.testing._core import Session
    from hydra.testing._instruments import ContractQuery, FakeInstrument
    from hydra.testing._model import PlacedOrder

__all__ = ["COMMISSION", "OFF_TICK", "WHAT_IF_MODES", "WhatIfDesk"]

# Flat commission per fill, in the instrument's currency, so tests can predict cash.
COMMISSION = 1.0
WHAT_IF_MODES = frozenset({"answer", "ignore", "error"})
OFF_TICK = "The price does not conform to the minimum price variation for this contract."


class WhatIfDesk(MarketDesk):
    """Validates orders, and answers whatIf previews with the margin model's figures."""

    _what_if_mode: str
    _what_if_error: str
    # Previews left unanswered in "ignore" mode, for a late answer.
    _ignored_previews: list[tuple[Session, PlacedOrder, ContractQuery]]

    def _validation_error(
        self,
        placed: PlacedOrder,
        inst: FakeInstrument | None = None,
        *,
        types: frozenset[str] = rules.ORDER_TYPES,
    ) -> str | None:
        """Why IB would refuse the order (error 201), or None.

        A market order needs a reference price to fill against (``inst`` unknown: the
        symbol as sent decides). ``types`` are the order types taken.
        """
        problem = rules.validation_error(placed, types=types)
        if problem is not None:
            return problem
        key = inst.key if inst is not None else placed.symbol
        if placed.order_type == "MKT" and key not in self._prices:
            return f"no reference price for {key}; call set_price() first"
        return None

    def _what_if(self, session: Session, placed: PlacedOrder, query: ContractQuery) -> None:
        """Answer a whatIf preview with margin and commission figures; nothing executes."""
        if self._what_if_mode == "ignore":
            self._ignored_previews.append((session, placed, query))
            return
        self._preview(session, placed, query)

    def _preview(self, session: Session, placed: PlacedOrder, query: ContractQuery) -> None:
        """The preview's answer: its figures, or the error the mode or the order calls for."""
        matches = self._match(query)
        if len(matches) != 1:
            text = AMBIGUOUS.format(query.describe()) if matches else NO_SECURITY_DEFINITION
            session.error(placed.order_id, 200, text)
            return
        inst = matches[0]
        problem = self._validation_error(placed, inst)
        if problem is None and self._what_if_mode == "error":
            problem = self._what_if_error
        price = self._prices.get(inst.key, placed.limit_price or placed.aux_price)
        if problem is None and price is None:
            problem = f"no reference price for {inst.key}"
        if problem is not None or price is None:
            session.error(placed.order_id, 201, f"Order rejected - reason:{problem}")
            return
        if rules.off_tick(placed, inst.min_tick) is not None:
            session.error(placed.order_id, 110, OFF_TICK)
            return
        signed = placed.quantity if placed.action == "BUY" else -placed.quantity
        init_before, maint_before = self._margin()
        init_after, maint_after = self._margin([(inst, signed, price)])
        equity = self._figures()["net_liq"]
        fee = COMMISSION * self._rate(inst.currency)
        preview = {
            "initMarginBefore": init_before,
            "maintMarginBefore": maint_before,
            "equityWithLoanBefore": equity,
            "initMarginChange": init_after - init_before,
            "maintMarginChange": maint_after - maint_before,
            "equityWithLoanChange": -fee,
            "initMarginAfter": init_after,
            "maintMarginAfter": maint_after,
            "equityWithLoanAfter": equity - fee,
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
            order_ref=placed.order_ref,
            status="PreSubmitted",
            aux_price=placed.aux_price,
            what_if=True,
        )
        session.send(wire_orders.open_order(session.version, record, inst, preview))
