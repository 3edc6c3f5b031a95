"""How every read shows a contract and an order: all their fields, and the terms in one line.

``contract_fields`` is a contract as the positions and orders reads show it: ``symbol``
(kept for the clients that read it), ``label`` (the exact contract: ``ESZ6``, never just
``ES``) and the contract fields (None where the contract has none). ``order_json`` is an
open order with every field its type takes (None where it takes none), and ``terms``:
the same in one compact line for a table (``hydra orders``, the console), e.g.
``STP LMT 95 / 94.5 GTD 2026-12-31T21:00Z outside-RTH ref=abc reduce-only oca=g1 parent=12``
(prices: the trigger first, then the limit). Standard library only: the CLI's ``--ib``
reads show the same fields without the ``[control]`` extra.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from hydra.domain import Instrument, OrderRequest, TimeInForce

if TYPE_CHECKING:
    from hydra.application import OrderHandle

__all__ = ["contract_fields", "order_json", "order_terms"]


def contract_fields(instrument: Instrument) -> dict[str, Any]:
    """The instrument's symbol, label, contract id, type and contract fields (None: unset)."""
    return {
        "symbol": instrument.symbol,
        "label": instrument.label,
        "con_id": instrument.con_id,
        "sec_type": instrument.sec_type.value,
        "expiry": instrument.expiry or None,
        "strike": instrument.strike,
        "right": instrument.right.value if instrument.right is not None else None,
        "local_symbol": instrument.local_symbol or None,
        "trading_class": instrument.trading_class or None,
    }


def _price(value: float) -> str:
    return f"{value:.15g}"  # every digit a price has (":g" would round 5990.125)


def order_terms(order: OrderRequest, *, oca_group: str = "", parent_id: int | None = None) -> str:
    """The order's type, prices and terms in one line; a DAY order leaves its TIF out."""
    parts = [order.order_type.value]
    prices = [_price(p) for p in order.prices]
    if order.trailing_amount is not None:
        prices.insert(0, _price(order.trailing_amount))
    if order.trailing_percent is not None:
        prices.insert(0, f"{_price(order.trailing_percent)}%")
    if prices:
        parts.append(" / ".join(prices))
    if order.limit_offset is not None:
        parts.append(f"offset {_price(order.limit_offset)}")
    if order.tif is not TimeInForce.DAY:
        parts.append(order.tif.value)
    if order.good_till is not None:
        stamp = order.good_till.astimezone(UTC)
        parts.append(stamp.strftime("%Y-%m-%dT%H:%M:%SZ" if stamp.second else "%Y-%m-%dT%H:%MZ"))
    if order.outside_rth:
        parts.append("outside-RTH")
    if order.order_ref:
        parts.append(f"ref={order.order_ref}")
    if order.reduce_only:
        parts.append("reduce-only")
    if oca_group:
        parts.append(f"oca={oca_group}")
    if parent_id is not None:
        parts.append(f"parent={parent_id}")
    return " ".join(parts)


def order_json(handle: OrderHandle) -> dict[str, Any]:
    """An open order: its contract, every field of its request, its link to others, its state."""
    order = handle.request
    good_till = order.good_till
    return {
        "order_id": handle.order_id,
        **contract_fields(handle.instrument),
        "side": order.side.value,
        "quantity": order.quantity,
        "order_type": order.order_type.value,
        "limit_price": order.limit_price,
        "stop_price": order.stop_price,
        "trailing_amount": order.trailing_amount,
        "trailing_percent": order.trailing_percent,
        "limit_offset": order.limit_offset,
        "tif": order.tif.value,
        "good_till": good_till.isoformat() if good_till is not None else None,
        "outside_rth": order.outside_rth,
        "order_ref": order.order_ref or None,
        "reduce_only": order.reduce_only,
        "oca_group": handle.oca_group or None,
        "parent_id": handle.parent_id,
        "terms": order_terms(order, oca_group=handle.oca_group, parent_id=handle.parent_id),
        "status": handle.status.value,
        "filled": handle.filled,
        "remaining": handle.remaining,
        "foreign": handle.foreign,
    }
