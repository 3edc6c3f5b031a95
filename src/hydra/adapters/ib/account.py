"""The account over ib_async: the snapshot the gate derives equity and P&L from, and FX rates."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from ib_async import IB, AccountValue

from hydra.domain import AccountSnapshot, BrokerError, Quote

__all__ = ["IBAccount", "account_snapshot"]

_ACCOUNT_TAGS = frozenset(
    {
        "NetLiquidation",
        "TotalCashValue",
        "RealizedPnL",
        "UnrealizedPnL",
        "InitMarginReq",
        "EquityWithLoanValue",
    }
)


def account_snapshot(ib: IB) -> AccountSnapshot:
    """Equity, cash, P&L and margin from the account updates IB streams to this client.

    Values are in the account's base currency: the ``BASE`` row when IB sends one
    (multi-currency accounts), else the row in the NetLiquidation currency. The initial
    margin (``InitMarginReq``) and equity with loan (``EquityWithLoanValue``) are None
    when IB sends neither row.

    Raises:
        BrokerError: the account values have not arrived (not connected or syncing), or
            IB sent a value that is not a number.
    """
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    for value in ib.accountValues():
        if value.tag in _ACCOUNT_TAGS:
            rows[(value.tag, value.currency)] = (value.value, value.account)
    net = next(((cur, val) for (tag, cur), val in rows.items() if tag == "NetLiquidation"), None)
    if net is None:
        raise BrokerError(
            "IB account values are not available (not connected, or not synchronised)"
        )
    currency, (_, account) = net

    def number(tag: str) -> float | None:
        raw = rows.get((tag, "BASE")) or rows.get((tag, currency))
        if raw is None:
            return None
        try:
            return float(raw[0])
        except ValueError:
            raise BrokerError(f"IB sent a non-numeric {tag}: {raw[0]!r}") from None

    base = currency if currency not in ("", "BASE") else "USD"
    return AccountSnapshot(
        account,
        number("NetLiquidation") or 0.0,
        number("TotalCashValue") or 0.0,
        number("RealizedPnL") or 0.0,
        number("UnrealizedPnL") or 0.0,
        base,
        initial_margin=number("InitMarginReq"),
        equity_with_loan=number("EquityWithLoanValue"),
    )


class IBAccount:
    """The account snapshot, rebuilt only when IB reports a changed value, and FX rates.

    The gate reads the account on every decision; IB streams its values as they change
    (``accountValueEvent``), so the snapshot is cached until the next such message, a
    disconnect (ib_async drops the values) or a reconnect.

    IB streams each currency's rate to the base currency as an ``ExchangeRate`` account
    value, and only resends a value when it changed. So a rate is as fresh as the
    account stream is alive: its quote carries the time of the latest message the
    stream delivered (an account value, or IB's account time), never older than the
    rate's own arrival. Rates are dropped with the connection and come back with the
    next session's account download; a rate IB sends as zero or garbage is missing.
    """

    __slots__ = ("_heard", "_ib", "_rates", "_snapshot")

    def __init__(self, ib: IB) -> None:
        self._ib = ib
        self._snapshot: AccountSnapshot | None = None
        self._rates: dict[str, Quote] = {}
        self._heard: datetime | None = None
        # ib_async raises no event for IB's account time (it arrives with each batch of
        # account updates): the wrapper's handler, looked up per message, is wrapped.
        wrapper = ib.wrapper
        account_time = wrapper.updateAccountTime

        def on_account_time(timestamp: str) -> None:
            account_time(timestamp)
            self.heard()

        wrapper.updateAccountTime = on_account_time  # type: ignore[method-assign]

    def exchange_rate(self, currency: str) -> Quote | None:
        """One unit of ``currency`` in the base currency (1 for the base), as IB sent it.

        None when IB sent no usable rate for it in this session, or the account values
        are not there (not connected or not synchronised).
        """
        code = currency.upper()
        try:
            base = self.snapshot().currency
        except BrokerError:
            return None
        if code == base:
            return Quote(1.0, datetime.now(UTC))
        quote = self._rates.get(code)
        heard = self._heard
        if quote is None or heard is None or heard <= quote.time:
            return quote
        return Quote(quote.price, heard)

    def snapshot(self) -> AccountSnapshot:
        """The current snapshot (see ``account_snapshot``)."""
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._snapshot = account_snapshot(self._ib)
        return snapshot

    def changed(self, value: AccountValue) -> None:
        """IB sent an account value: rebuild the snapshot on the next read; note a rate."""
        self._snapshot = None
        now = self._heard = datetime.now(UTC)
        if value.tag != "ExchangeRate":
            return
        code = value.currency.upper()
        if code in ("", "BASE"):
            return
        try:
            rate = float(value.value)
        except ValueError:
            rate = math.nan
        if math.isfinite(rate) and rate > 0:
            self._rates[code] = Quote(rate, now)
        else:
            self._rates.pop(code, None)

    def heard(self, *_args: object) -> None:
        """IB's account time arrived: the account stream is alive (the rates are current)."""
        self._heard = datetime.now(UTC)

    def invalidate(self) -> None:
        """Rebuild the snapshot on the next read (the connection came up or resynced)."""
        self._snapshot = None

    def reset(self) -> None:
        """The connection is gone: so are the values and rates (IB resends them all)."""
        self._snapshot = None
        self._rates.clear()
        self._heard = None
