"""TWS socket protocol at server version 178: framing and the messages the fake gateway sends.

Every builder returns the complete field list of one message. The field order mirrors
``ib_async/decoder.py`` (2.1.0) line by line, because the client decodes positionally and
only logs (never raises) when a field is missing or misplaced.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Sequence

    from hydra.testing._model import ExecutionRecord, FakeInstrument, OrderRecord

SERVER_VERSION = 178
MIN_CLIENT_VERSION = 157
HANDSHAKE_PREFIX = b"API\0"

# IB's "unset double", which clients print as "no value" (e.g. realized P&L of an opening fill).
UNSET_DOUBLE = "1.7976931348623157E308"

# Incoming (client -> gateway) message ids.
IN_REQ_MKT_DATA = 1
IN_CANCEL_MKT_DATA = 2
IN_PLACE_ORDER = 3
IN_CANCEL_ORDER = 4
IN_REQ_OPEN_ORDERS = 5
IN_REQ_ACCOUNT_UPDATES = 6
IN_REQ_EXECUTIONS = 7
IN_REQ_IDS = 8
IN_REQ_CONTRACT_DETAILS = 9
IN_REQ_AUTO_OPEN_ORDERS = 15
IN_REQ_ALL_OPEN_ORDERS = 16
IN_REQ_CURRENT_TIME = 49
IN_REQ_GLOBAL_CANCEL = 58
IN_REQ_MARKET_DATA_TYPE = 59
IN_REQ_POSITIONS = 61
IN_REQ_ACCOUNT_SUMMARY = 62
IN_CANCEL_ACCOUNT_SUMMARY = 63
IN_CANCEL_POSITIONS = 64
IN_START_API = 71
IN_REQ_ACCOUNT_UPDATES_MULTI = 76
IN_CANCEL_ACCOUNT_UPDATES_MULTI = 77
IN_REQ_COMPLETED_ORDERS = 99

# Tick types of tickPrice(1); each price tick also carries the size of its side.
TICK_BID = 1
TICK_ASK = 2
TICK_LAST = 4
# marketDataType(58) value for real-time data.
MARKET_DATA_LIVE = 1

# An upper bound on one frame; a larger length prefix means the stream is garbage.
MAX_FRAME = 16 * 1024 * 1024


def num(value: float) -> str:
    """Format a number as IB does: integral values without a decimal point."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def opt_num(value: float | None) -> str:
    """Format an optional number; ``None`` becomes the empty field."""
    return "" if value is None else num(value)


def encode(fields: Sequence[str]) -> bytes:
    """Frame one message: 4-byte big-endian length, then NUL-terminated fields."""
    payload = "".join(f"{f}\0" for f in fields).encode()
    return struct.pack(">I", len(payload)) + payload


def decode(payload: bytes) -> list[str]:
    """Split one frame's payload into its fields."""
    fields = payload.decode(errors="replace").split("\0")
    # Each field is NUL-terminated, so the split leaves one empty tail.
    if fields and fields[-1] == "":
        fields.pop()
    return fields


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """Read one length-prefixed frame.

    Raises:
        asyncio.IncompleteReadError: The peer closed the connection.
        ValueError: The length prefix is absurd (not an API client).
    """
    (length,) = struct.unpack(">I", await reader.readexactly(4))
    if length > MAX_FRAME:
        msg = f"frame of {length} bytes exceeds {MAX_FRAME}"
        raise ValueError(msg)
    return await reader.readexactly(length)


def multiplier_field(inst: FakeInstrument) -> str:
    """IB leaves the multiplier empty for stocks."""
    return "" if inst.sec_type == "STK" else num(inst.multiplier)


def _contract_11(inst: FakeInstrument, exchange: str) -> list[str]:
    """The 11 contract fields most messages share (conId .. tradingClass, no primaryExchange)."""
    return [
        str(inst.con_id),
        inst.symbol,
        inst.sec_type,
        "",  # lastTradeDateOrContractMonth
        "0",  # strike
        "",  # right
        multiplier_field(inst),
        exchange,
        inst.currency,
        inst.symbol,  # localSymbol
        inst.symbol,  # tradingClass
    ]


# --------------------------------------------------------------------- session messages


def server_hello(conn_time: str) -> list[str]:
    """Handshake reply: exactly two fields, server version and connection time."""
    return [str(SERVER_VERSION), conn_time]


def next_valid_id(order_id: int) -> list[str]:
    """nextValidId(9)."""
    return ["9", "1", str(order_id)]


def managed_accounts(accounts: str) -> list[str]:
    """managedAccounts(15): comma-separated account codes."""
    return ["15", "1", accounts]


def error(req_id: int, code: int, message: str) -> list[str]:
    """The error message (4); at version >= 166 the advancedOrderRejectJson field is mandatory."""
    return ["4", "2", str(req_id), str(code), message, ""]


def current_time(epoch_seconds: int) -> list[str]:
    """currentTime(49)."""
    return ["49", "1", str(epoch_seconds)]


# --------------------------------------------------------------------- contracts


def contract_details(req_id: int, inst: FakeInstrument) -> list[str]:
    """contractDetails(10): 40 fields at version 178 with no secIds."""
    return [
        "10",
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
        # version >= 164: no mdSizeMultiplier here
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
        "26",  # marketRuleIds
        "",  # realExpirationDate
        "COMMON" if inst.sec_type == "STK" else "",  # stockType
        "1",  # minSize
        "1",  # sizeIncrement
        "100",  # suggestedSizeIncrement
    ]


def contract_details_end(req_id: int) -> list[str]:
    """contractDetailsEnd(52)."""
    return ["52", "1", str(req_id)]


# --------------------------------------------------------------------- market data


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


# --------------------------------------------------------------------- orders


def open_order(order: OrderRecord, inst: FakeInstrument) -> list[str]:
    """openOrder(5): 127 fields at version 178 (no legs, params, conditions or algo).

    Every optional block the decoder may read is switched off by its count or flag field
    (deltaNeutralOrderType, numLegs, scalePriceIncrement, hedgeType, dncPresent,
    algoStrategy, numConditions), which is what keeps the length fixed.
    """
    return [
        "5",
        str(order.order_id),
        *_contract_11(inst, inst.exchange),
        order.action,
        num(order.quantity),
        order.order_type,
        opt_num(order.limit_price),
        "",  # auxPrice
        order.tif or "DAY",
        "",  # ocaGroup
        order.account,
        "",  # openClose
        "0",  # origin
        order.order_ref,
        str(order.client_id),
        str(order.perm_id),
        "0",  # outsideRth
        "0",  # hidden
        "0",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # sharesAllocation (deprecated, skipped by the decoder)
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage
        # version >= 177: no faProfile
        "",  # modelCode
        "",  # goodTillDate
        "",  # rule80A
        "",  # percentOffset
        "",  # settlingFirm
        "0",  # shortSaleSlot
        "",  # designatedLocation
        "-1",  # exemptCode
        "0",  # auctionStrategy
        "",  # startingPrice
        "",  # stockRefPrice
        "",  # delta
        "",  # stockRangeLower
        "",  # stockRangeUpper
        "0",  # displaySize
        "0",  # blockOrder
        "0",  # sweepToFill
        "0",  # allOrNone
        "",  # minQty
        "0",  # ocaType
        "0",  # eTradeOnly
        "0",  # firmQuoteOnly
        "",  # nbboPriceCap
        "0",  # parentId
        "0",  # triggerMethod
        "",  # volatility
        "",  # volatilityType
        "",  # deltaNeutralOrderType: empty, so no delta-neutral block follows
        "",  # deltaNeutralAuxPrice
        "0",  # continuousUpdate
        "",  # referencePriceType
        "",  # trailStopPrice
        "",  # trailingPercent
        "",  # basisPoints
        "",  # basisPointsType
        "",  # comboLegsDescrip
        "0",  # numLegs
        "0",  # numOrderLegs
        "0",  # numSmartComboRoutingParams
        "",  # scaleInitLevelSize
        "",  # scaleSubsLevelSize
        "",  # scalePriceIncrement: empty, so no scale block follows
        "",  # hedgeType: empty, so no hedgeParam follows
        "0",  # optOutSmartRouting
        "",  # clearingAccount
        "IB",  # clearingIntent
        "0",  # notHeld
        "0",  # deltaNeutralContract present
        "",  # algoStrategy: empty, so no algo params follow
        "0",  # solicited
        "0",  # whatIf
        order.status,
        "",  # initMarginBefore
        "",  # maintMarginBefore
        "",  # equityWithLoanBefore
        "",  # initMarginChange
        "",  # maintMarginChange
        "",  # equityWithLoanChange
        "",  # initMarginAfter
        "",  # maintMarginAfter
        "",  # equityWithLoanAfter
        "",  # commission
        "",  # minCommission
        "",  # maxCommission
        "",  # commissionCurrency
        "",  # warningText
        "0",  # randomizeSize
        "0",  # randomizePrice
        "0",  # numConditions
        "",  # adjustedOrderType
        "",  # triggerPrice
        "",  # trailStopPrice
        "",  # lmtPriceOffset
        "",  # adjustedStopPrice
        "",  # adjustedStopLimitPrice
        "",  # adjustedTrailingAmount
        "0",  # adjustableTrailingUnit
        "",  # softDollarTier.name
        "",  # softDollarTier.val
        "",  # softDollarTier.displayName
        "",  # cashQty
        "0",  # dontUseAutoPriceForHedge
        "0",  # isOmsContainer
        "0",  # discretionaryUpToLimitPrice
        "0",  # usePriceMgmtAlgo
        "",  # duration (>= 159)
        "",  # postToAts (>= 160)
        "0",  # autoCancelParent (>= 162)
        "",  # minTradeQty (>= 170)
        "",  # minCompeteSize
        "",  # competeAgainstBestOffset
        "",  # midOffsetAtWhole
        "",  # midOffsetAtHalf
    ]


def open_order_end() -> list[str]:
    """openOrderEnd(53)."""
    return ["53", "1"]


def order_status(order: OrderRecord) -> list[str]:
    """orderStatus(3): no version field; the client finds the trade by (clientId, orderId)."""
    return [
        "3",
        str(order.order_id),
        order.status,
        num(order.filled),
        num(order.remaining),
        num(order.avg_fill_price),
        str(order.perm_id),
        "0",  # parentId
        num(order.last_fill_price),
        str(order.client_id),
        "",  # whyHeld
        "0",  # mktCapPrice
    ]


def completed_order(order: OrderRecord, inst: FakeInstrument) -> list[str]:
    """completedOrder(101): 96 fields at version 178; carries no orderId or clientId."""
    return [
        "101",
        *_contract_11(inst, inst.exchange),
        order.action,
        num(order.quantity),
        order.order_type,
        opt_num(order.limit_price),
        "",  # auxPrice
        order.tif or "DAY",
        "",  # ocaGroup
        order.account,
        "",  # openClose
        "0",  # origin
        order.order_ref,
        str(order.perm_id),
        "0",  # outsideRth
        "0",  # hidden
        "0",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage
        # version >= 177: no faProfile
        "",  # modelCode
        "",  # goodTillDate
        "",  # rule80A
        "",  # percentOffset
        "",  # settlingFirm
        "0",  # shortSaleSlot
        "",  # designatedLocation
        "-1",  # exemptCode
        "",  # startingPrice
        "",  # stockRefPrice
        "",  # delta
        "",  # stockRangeLower
        "",  # stockRangeUpper
        "0",  # displaySize
        "0",  # sweepToFill
        "0",  # allOrNone
        "",  # minQty
        "0",  # ocaType
        "0",  # triggerMethod
        "",  # volatility
        "",  # volatilityType
        "",  # deltaNeutralOrderType: empty, so no delta-neutral block follows
        "",  # deltaNeutralAuxPrice
        "0",  # continuousUpdate
        "",  # referencePriceType
        "",  # trailStopPrice
        "",  # trailingPercent
        "",  # comboLegsDescrip
        "0",  # numLegs
        "0",  # numOrderLegs
        "0",  # numSmartComboRoutingParams
        "",  # scaleInitLevelSize
        "",  # scaleSubsLevelSize
        "",  # scalePriceIncrement
        "",  # hedgeType
        "",  # clearingAccount
        "IB",  # clearingIntent
        "0",  # notHeld
        "0",  # deltaNeutralContract present
        "",  # algoStrategy
        "0",  # solicited
        order.status,
        "0",  # randomizeSize
        "0",  # randomizePrice
        "0",  # numConditions
        "",  # trailStopPrice
        "",  # lmtPriceOffset
        "",  # cashQty
        "0",  # dontUseAutoPriceForHedge
        "0",  # isOmsContainer
        "",  # autoCancelDate
        num(order.filled),  # filledQuantity
        "0",  # refFuturesConId
        "0",  # autoCancelParent
        "",  # shareholder
        "0",  # imbalanceOnly
        "0",  # routeMarketableToBbo
        "0",  # parentPermId
        order.completed_time,
        order.completed_status,
        "",  # minTradeQty (>= 170)
        "",  # minCompeteSize
        "",  # competeAgainstBestOffset
        "",  # midOffsetAtWhole
        "",  # midOffsetAtHalf
    ]


def completed_orders_end() -> list[str]:
    """completedOrdersEnd(102): no version field, no payload."""
    return ["102"]


# --------------------------------------------------------------------- executions


def exec_details(req_id: int, ex: ExecutionRecord) -> list[str]:
    """execDetails(11): 32 fields at version 178; reqId is -1 for a live fill."""
    inst = ex.instrument
    return [
        "11",
        str(req_id),
        str(ex.order_id),
        *_contract_11(inst, inst.primary_exchange),
        ex.exec_id,
        ex.time,
        ex.account,
        inst.primary_exchange,  # execution exchange
        ex.side,
        num(ex.shares),
        num(ex.price),
        str(ex.perm_id),
        str(ex.client_id),
        "0",  # liquidation
        num(ex.cum_qty),
        num(ex.avg_price),
        ex.order_ref,
        "",  # evRule
        "",  # evMultiplier
        "",  # modelCode
        "1",  # lastLiquidity: added liquidity
        "0",  # pendingPriceRevision (>= 178)
    ]


def exec_details_end(req_id: int) -> list[str]:
    """execDetailsEnd(55)."""
    return ["55", "1", str(req_id)]


def commission_report(ex: ExecutionRecord) -> list[str]:
    """commissionReport(59): realized P&L is IB's unset double for an opening fill."""
    return [
        "59",
        "1",
        ex.exec_id,
        num(ex.commission),
        ex.instrument.currency,
        UNSET_DOUBLE if ex.realized_pnl is None else num(ex.realized_pnl),
        UNSET_DOUBLE,  # yield
        "",  # yieldRedemptionDate
    ]


# --------------------------------------------------------------------- portfolio & account


def position(account: str, inst: FakeInstrument, quantity: float, avg_price: float) -> list[str]:
    """The position message (61): 16 fields; a zero quantity tells the client to drop the position.

    IB reports average cost per contract, i.e. the per-unit price times the multiplier.
    """
    return [
        "61",
        "3",
        account,
        *_contract_11(inst, inst.primary_exchange),
        num(quantity),
        num(avg_price * inst.multiplier),
    ]


def position_end() -> list[str]:
    """positionEnd(62)."""
    return ["62", "1"]


def portfolio_value(
    account: str,
    inst: FakeInstrument,
    quantity: float,
    market_price: float,
    avg_price: float,
    realized_pnl: float,
) -> list[str]:
    """portfolioValue(7): 20 fields; unlike position(61) it carries primaryExchange, no exchange."""
    market_value = quantity * market_price * inst.multiplier
    unrealized = (market_price - avg_price) * quantity * inst.multiplier
    return [
        "7",
        "8",
        str(inst.con_id),
        inst.symbol,
        inst.sec_type,
        "",  # lastTradeDateOrContractMonth
        "0",  # strike
        "",  # right
        multiplier_field(inst),
        inst.primary_exchange,
        inst.currency,
        inst.symbol,  # localSymbol
        inst.symbol,  # tradingClass
        num(quantity),
        num(market_price),
        num(round(market_value, 2)),
        num(avg_price * inst.multiplier),
        num(round(unrealized, 2)),
        num(round(realized_pnl, 2)),
        account,
    ]


def account_value(tag: str, value: str, currency: str, account: str) -> list[str]:
    """accountValue(6)."""
    return ["6", "2", tag, value, currency, account]


def account_time(hhmm: str) -> list[str]:
    """updateAccountTime(8)."""
    return ["8", "1", hhmm]


def account_download_end(account: str) -> list[str]:
    """accountDownloadEnd(54)."""
    return ["54", "1", account]


def account_update_multi_end(req_id: int) -> list[str]:
    """accountUpdateMultiEnd(74)."""
    return ["74", "1", str(req_id)]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> list[str]:
    """accountSummary(63)."""
    return ["63", "1", str(req_id), account, tag, value, currency]


def account_summary_end(req_id: int) -> list[str]:
    """accountSummaryEnd(64)."""
    return ["64", "1", str(req_id)]
