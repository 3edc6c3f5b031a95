"""Contract and market data messages of the TWS protocol, versions 157..178."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing._wire import (
    V_BOND_ISSUERID,
    V_FRACTIONAL_SIZE,
    V_SIZE_RULES,
    multiplier_field,
    num,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hydra.testing._model import FakeInstrument

# The one price-increment rule every instrument advertises (IB's rule 26: 0.01 from 0).
MARKET_RULE_ID = 26

# Tick types: prices of tickPrice(1), sizes of tickSize(2).
TICK_BID = 1
TICK_ASK = 2
TICK_LAST = 4
TICK_HIGH = 6
TICK_LOW = 7
TICK_VOLUME = 8
TICK_CLOSE = 9
# marketDataType(58) value for real-time data.
MARKET_DATA_LIVE = 1


def contract_details(version: int, req_id: int, inst: FakeInstrument) -> list[str]:
    """contractDetails(10): 40 fields at version 178 with no secIds.

    Below version 164 a version field follows the message id, mdSizeMultiplier follows
    minTick, and the size rules at the end are missing (163 sends one sizeMinTick).
    """
    head = ["10", "8"] if version < V_SIZE_RULES else ["10"]
    fields = [
        *head,
        str(req_id),
        inst.symbol,
        inst.sec_type,
        "",  # lastTradeDate[-time[-zone]]
        "0",  # strike
        "",  # right
        inst.exchange,
        inst.currency,
        inst.symbol,  # localSymbol
        inst.symbol,  # marketName
        inst.symbol,  # tradingClass
        str(inst.con_id),
        num(inst.min_tick),
        *(["1"] if version < V_SIZE_RULES else []),  # mdSizeMultiplier
        multiplier_field(inst),
        "ACTIVETIM,AD,ALERT,ALLOC,DAY,GTC,IOC,LIT,LMT,MKT,MOC,MOO,STP,STPLMT,TRAIL",
        f"SMART,{inst.primary_exchange}",  # validExchanges
        "1",  # priceMagnifier
        "0",  # underConId
        inst.symbol,  # longName
        inst.primary_exchange,
        "",  # contractMonth
        "",  # industry
        "",  # category
        "",  # subcategory
        "US/Eastern",  # timeZoneId
        "",  # tradingHours
        "",  # liquidHours
        "",  # evRule
        "",  # evMultiplier
        "0",  # numSecIds
        "1",  # aggGroup
        "",  # underSymbol
        "",  # underSecType
        str(MARKET_RULE_ID),  # marketRuleIds
        "",  # realExpirationDate
        "COMMON" if inst.sec_type == "STK" else "",  # stockType
    ]
    if version == V_FRACTIONAL_SIZE:
        fields.append("1")  # sizeMinTick
    elif version >= V_SIZE_RULES:
        fields.extend(("1", "1", "100"))  # minSize, sizeIncrement, suggestedSizeIncrement
    return fields


def contract_details_end(req_id: int) -> list[str]:
    """contractDetailsEnd(52)."""
    return ["52", "1", str(req_id)]


def tick_price(req_id: int, tick_type: int, price: float, size: float) -> list[str]:
    """tickPrice(1): 7 fields; ib_async takes the size of the side from this message.

    Unlike IB's own client library, ib_async 2.1 does not derive a separate tickSize
    callback from it, and an extra tickSize(2) for LAST_SIZE would record the trade twice
    in ``Ticker.ticks``, so the gateway sends sizes only here. The attribute mask is 0
    (no canAutoExecute / pastLimit / preOpen flags); ib_async ignores it.
    """
    return ["1", "6", str(req_id), str(tick_type), num(price), num(size), "0"]


def tick_req_params(
    req_id: int, min_tick: float, bbo_exchange: str, snapshot_permissions: int
) -> list[str]:
    """tickReqParams(81): no version field; ib_async copies minTick and bboExchange."""
    return ["81", str(req_id), num(min_tick), bbo_exchange, str(snapshot_permissions)]


def market_data_type(req_id: int, data_type: int) -> list[str]:
    """marketDataType(58): which kind of data (1 live, 2 frozen, 3 delayed...) follows."""
    return ["58", "1", str(req_id), str(data_type)]


def tick_snapshot_end(req_id: int) -> list[str]:
    """tickSnapshotEnd(57): a snapshot request is complete."""
    return ["57", "1", str(req_id)]


def tick_size(req_id: int, tick_type: int, size: float) -> list[str]:
    """tickSize(2): a size-only tick such as VOLUME."""
    return ["2", "6", str(req_id), str(tick_type), num(size)]


def historical_data(
    req_id: int, start: str, end: str, bars: Sequence[tuple[str, float, float, float, float, float]]
) -> list[str]:
    """historicalData(17): every bar of a request in one message, then its date range.

    Each bar is ``(date, open, high, low, close, volume)``; WAP is the bar's mid and the
    trade count the volume divided by 100 (any positive number will do for a fake).
    """
    fields = ["17", str(req_id), start, end, str(len(bars))]
    for date, open_, high, low, close, volume in bars:
        wap = round((high + low) / 2, 4)
        fields += [date, num(open_), num(high), num(low), num(close), num(volume), num(wap)]
        fields.append(str(max(int(volume // 100), 1)))
    return fields


def head_timestamp(req_id: int, timestamp: str) -> list[str]:
    """headTimestamp(88): the earliest date with data."""
    return ["88", str(req_id), timestamp]


def symbol_samples(version: int, req_id: int, insts: Sequence[FakeInstrument]) -> list[str]:
    """symbolSamples(79): matching contracts; from version 176 with description and issuer."""
    fields = ["79", str(req_id), str(len(insts))]
    for inst in insts:
        fields += [str(inst.con_id), inst.symbol, inst.sec_type, inst.primary_exchange]
        fields += [inst.currency, "0"]  # no derivative security types
        if version >= V_BOND_ISSUERID:
            fields += ["", ""]  # description, issuerId
    return fields


def market_rule(rule_id: int, increments: Sequence[tuple[float, float]]) -> list[str]:
    """marketRule(93): price increments as ``(lowEdge, increment)`` pairs."""
    fields = ["93", str(rule_id), str(len(increments))]
    for low, step in increments:
        fields += [num(low), num(step)]
    return fields
