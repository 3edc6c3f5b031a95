"""Market data of the fake gateway: ticks (shortable shares too), history, head timestamp."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from hydra.testing import _wire as wire
from hydra.testing import _wire_market as wire_market
from hydra.testing._contracts import ContractDesk
from hydra.testing._core import Session
from hydra.testing._model import FakeInstrument

# Shares at or above which IB's shortability indicator (tick 46) reads "available" (3.0);
# fewer but some need a locate (2.0); none: 1.0.
_PLENTY = 1000.0
# Sizes quoted on every bid, ask and last tick; only need to be positive, because clients
# treat a bid or ask of size 0 as "no quote".
QUOTE_SIZE = 100.0
# What tickReqParams(81) reports: a BBO exchange code as IB sends for a US stock, and a
# snapshot permissions bitmask (clients store both on the ticker and nothing else).
_BBO_EXCHANGE = "9c0001"
_SNAPSHOT_PERMISSIONS = 3
# The earliest date with data that headTimestamp reports for every instrument.
_HEAD_TIMESTAMP = datetime(2000, 1, 3, 14, 30, tzinfo=UTC)
_MAX_BARS = 1000
_DURATION = re.compile(r"\s*(\d+)\s*([SDWMY])\s*$")
_BAR_SIZE = re.compile(r"\s*(\d+)\s*(sec|min|hour|day|week|month)s?\s*$")
_UNIT_SECONDS = {
    "S": 1,
    "D": 86_400,
    "W": 7 * 86_400,
    "M": 30 * 86_400,
    "Y": 365 * 86_400,
    "sec": 1,
    "min": 60,
    "hour": 3_600,
    "day": 86_400,
    "week": 7 * 86_400,
    "month": 30 * 86_400,
}


def _seconds(text: str, pattern: re.Pattern[str]) -> int | None:
    match = pattern.match(text)
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _parse_end(text: str) -> datetime:
    """A request's endDateTime: empty means now; "yyyymmdd hh:mm:ss[ zone]" or "-" form."""
    text = text.strip()
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    stamp = text.replace("-", " ")[:17]
    return datetime.strptime(stamp, "%Y%m%d %H:%M:%S").replace(tzinfo=UTC)


class MarketDesk(ContractDesk):
    """Answers contract, market data and history requests."""

    def _bump_stats(self, key: str, price: float, volume: float = 0.0) -> None:
        """Track the session's high, low and volume that market data reports."""
        stats = self._session_stats.setdefault(key, [price, price, 0.0])
        stats[0] = max(stats[0], price)
        stats[1] = min(stats[1], price)
        stats[2] += volume
        self._close.setdefault(key, price)

    def _on_req_head_timestamp(self, session: Session, fields: list[str]) -> None:
        # [87, reqId, <12 contract fields>, includeExpired, useRTH, whatToShow, formatDate]
        req_id = int(fields[1])
        if self._resolve(session, req_id, wire.contract_query(fields, 2)) is None:
            return
        as_epoch = fields[17:18] == ["2"]
        stamp = (
            str(int(_HEAD_TIMESTAMP.timestamp()))
            if as_epoch
            else _HEAD_TIMESTAMP.strftime("%Y%m%d %H:%M:%S")
        )
        session.send(wire_market.head_timestamp(req_id, stamp))

    # ------------------------------------------------------------------ history

    def _on_req_historical_data(self, session: Session, fields: list[str]) -> None:
        # [20, reqId, <12 contract fields>, includeExpired, endDateTime, barSizeSetting,
        #  durationStr, useRTH, whatToShow, formatDate, keepUpToDate, chartOptions]
        req_id = int(fields[1])
        inst = self._resolve(session, req_id, wire.contract_query(fields, 2))
        if inst is None:
            return
        bar_seconds = _seconds(fields[16], _BAR_SIZE)
        span = _seconds(fields[17], _DURATION)
        try:
            end = _parse_end(fields[15])
        except ValueError:
            end = None
        if bar_seconds is None or span is None or end is None:
            text = f"Historical Market Data Service error message:invalid request {fields[15:18]}"
            session.error(req_id, 162, text)
            return
        bars = self._bars(inst, end, bar_seconds, span, epoch=fields[20] == "2")
        start = (end - timedelta(seconds=span)).strftime("%Y%m%d %H:%M:%S")
        session.send(
            wire_market.historical_data(req_id, start, end.strftime("%Y%m%d %H:%M:%S"), bars)
        )

    def _bars(
        self, inst: FakeInstrument, end: datetime, bar_seconds: int, span: int, *, epoch: bool
    ) -> list[tuple[str, float, float, float, float, float]]:
        """Deterministic bars: a gentle wave ending at the reference price (100 unpriced)."""
        count = max(1, min(_MAX_BARS, span // bar_seconds))
        base = self._prices.get(inst.key, 100.0)
        tick = inst.min_tick
        bars = []
        for i in range(count):
            back = count - 1 - i
            when = end - timedelta(seconds=bar_seconds * (back + 1))
            close = base * (1 + 0.01 * math.sin(back * 0.7 + inst.con_id % 7))
            if back == 0:
                close = base
            open_ = base * (1 + 0.01 * math.sin((back + 1) * 0.7 + inst.con_id % 7))
            high = max(open_, close) + tick
            low = max(min(open_, close) - tick, tick)
            if epoch:
                date = str(int(when.timestamp()))
            elif bar_seconds >= 86_400:
                date = when.strftime("%Y%m%d")
            else:
                date = when.strftime("%Y%m%d %H:%M:%S")
            bars.append(
                (
                    date,
                    _round(open_, tick),
                    _round(high, tick),
                    _round(low, tick),
                    _round(close, tick),
                    float(1000 + 10 * (i % 10)),
                )
            )
        return bars

    # ------------------------------------------------------------------ market data

    def _on_req_mkt_data(self, session: Session, fields: list[str]) -> None:
        # [1, 11, reqId, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
        #  exchange, primaryExchange, currency, localSymbol, tradingClass, (BAG legs),
        #  deltaNeutral flag (+3 fields when set), genericTickList, snapshot,
        #  regulatorySnapshot, mktDataOptions]: the legs and delta-neutral blocks vary in
        # length, so the four trailing fields are read from the end.
        req_id = int(fields[2])
        generic = {t.strip() for t in fields[-4].split(",")}
        snapshot = "1" in (fields[-3], fields[-2])
        if req_id in session.market_data:
            session.error(req_id, 322, "Duplicate ticker id")
            return
        inst = self._resolve(session, req_id, wire.contract_query(fields, 3))
        if inst is None:
            return
        session.send(wire_market.market_data_type(req_id, wire_market.MARKET_DATA_LIVE))
        session.send(
            wire_market.tick_req_params(req_id, inst.min_tick, _BBO_EXCHANGE, _SNAPSHOT_PERMISSIONS)
        )
        self._send_ticks(session, req_id, inst)
        if "236" in generic:
            self._send_shortable(session, req_id, inst)
        if snapshot:
            # A real gateway waits up to 11 s for an unpriced snapshot; here the end is at once.
            session.send(wire_market.tick_snapshot_end(req_id))
        else:
            session.market_data[req_id] = inst
            if "236" in generic:
                session.shortable.add(req_id)

    def _on_cancel_mkt_data(self, session: Session, fields: list[str]) -> None:
        # [2, 2, reqId]
        req_id = int(fields[2])
        session.shortable.discard(req_id)
        if session.market_data.pop(req_id, None) is None:
            session.error(req_id, 300, f"Can't find EId with tickerId:{req_id}")

    def _stream(self, inst: FakeInstrument) -> None:
        """Send fresh ticks of an instrument to every live subscription to it."""
        for session in self._live_sessions():
            for req_id, subscribed in session.market_data.items():
                if subscribed is inst:
                    self._send_ticks(session, req_id, inst)

    def _stream_shortable(self, inst: FakeInstrument) -> None:
        """Send the shortable shares of an instrument to every subscription that asked."""
        for session in self._live_sessions():
            for req_id, subscribed in session.market_data.items():
                if subscribed is inst and req_id in session.shortable:
                    self._send_shortable(session, req_id, inst)

    def _withdraw_shortable(self, inst: FakeInstrument) -> None:
        """Tell subscriptions that asked for tick 236 the shares are unknown now (NaN)."""
        for session in self._live_sessions():
            for req_id, subscribed in session.market_data.items():
                if subscribed is inst and req_id in session.shortable:
                    size = wire_market.tick_size(
                        req_id, wire_market.TICK_SHORTABLE_SHARES, math.nan
                    )
                    session.send(size)

    def _send_shortable(self, session: Session, req_id: int, inst: FakeInstrument) -> None:
        """Generic tick 236: the indicator (46) and the number of shares (89), if known."""
        shares = self._shortable.get(inst.key)
        if shares is None:
            return
        indicator = 3.0 if shares >= _PLENTY else 2.0 if shares > 0 else 1.0
        session.send(wire_market.tick_generic(req_id, wire_market.TICK_SHORTABLE, indicator))
        session.send(wire_market.tick_size(req_id, wire_market.TICK_SHORTABLE_SHARES, shares))

    def _send_ticks(self, session: Session, req_id: int, inst: FakeInstrument) -> None:
        price = self._prices.get(inst.key)
        quote = self._quote(inst)
        if price is None or quote is None:
            return
        bid, ask = quote
        high, low, volume = self._session_stats.get(inst.key, [price, price, 0.0])
        tick_price = wire_market.tick_price
        session.send(tick_price(req_id, wire_market.TICK_BID, bid, QUOTE_SIZE))
        session.send(tick_price(req_id, wire_market.TICK_ASK, ask, QUOTE_SIZE))
        session.send(tick_price(req_id, wire_market.TICK_LAST, price, QUOTE_SIZE))
        session.send(tick_price(req_id, wire_market.TICK_HIGH, high, 0))
        session.send(tick_price(req_id, wire_market.TICK_LOW, low, 0))
        session.send(tick_price(req_id, wire_market.TICK_CLOSE, self._close[inst.key], 0))
        session.send(wire_market.tick_size(req_id, wire_market.TICK_VOLUME, volume))


def _round(value: float, tick: float) -> float:
    return round(round(value / tick) * tick, 8)
