"""What each IB order type needs, when it triggers, and what it fills as: pure rules.

The fake gateway's price model is one reference price per instrument. Against it:

* STP (and STP LMT) buys trigger when the price rises to the stop, sells when it falls to
  it; MIT (and LIT) the other way round (a buy when the price falls to the trigger).
* TRAIL (and TRAIL LIMIT) keep a stop that follows the price by a trailing amount
  (``auxPrice``) or percentage (``trailingPercent``): a sell's stop only rises, a buy's
  only falls; it starts at ``trailStopPrice`` when the client sets one.
* Once triggered, STP, MIT and TRAIL fill as market orders; STP LMT and LIT rest as
  limits at ``lmtPrice``, TRAIL LIMIT at its stop less (sell) or plus (buy) its
  ``lmtPriceOffset``.
* MOC and LOC wait for the close the test triggers.
* Types TWS places that the fake does not model (``UNMODELLED_TYPES``: REL, VWAP,
  PEG...) may only be injected as foreign orders; such an order never triggers, so it
  rests until it is cancelled.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hydra.testing._model import OrderRecord, PlacedOrder

__all__ = [
    "AT_THE_CLOSE",
    "ORDER_TYPES",
    "TIFS",
    "UNMODELLED_TYPES",
    "follow",
    "limit_of",
    "off_tick",
    "on_tick",
    "round_to_tick",
    "triggered",
    "validation_error",
]

ORDER_TYPES = frozenset(
    {"MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MIT", "LIT", "MOC", "LOC"}
)
UNMODELLED_TYPES = frozenset({"REL", "VWAP", "PEG MID", "PEG MKT", "PEG BENCH"})
TIFS = frozenset({"DAY", "GTC", "IOC", "GTD", "OPG", "FOK", "DTC"})
AT_THE_CLOSE = frozenset({"MOC", "LOC"})
_TRAILING = frozenset({"TRAIL", "TRAIL LIMIT"})
_LIMITED = frozenset({"LMT", "LOC", "LIT", "STP LMT"})
_IF_TOUCHED = frozenset({"MIT", "LIT"})
# The price fields each type needs, with the name IB's error text uses.
_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "LMT": (("limit_price", "limit price"),),
    "LOC": (("limit_price", "limit price"),),
    "STP": (("aux_price", "stop (aux) price"),),
    "STP LMT": (("limit_price", "limit price"), ("aux_price", "stop (aux) price")),
    "MIT": (("aux_price", "trigger (aux) price"),),
    "LIT": (("limit_price", "limit price"), ("aux_price", "trigger (aux) price")),
    "TRAIL LIMIT": (("lmt_price_offset", "limit price offset"),),
}
_PRICE_FIELDS = ("limit_price", "aux_price", "trail_stop_price", "lmt_price_offset")


def validation_error(placed: PlacedOrder, *, types: frozenset[str] = ORDER_TYPES) -> str | None:
    """Why IB would refuse this order outright (error 201), or None.

    ``types`` are the order types taken (an injected foreign order may be unmodelled).
    """
    if placed.action not in {"BUY", "SELL"}:
        return f"action must be BUY or SELL, not {placed.action!r}"
    qty = placed.quantity
    if not math.isfinite(qty) or qty <= 0:
        return f"order quantity must be a positive finite number, not {qty!r}"
    kind = placed.order_type
    if kind not in types:
        return f"order type {kind!r} is not supported; use one of " + ", ".join(sorted(types))
    for name, label in _NEEDS.get(kind, ()):
        value = getattr(placed, name)
        if value is None:
            return f"a {kind} order needs a {label}"
    for name in _PRICE_FIELDS:
        value = getattr(placed, name)
        if value is not None and (not math.isfinite(value) or value <= 0):
            label = name.replace("_", " ")
            return f"the {label} must be a positive finite number, not {value!r}"
    if kind in _TRAILING:
        problem = _trailing_error(placed)
        if problem is not None:
            return problem
    return _tif_error(placed)


def _trailing_error(placed: PlacedOrder) -> str | None:
    amount, percent = placed.aux_price, placed.trailing_percent
    if (amount is None) == (percent is None):
        return "a trailing stop needs exactly one of a trailing amount (auxPrice) and a percent"
    if percent is not None and not 0 < percent < 100:
        return f"the trailing percent must be between 0 and 100, not {percent!r}"
    return None


def _tif_error(placed: PlacedOrder) -> str | None:
    tif = placed.tif or "DAY"
    if tif not in TIFS:
        return f"time in force {tif!r} is not supported; use one of " + ", ".join(sorted(TIFS))
    if tif == "GTD" and not placed.good_till_date.strip():
        return "a GTD order needs a goodTillDate"
    if placed.order_type in AT_THE_CLOSE and tif != "DAY":
        return f"a {placed.order_type} order is a DAY order, not {tif}"
    return None


def on_tick(value: float, tick: float) -> bool:
    """Whether ``value`` is a whole number of ``tick`` (within float noise)."""
    steps = value / tick
    return abs(steps - round(steps)) <= 1e-9 * max(1.0, abs(steps))


def off_tick(placed: PlacedOrder, tick: float) -> str | None:
    """The first price of the order that is not on the instrument's tick, or None."""
    for name in _PRICE_FIELDS:
        value = getattr(placed, name)
        if value is not None and math.isfinite(value) and not on_tick(value, tick):
            return f"{name.replace('_', ' ')} {value!r} (tick {tick!r})"
    return None


def round_to_tick(value: float, tick: float) -> float:
    """``value`` on the tick grid (half-even), without binary noise (5990.25, not ...26)."""
    step = Decimal(repr(float(tick)))
    whole = (Decimal(repr(float(value))) / step).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return float(whole * step)


def follow(order: OrderRecord, price: float, tick: float) -> None:
    """Move a trailing stop after the price: a sell's stop only rises, a buy's only falls."""
    if order.order_type not in _TRAILING or order.triggered:
        return
    distance = order.aux_price
    if distance is None:
        distance = price * (order.trailing_percent or 0.0) / 100.0
    buy = order.action == "BUY"
    candidate = round_to_tick(price + distance if buy else price - distance, tick)
    stop = order.trail_stop_price
    if stop is None:
        order.trail_stop_price = candidate
    elif buy:
        order.trail_stop_price = min(stop, candidate)
    else:
        order.trail_stop_price = max(stop, candidate)


def triggered(order: OrderRecord, price: float, tick: float) -> bool:
    """Whether the order may fill now: its trigger (if it has one) has been reached.

    A trailing stop's stop follows ``price`` first. MOC and LOC never trigger here: they
    wait for the close.
    """
    kind = order.order_type
    if kind in AT_THE_CLOSE:
        return False
    if order.triggered or kind in {"MKT", "LMT"}:
        return True
    buy = order.action == "BUY"
    if kind in _TRAILING:
        follow(order, price, tick)
        level = order.trail_stop_price
    else:
        level = order.aux_price
    if level is None:
        return False
    if kind in _IF_TOUCHED:
        hit = price <= level if buy else price >= level
    else:  # stops and trailing stops
        hit = price >= level if buy else price <= level
    order.triggered = hit
    return hit


def limit_of(order: OrderRecord, tick: float) -> float | None:
    """The limit the order fills within once triggered; None for a market fill."""
    kind = order.order_type
    if kind == "TRAIL LIMIT":
        stop, offset = order.trail_stop_price, order.lmt_price_offset or 0.0
        if stop is None:
            return None
        return round_to_tick(stop + offset if order.action == "BUY" else stop - offset, tick)
    if kind in _LIMITED:
        return order.limit_price
    return None
