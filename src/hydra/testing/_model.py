"""Value types and account bookkeeping shared by the fake gateway's wire layer and server."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hydra.testing._instruments import DEFAULT_INSTRUMENTS, FakeInstrument

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "ExecutionRecord",
    "FakeInstrument",
    "OrderRecord",
    "PlacedOrder",
    "PositionBook",
    "one_tick_quote",
]

# Below this magnitude a position is flat: repeated float sums of fills must not leave
# a 1e-15 share residue that would show up as a phantom position.
_FLAT_EPSILON = 1e-9


def one_tick_quote(price: float, min_tick: float) -> tuple[float, float]:
    """Return ``(bid, ask)`` one minimum tick either side of a reference price.

    Decimal arithmetic keeps the quote on the tick grid (190.0 - 0.01 is 189.99, not
    189.98999999999998). The bid never drops to zero or below: a price within one tick of
    zero is quoted with the bid at the price itself.
    """
    px, tick = Decimal(repr(float(price))), Decimal(repr(float(min_tick)))
    bid = px - tick if px - tick > 0 else px
    return float(bid), float(px + tick)


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """One placeOrder message as the gateway received it, before any validation.

    Attributes:
        order_id: The client's order id.
        client_id: The API client id of the connection that sent it.
        symbol: Contract symbol as sent (may be unknown to the gateway).
        action: ``"BUY"`` or ``"SELL"`` (whatever the client sent).
        quantity: Total quantity.
        order_type: IB order type as sent, e.g. ``"MKT"`` or ``"LMT"``.
        limit_price: Limit price, or ``None`` when the client sent none.
        tif: Time in force exactly as sent; ``""`` when the client left it unset.
        aux_price: The stop or trigger price (STP, STP LMT, MIT, LIT), or a trailing
            stop's trailing amount (TRAIL, TRAIL LIMIT); ``None`` when unset.
        parent_id: The parent order id of a bracket child, 0 for none.
        oca_group: The one-cancels-all group name, ``""`` for none.
        transmit: False when the client holds the order until a later transmit.
        what_if: True for a whatIf preview (never executed).
        con_id: The contract id as sent (0 when the client sent none).
        oca_type: IB's ocaType: 1 cancels the rest of the group on a fill, 2 and 3
            reduce them by the filled quantity.
        good_till_date: ``goodTillDate`` as sent (a GTD order's end).
        outside_rth: The ``outsideRth`` flag.
        order_ref: The client's ``orderRef``.
        trailing_percent: A trailing stop's trail as a percentage, or ``None``.
        trail_stop_price: A trailing stop's initial stop price, or ``None``.
        lmt_price_offset: A TRAIL LIMIT's limit offset from its stop, or ``None``.
    """

    order_id: int
    client_id: int
    symbol: str
    action: str
    quantity: float
    order_type: str
    limit_price: float | None
    tif: str
    aux_price: float | None = None
    parent_id: int = 0
    oca_group: str = ""
    transmit: bool = True
    what_if: bool = False
    con_id: int = 0
    oca_type: int = 0
    good_till_date: str = ""
    outside_rth: bool = False
    order_ref: str = ""
    trailing_percent: float | None = None
    trail_stop_price: float | None = None
    lmt_price_offset: float | None = None


@dataclass(slots=True)
class OrderRecord:
    """The gateway's live view of one order (mutable: status and fills change)."""

    client_id: int
    order_id: int
    perm_id: int
    instrument: FakeInstrument | None
    action: str
    quantity: float
    order_type: str
    limit_price: float | None
    tif: str
    account: str
    order_ref: str
    status: str
    filled: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    completed_time: str = ""
    completed_status: str = ""
    aux_price: float | None = None
    oca_group: str = ""
    oca_type: int = 0
    parent_id: int = 0
    # False while the client holds the order back (transmit=False) or a bracket child
    # waits for its parent's fill: the order rests as PreSubmitted and cannot fill.
    working: bool = True
    # A stop, if-touched or trailing order whose trigger has been reached: it is now a
    # market order, or rests as a limit order (STP LMT, LIT, TRAIL LIMIT).
    triggered: bool = False
    good_till_date: str = ""
    outside_rth: bool = False
    trailing_percent: float | None = None
    # A trailing stop's current stop price (it follows the price); IB's trailStopPrice.
    trail_stop_price: float | None = None
    lmt_price_offset: float | None = None
    what_if: bool = False
    # Placed from outside the API clients' view (TWS or another client, via
    # FakeIBGateway.inject_foreign_order): its updates go to every connection.
    foreign: bool = False

    @property
    def remaining(self) -> float:
        """Quantity still to fill."""
        return max(self.quantity - self.filled, 0.0)

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill or be cancelled."""
        return self.status in {"PreSubmitted", "Submitted"}


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One fill, kept so reconnecting clients can have it replayed."""

    exec_id: str
    client_id: int
    order_id: int
    perm_id: int
    instrument: FakeInstrument
    side: str
    shares: float
    price: float
    time: str
    cum_qty: float
    avg_price: float
    order_ref: str
    account: str
    commission: float
    realized_pnl: float | None


@dataclass(slots=True)
class PositionBook:
    """Positions with average cost and realized P&L, in instrument currency.

    Average cost is the plain average fill price per unit; unlike the real gateway it
    does not fold commissions in, so tests can assert it exactly.
    """

    quantities: dict[str, float]
    avg_costs: dict[str, float]
    realized: dict[str, float]

    @classmethod
    def empty(cls) -> PositionBook:
        """Create a flat book."""
        return cls({}, {}, {})

    def position(self, symbol: str) -> tuple[float, float]:
        """Return ``(quantity, avg_cost)`` for a symbol, ``(0.0, 0.0)`` when flat."""
        return self.quantities.get(symbol, 0.0), self.avg_costs.get(symbol, 0.0)

    def apply_fill(self, symbol: str, signed_qty: float, price: float, multiplier: float) -> float:
        """Book a fill and return the P&L it realized (0.0 for an opening fill).

        Args:
            symbol: Instrument symbol.
            signed_qty: Positive for a buy, negative for a sell.
            price: Fill price per unit.
            multiplier: Contract multiplier.

        Returns:
            The realized P&L of the closing part of the fill.
        """
        qty, avg = self.position(symbol)
        realized = 0.0
        new_qty = qty + signed_qty
        if abs(new_qty) < _FLAT_EPSILON:
            new_qty = 0.0
        if qty == 0.0 or (qty > 0) == (signed_qty > 0):
            new_avg = (qty * avg + signed_qty * price) / new_qty if new_qty else 0.0
        else:
            closed = min(abs(signed_qty), abs(qty))
            direction = 1.0 if qty > 0 else -1.0
            realized = (price - avg) * closed * direction * multiplier
            if new_qty == 0.0:
                new_avg = 0.0
            elif (new_qty > 0) != (qty > 0):
                # The fill flipped the position: the remainder opened at this price.
                new_avg = price
            else:
                new_avg = avg
        self.quantities[symbol] = new_qty
        self.avg_costs[symbol] = new_avg
        self.realized[symbol] = self.realized.get(symbol, 0.0) + realized
        return realized

    def open_symbols(self) -> list[str]:
        """Symbols with a non-zero position, in first-traded order."""
        return [s for s, q in self.quantities.items() if q != 0.0]
