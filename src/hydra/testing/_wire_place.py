"""Decoding a client's placeOrder message (server versions 157..178).

The fields up to whatIf are read positionally, as TWS does; the variable-length blocks
before it (combo legs, delta-neutral, scale, hedge, algo) are skipped by their counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from hydra.testing._wire import UNSET_DOUBLE, V_FA_PROFILE_DESUPPORT, parse_number

_UNSET = float(UNSET_DOUBLE)


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    """The parts of a placeOrder message the fake gateway acts on."""

    order_id: int
    con_id: int
    symbol: str
    sec_type: str
    currency: str
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
    oca_type: int
    what_if: bool


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

    def skip(self, count: int) -> None:
        self.at += count


def _flag(text: str) -> bool:
    return text.strip().lower() in {"1", "true"}


def _count(text: str) -> int:
    try:
        return max(int(text or 0), 0)
    except ValueError:
        return 0


def _what_if(fields: list[str], version: int, sec_type: str) -> bool:
    """Walk from orderRef to the whatIf flag (see the client's placeOrder, field by field)."""
    cur = _Cursor(fields, 27)
    cur.skip(8)  # transmit, parentId, blockOrder, sweepToFill, displaySize, triggerMethod,
    # outsideRth, hidden
    if sec_type == "BAG":
        cur.skip(8 * _count(cur.take()))  # combo legs
        cur.skip(_count(cur.take()))  # order combo leg prices
        cur.skip(2 * _count(cur.take()))  # smart combo routing params
    cur.skip(7)  # sharesAllocation, discretionaryAmt, goodAfterTime, goodTillDate, faGroup,
    # faMethod, faPercentage
    if version < V_FA_PROFILE_DESUPPORT:
        cur.skip(1)  # faProfile
    cur.skip(22)  # modelCode .. volatilityType
    if cur.take():  # deltaNeutralOrderType
        cur.skip(1 + 8)
    else:
        cur.skip(1)  # deltaNeutralAuxPrice
    cur.skip(6)  # continuousUpdate .. scaleSubsLevelSize
    increment = _opt(parse_number(cur.take()))  # scalePriceIncrement
    if increment is not None and increment > 0:
        cur.skip(7)
    cur.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if cur.take():  # hedgeType
        cur.skip(1)
    cur.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if _flag(cur.take()):  # deltaNeutralContract present
        cur.skip(3)
    if cur.take():  # algoStrategy
        cur.skip(2 * _count(cur.take()))
    cur.skip(1)  # algoId
    return _flag(cur.take())


def parse_place_order(fields: list[str], version: int) -> PlaceRequest:
    """Read a placeOrder message.

    Raises:
        IndexError: The message is shorter than its fixed head.
        ValueError: The order id or con id is not an integer.
    """
    # [3, orderId, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
    #  exchange, primaryExchange, currency, localSymbol, tradingClass, secIdType, secId,
    #  action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account,
    #  openClose, origin, orderRef, transmit, parentId, ...]
    sec_type = fields[4]
    try:
        what_if = _what_if(fields, version, sec_type)
    except (IndexError, ValueError):
        what_if = False
    return PlaceRequest(
        order_id=int(fields[1]),
        con_id=int(fields[2] or 0),
        symbol=fields[3],
        sec_type=sec_type,
        currency=fields[11],
        action=fields[16],
        quantity=parse_number(fields[17]),
        order_type=fields[18].upper(),
        limit_price=_opt(parse_number(fields[19])),
        aux_price=_opt(parse_number(fields[20])),
        tif=fields[21],
        oca_group=fields[22],
        account=fields[23],
        order_ref=fields[26],
        transmit=_flag(fields[27]) if len(fields) > 27 else True,
        parent_id=_count(fields[28]) if len(fields) > 28 else 0,
        oca_type=_count(fields[46 + (version < V_FA_PROFILE_DESUPPORT)])
        if sec_type != "BAG" and len(fields) > 47
        else 0,
        what_if=what_if,
    )
