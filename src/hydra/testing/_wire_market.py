"""Market data messages of the TWS protocol (the same at every version 157..178)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing._wire import num

if TYPE_CHECKING:
    from collections.abc import Sequence

# Tick types: prices of tickPrice(1), sizes of tickSize(2).
TICK_BID = 1
TICK_ASK = 2
TICK_LAST = 4
TICK_HIGH = 6
TICK_LOW = 7
TICK_VOLUME = 8
TICK_CLOSE = 9
# tickSize(2) type of the shortable shares (generic tick 236).
TICK_SHORTABLE_SHARES = 89
# tickGeneric(45) type of the shortability indicator (generic tick 236).
TICK_SHORTABLE = 46
# marketDataType(58) value for real-time data.
MARKET_DATA_LIVE = 1


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


def tick_generic(req_id: int, tick_type: int, value: float) -> list[str]:
    """tickGeneric(45): e.g. the shortability indicator of generic tick 236."""
    return ["45", "6", str(req_id), str(tick_type), num(value)]
