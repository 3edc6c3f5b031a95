"""Decoding a client's placeOrder message (server versions 157..178).

The message is read in order, as TWS reads it: a fixed head, then blocks whose length a
count or flag announces (combo legs, delta-neutral, scale, hedge, algo, conditions),
which are skipped by it. Everything the fake gateway acts on is kept; a message that ends
early leaves the later fields unset.
"""

from __future__ import annotations

from dataclasses import dataclass

from hydra.testing._instruments import ContractQuery
from hydra.testing._wire import UNSET_DOUBLE, V_FA_PROFILE_DESUPPORT, contract_query, parse_number

__all__ = ["PlaceRequest", "parse_place_order"]

_UNSET = float(UNSET_DOUBLE)


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    """The parts of a placeOrder message the fake gateway acts on."""

    order_id: int
    contract: ContractQuery
    action: str
    quantity: float | None
    order_type: str
    limit_price: float | None
    aux_price: float | None
    tif: str
    oca_group: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    good_till_date: str
    oca_type: int
    trail_stop_price: float | None
    trailing_percent: float | None
    what_if: bool
    lmt_price_offset: float | None

    @property
    def con_id(self) -> int:
        """The contract id as sent."""
        return self.contract.con_id

    @property
    def symbol(self) -> str:
        """The symbol as sent (the local symbol when the client sent only that)."""
        return self.contract.symbol or self.contract.local_symbol


def _opt(value: float | None) -> float | None:
    """Clients send IB's unset double as either empty or the number itself."""
    return None if value is None or value == _UNSET else value


class _Cursor:
    def __init__(self, fields: list[str], start: int) -> None:
        self.fields = fields
        self.at = start

    def take(self) -> str:
        value = self.fields[self.at] if self.at < len(self.fields) else ""
        self.at += 1
        return value

    def number(self) -> float | None:
        return _opt(parse_number(self.take()))

    def flag(self) -> bool:
        return self.take().strip().lower() in {"1", "true"}

    def count(self) -> int:
        try:
            return max(int(self.take() or 0), 0)
        except ValueError:
            return 0

    def skip(self, count: int) -> None:
        self.at += count


@dataclass(slots=True)
class _Tail:
    """The fields after the fixed head, with their defaults when the message ends early."""

    outside_rth: bool = False
    good_till_date: str = ""
    oca_type: int = 0
    trail_stop_price: float | None = None
    trailing_percent: float | None = None
    what_if: bool = False
    lmt_price_offset: float | None = None


def _tail(fields: list[str], version: int, sec_type: str) -> _Tail:
    """Walk from transmit to lmtPriceOffset (see the client's placeOrder, field by field)."""
    tail = _Tail()
    cur = _Cursor(fields, 27)
    cur.skip(6)  # transmit, parentId, blockOrder, sweepToFill, displaySize, triggerMethod
    tail.outside_rth = cur.flag()
    cur.skip(1)  # hidden
    if sec_type == "BAG":
        cur.skip(8 * cur.count())  # combo legs
        cur.skip(cur.count())  # order combo leg prices
        cur.skip(2 * cur.count())  # smart combo routing params
    cur.skip(3)  # sharesAllocation, discretionaryAmt, goodAfterTime
    tail.good_till_date = cur.take()
    cur.skip(3)  # faGroup, faMethod, faPercentage
    if version < V_FA_PROFILE_DESUPPORT:
        cur.skip(1)  # faProfile
    cur.skip(4)  # modelCode, shortSaleSlot, designatedLocation, exemptCode
    tail.oca_type = cur.count()
    cur.skip(17)  # rule80A .. volatilityType
    if cur.take():  # deltaNeutralOrderType
        cur.skip(1 + 8)
    else:
        cur.skip(1)  # deltaNeutralAuxPrice
    cur.skip(2)  # continuousUpdate, referencePriceType
    tail.trail_stop_price = cur.number()
    tail.trailing_percent = cur.number()
    cur.skip(2)  # scaleInitLevelSize, scaleSubsLevelSize
    increment = cur.number()  # scalePriceIncrement
    if increment is not None and increment > 0:
        cur.skip(7)
    cur.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if cur.take():  # hedgeType
        cur.skip(1)
    cur.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if cur.flag():  # deltaNeutralContract present
        cur.skip(3)
    if cur.take():  # algoStrategy
        cur.skip(2 * cur.count())
    cur.skip(1)  # algoId
    tail.what_if = cur.flag()
    cur.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    if fields[18].upper() in {"PEG BENCH", "PEGBENCH"}:
        cur.skip(5)
    if cur.count():  # conditions: variable layouts; the offset after them is not read
        return tail
    cur.skip(2)  # adjustedOrderType, triggerPrice
    tail.lmt_price_offset = cur.number()
    return tail


def parse_place_order(fields: list[str], version: int) -> PlaceRequest:
    """Read a placeOrder message.

    Raises:
        IndexError: The message is shorter than its fixed head.
        ValueError: The order id is not an integer.
    """
    # [3, orderId, <12 contract fields>, secIdType, secId, action, totalQuantity,
    #  orderType, lmtPrice, auxPrice, tif, ocaGroup, account, openClose, origin,
    #  orderRef, transmit, parentId, ...]
    contract = contract_query(fields, 2)
    try:
        tail = _tail(fields, version, contract.sec_type)
    except (IndexError, ValueError):
        tail = _Tail()
    cur = _Cursor(fields, 27)
    transmit = cur.flag() if len(fields) > 27 else True
    parent_id = cur.count()
    return PlaceRequest(
        order_id=int(fields[1]),
        contract=contract,
        action=fields[16],
        quantity=parse_number(fields[17]),
        order_type=fields[18].upper(),
        limit_price=_opt(parse_number(fields[19])),
        aux_price=_opt(parse_number(fields[20])),
        tif=fields[21],
        oca_group=fields[22],
        account=fields[23],
        order_ref=fields[26],
        transmit=transmit,
        parent_id=parent_id,
        outside_rth=tail.outside_rth,
        good_till_date=tail.good_till_date,
        oca_type=tail.oca_type,
        trail_stop_price=tail.trail_stop_price,
        trailing_percent=tail.trailing_percent,
        what_if=tail.what_if,
        lmt_price_offset=tail.lmt_price_offset,
    )
