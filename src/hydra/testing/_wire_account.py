"""Portfolio and account messages of the TWS protocol (the same at every version 157..178)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing._wire import contract_11, multiplier_field, num

if TYPE_CHECKING:
    from hydra.testing._model import FakeInstrument


def position(account: str, inst: FakeInstrument, quantity: float, avg_price: float) -> list[str]:
    """The position message (61): 16 fields; a zero quantity tells the client to drop the position.

    IB reports average cost per contract, i.e. the per-unit price times the multiplier.
    """
    return [
        "61",
        "3",
        account,
        *contract_11(inst, inst.primary_exchange),
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


def pnl(req_id: int, daily: float, unrealized: float, realized: float) -> list[str]:
    """Account P&L for a reqPnL subscription: the pnl message (94)."""
    return ["94", str(req_id), num(daily), num(unrealized), num(realized)]


def pnl_single(
    req_id: int, position: float, daily: float, unrealized: float, realized: float, value: float
) -> list[str]:
    """pnlSingle(95): one position's P&L for a reqPnLSingle subscription."""
    return [
        "95",
        str(req_id),
        num(position),
        num(daily),
        num(unrealized),
        num(realized),
        num(value),
    ]
