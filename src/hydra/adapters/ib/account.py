"""The account over ib_async: the snapshot the gate derives equity and P&L from."""

from __future__ import annotations

from datetime import UTC, datetime

from ib_async import IB, AccountValue

from hydra.domain import AccountSnapshot, BrokerError, Quote

__all__ = ["IBAccount", "account_snapshot"]

_ACCOUNT_TAGS = frozenset({"NetLiquidation", "TotalCashValue", "RealizedPnL", "UnrealizedPnL"})


def account_snapshot(ib: IB) -> AccountSnapshot:
    """Equity, cash and P&L from the account updates IB streams to this client.

    Values are in the account's base currency: the ``BASE`` row when IB sends one
    (multi-currency accounts), else the row in the NetLiquidation currency.

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

    def number(tag: str) -> float:
        raw = rows.get((tag, "BASE")) or rows.get((tag, currency))
        if raw is None:
            return 0.0
        try:
            return float(raw[0])
        except ValueError:
            raise BrokerError(f"IB sent a non-numeric {tag}: {raw[0]!r}") from None

    base = currency if currency not in ("", "BASE") else "USD"
    return AccountSnapshot(
        account,
        number("NetLiquidation"),
        number("TotalCashValue"),
        number("RealizedPnL"),
        number("UnrealizedPnL"),
        base,
    )


class IBAccount:
    """The account snapshot, rebuilt only when IB reports a changed value, and FX rates.

    The gate reads the account on every decision; IB streams its values as they change
    (``accountValueEvent``), so the snapshot is cached until the next such message, a
    disconnect (ib_async drops the values) or a reconnect. IB streams each currency's
    rate to the base currency as an ``ExchangeRate`` account value; each is kept with the
    time it arrived.
    """

    __slots__ = ("_ib", "_rates", "_snapshot")

    def __init__(self, ib: IB) -> None:
        self._ib = ib
        self._snapshot: AccountSnapshot | None = None
        self._rates: dict[str, Quote] = {}

    def exchange_rate(self, currency: str) -> Quote | None:
        """One unit of ``currency`` in the base currency (1 for the base), as IB sent it."""
        code = currency.upper()
        try:
            base = self.snapshot().currency
        except BrokerError:
            return None
        if code == base:
            return Quote(1.0, datetime.now(UTC))
        return self._rates.get(code)

    def snapshot(self) -> AccountSnapshot:
        """The current snapshot (see ``account_snapshot``)."""
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._snapshot = account_snapshot(self._ib)
        return snapshot

    def changed(self, *args: object) -> None:
        """An account value changed (or the connection did): rebuild on the next read."""
        self._snapshot = None
        value = args[0] if args else None
        if isinstance(value, AccountValue) and value.tag == "ExchangeRate":
            try:
                rate = float(value.value)
            except ValueError:
                return
            code = value.currency.upper()
            if rate > 0 and code not in ("", "BASE"):
                self._rates[code] = Quote(rate, datetime.now(UTC))
        elif not args:  # the connection changed: IB sends every rate again when it is back
            self._rates.clear()
