"""Order messages of the TWS protocol: openOrder, orderStatus, completedOrder, executions.

Layouts follow ``ibapi/decoder.py`` and ``ibapi/orderdecoder.py`` for server versions
157..178; one misplaced field silently breaks a client's decoding, so every field is named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing._wire import (
    UNSET_DOUBLE,
    V_AUTO_CANCEL_PARENT,
    V_DURATION,
    V_FA_PROFILE_DESUPPORT,
    V_PEGBEST_PEGMID_OFFSETS,
    V_PENDING_PRICE_REVISION,
    V_POST_TO_ATS,
    contract_11,
    num,
    opt_num,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hydra.testing._model import ExecutionRecord, FakeInstrument, OrderRecord

# The order-state figures of a whatIf preview, in openOrder's field order.
WHAT_IF_FIELDS = (
    "initMarginBefore",
    "maintMarginBefore",
    "equityWithLoanBefore",
    "initMarginChange",
    "maintMarginChange",
    "equityWithLoanChange",
    "initMarginAfter",
    "maintMarginAfter",
    "equityWithLoanAfter",
    "commission",
    "minCommission",
    "maxCommission",
)


def open_order(
    version: int,
    order: OrderRecord,
    inst: FakeInstrument,
    what_if: Mapping[str, float] | None = None,
) -> list[str]:
    """openOrder(5): 127 fields at version 178 (no legs, params, conditions or algo).

    Every optional block the decoder may read is switched off by its count or flag field
    (deltaNeutralOrderType, numLegs, scalePriceIncrement, hedgeType, dncPresent,
    algoStrategy, numConditions), which is what keeps the length fixed. ``what_if`` holds
    the margin and commission figures of a whatIf preview (keys of ``WHAT_IF_FIELDS``).
    """
    figures = [opt_num((what_if or {}).get(name)) for name in WHAT_IF_FIELDS]
    head = [
        "5",
        str(order.order_id),
        *contract_11(inst, inst.exchange),
        order.action,
        num(order.quantity),
        order.order_type,
        opt_num(order.limit_price),
        opt_num(order.aux_price),
        order.tif or "DAY",
        order.oca_group,
        order.account,
        "",  # openClose
        "0",  # origin
        order.order_ref,
        str(order.client_id),
        str(order.perm_id),
        _flag(order.outside_rth),
        "0",  # hidden
        "0",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # sharesAllocation (deprecated, skipped by the decoder)
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage
    ]
    if version < V_FA_PROFILE_DESUPPORT:
        head.append("")  # faProfile
    middle = [
        "",  # modelCode
        order.good_till_date,
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
        str(order.oca_type),
        "0",  # eTradeOnly
        "0",  # firmQuoteOnly
        "",  # nbboPriceCap
        str(order.parent_id),
        "0",  # triggerMethod
        "",  # volatility
        "",  # volatilityType
        "",  # deltaNeutralOrderType: empty, so no delta-neutral block follows
        "",  # deltaNeutralAuxPrice
        "0",  # continuousUpdate
        "",  # referencePriceType
        opt_num(order.trail_stop_price),
        opt_num(order.trailing_percent),
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
        "1" if order.what_if else "0",
        order.status,
        *figures,
        inst.currency if what_if else "",  # commissionCurrency
        "",  # warningText
        "0",  # randomizeSize
        "0",  # randomizePrice
        "0",  # numConditions
        "",  # adjustedOrderType
        "",  # triggerPrice
        opt_num(order.trail_stop_price),
        opt_num(order.lmt_price_offset),
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
    ]
    tail = []
    if version >= V_DURATION:
        tail.append("")  # duration
    if version >= V_POST_TO_ATS:
        tail.append("")  # postToAts
    if version >= V_AUTO_CANCEL_PARENT:
        tail.append("0")  # autoCancelParent
    if version >= V_PEGBEST_PEGMID_OFFSETS:
        tail.extend(_PEG_OFFSETS)
    return head + middle + tail


def _flag(value: bool) -> str:
    return "1" if value else "0"


# minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf.
_PEG_OFFSETS = ("", "", "", "", "")


def open_order_end() -> list[str]:
    """openOrderEnd(53)."""
    return ["53", "1"]


def order_status(version: int, order: OrderRecord) -> list[str]:
    """orderStatus(3): no version field; the client finds the trade by (clientId, orderId)."""
    return [
        "3",
        str(order.order_id),
        order.status,
        num(order.filled),
        num(order.remaining),
        num(order.avg_fill_price),
        str(order.perm_id),
        str(order.parent_id),
        num(order.last_fill_price),
        str(order.client_id),
        "",  # whyHeld
        "0",  # mktCapPrice
    ]


def completed_order(version: int, order: OrderRecord, inst: FakeInstrument) -> list[str]:
    """completedOrder(101): 96 fields at version 178; carries no orderId or clientId."""
    head = [
        "101",
        *contract_11(inst, inst.exchange),
        order.action,
        num(order.quantity),
        order.order_type,
        opt_num(order.limit_price),
        opt_num(order.aux_price),
        order.tif or "DAY",
        order.oca_group,
        order.account,
        "",  # openClose
        "0",  # origin
        order.order_ref,
        str(order.perm_id),
        _flag(order.outside_rth),
        "0",  # hidden
        "0",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage
    ]
    if version < V_FA_PROFILE_DESUPPORT:
        head.append("")  # faProfile
    rest = [
        "",  # modelCode
        order.good_till_date,
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
        str(order.oca_type),
        "0",  # triggerMethod
        "",  # volatility
        "",  # volatilityType
        "",  # deltaNeutralOrderType: empty, so no delta-neutral block follows
        "",  # deltaNeutralAuxPrice
        "0",  # continuousUpdate
        "",  # referencePriceType
        opt_num(order.trail_stop_price),
        opt_num(order.trailing_percent),
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
        opt_num(order.trail_stop_price),
        opt_num(order.lmt_price_offset),
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
    ]
    if version >= V_PEGBEST_PEGMID_OFFSETS:
        rest.extend(_PEG_OFFSETS)
    return head + rest


def completed_orders_end() -> list[str]:
    """completedOrdersEnd(102): no version field, no payload."""
    return ["102"]


# --------------------------------------------------------------------- executions


def exec_details(version: int, req_id: int, ex: ExecutionRecord) -> list[str]:
    """execDetails(11): 32 fields at version 178; reqId is -1 for a live fill."""
    inst = ex.instrument
    fields = [
        "11",
        str(req_id),
        str(ex.order_id),
        *contract_11(inst, inst.primary_exchange),
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
    ]
    if version >= V_PENDING_PRICE_REVISION:
        fields.append("0")  # pendingPriceRevision
    return fields


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
