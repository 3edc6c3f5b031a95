"""The fake gateway's money: cash per currency, exchange rates, position values and margin.

Money is kept per currency (cash, positions in their instrument's currency) and reported
as IB does: per-currency ledger rows, ``BASE`` rows converted at the ``ExchangeRate``
values it also reports, and the base-currency totals (net liquidation, margin,
funds). Futures move no cash but their P&L (IB settles them daily); their value in the
account is their unrealized P&L. Margin follows the gateway's ``MarginModel``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.testing._core import BASE_CURRENCY, GatewayCore

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hydra.testing._model import FakeInstrument

_FUTURES = frozenset({"FUT", "CONTFUT"})


def money(value: float) -> str:
    """An amount as IB writes account values: two decimals."""
    return f"{value:.2f}"


class LedgerDesk(GatewayCore):
    """Books fills into cash and positions, and values the account in its base currency."""

    @property
    def realized_pnl(self) -> float:
        """P&L realized by closing fills, before commissions, in the base currency."""
        return sum(
            pnl * self._rate(self._by_key[key].currency) for key, pnl in self._book.realized.items()
        )

    @property
    def unrealized_pnl(self) -> float:
        """P&L of open positions marked at their reference prices, in the base currency."""
        return sum(
            self._unrealized(key) * self._rate(self._by_key[key].currency)
            for key, _ in self._open_quantities()
        )

    def _unrealized(self, key: str) -> float:
        """One position's unrealized P&L in its instrument's currency."""
        qty, avg = self._book.position(key)
        return (self._mark(key) - avg) * qty * self._by_key[key].multiplier

    def _value(self, key: str) -> float:
        """What a position adds to net liquidation, in its currency (futures: their P&L)."""
        inst = self._by_key[key]
        if inst.sec_type in _FUTURES:
            return self._unrealized(key)
        return self._book.position(key)[0] * self._mark(key) * inst.multiplier

    def _book_fill(self, inst: FakeInstrument, signed: float, price: float, fee: float) -> float:
        """Book a fill's position and cash (in the instrument's currency); its realized P&L."""
        realized = self._book.apply_fill(inst.key, signed, price, inst.multiplier)
        cash = self._cash.get(inst.currency, 0.0) - fee
        if inst.sec_type in _FUTURES:
            cash += realized
        else:
            cash -= signed * price * inst.multiplier
        self._cash[inst.currency] = cash
        return realized

    def _margin(
        self, extra: Iterable[tuple[FakeInstrument, float, float]] = ()
    ) -> tuple[float, float]:
        """``(initial, maintenance)`` margin of every position, plus ``extra`` ones, in base.

        ``extra`` holds ``(instrument, signed quantity, price)`` added to the positions (a
        whatIf order as if it had filled).
        """
        quantities = dict(self._open_quantities())
        prices = {key: self._mark(key) for key in quantities}
        for inst, qty, price in extra:
            quantities[inst.key] = quantities.get(inst.key, 0.0) + qty
            prices.setdefault(inst.key, price)
        initial = maintenance = 0.0
        for key, qty in quantities.items():
            inst = self._by_key[key]
            under = self._prices.get(inst.underlying) if inst.underlying else None
            init, maint = self._margin_model.requirement(inst, qty, prices[key], under)
            rate = self._rate(inst.currency)
            initial += init * rate
            maintenance += maint * rate
        return initial, maintenance

    def _ledger_currencies(self) -> list[str]:
        """The base currency, then every currency with cash or a position, in a stable order."""
        held = {c for c, amount in self._cash.items() if amount}
        held |= {self._by_key[key].currency for key, _ in self._open_quantities()}
        return [BASE_CURRENCY, *sorted(held - {BASE_CURRENCY})]

    def _ledger(self, currency: str) -> dict[str, float]:
        """One currency's ledger, in that currency."""
        keys = [k for k, _ in self._open_quantities() if self._by_key[k].currency == currency]
        cash = self._cash.get(currency, 0.0)
        stock = sum(self._value(k) for k in keys if self._by_key[k].sec_type not in _FUTURES)
        return {
            "cash": cash,
            "net_liq": cash + sum(self._value(k) for k in keys),
            "stock": stock,
            "realized": sum(
                pnl
                for k, pnl in self._book.realized.items()
                if self._by_key[k].currency == currency
            ),
            "unrealized": sum(self._unrealized(k) for k in keys),
        }

    def _ledgers(self, *, all_currencies: bool) -> list[tuple[str, dict[str, float]]]:
        """The ``BASE`` totals, and with ``all_currencies`` each currency's ledger."""
        result = [("BASE", self._figures())]
        if all_currencies:
            result += [(c, self._ledger(c)) for c in self._ledger_currencies()]
        return result

    def _figures(self) -> dict[str, float]:
        """The account's totals, in the base currency."""
        cash = sum(amount * self._rate(c) for c, amount in self._cash.items())
        values = [
            (k, self._value(k) * self._rate(self._by_key[k].currency))
            for k, _ in self._open_quantities()
        ]
        net_liq = cash + sum(v for _, v in values)
        gross = sum(
            abs(self._book.position(k)[0] * self._mark(k) * self._by_key[k].multiplier)
            * self._rate(self._by_key[k].currency)
            for k, _ in self._open_quantities()
            if self._by_key[k].sec_type not in _FUTURES
        )
        stock = sum(v for k, v in values if self._by_key[k].sec_type not in _FUTURES)
        initial, maintenance = self._margin()
        available = net_liq - initial
        return {
            "net_liq": net_liq,
            "cash": cash,
            "gross": gross,
            "stock": stock,
            "margin": initial,
            "maintenance": maintenance,
            "available": available,
            "excess": net_liq - maintenance,
            "buying_power": 4 * available,
            "realized": self.realized_pnl,
            "unrealized": self.unrealized_pnl,
            "cushion": (net_liq - maintenance) / net_liq if net_liq else 0.0,
            "leverage": gross / net_liq if net_liq else 0.0,
        }

    def _account_rows(self) -> list[tuple[str, str, str]]:
        """Rows for accountValue(6) messages: (tag, value, currency).

        The ledger of each currency held and its ``BASE`` total, the exchange rates, and
        the account's totals in its base currency.
        """
        f = self._figures()
        rows = [
            ("AccountCode", self.account, ""),
            ("AccountType", "INDIVIDUAL", ""),
            ("Currency", "BASE", "BASE"),
        ]
        rows.append(("ExchangeRate", "1.00", "BASE"))
        for currency, rate in sorted(self._rates.items()):
            if currency not in self._unpublished_rates:
                rows.append(("ExchangeRate", f"{rate:.10g}", currency))
        ledger_tags = (
            ("CashBalance", "cash"),
            ("TotalCashBalance", "cash"),
            ("NetLiquidationByCurrency", "net_liq"),
            ("StockMarketValue", "stock"),
            ("RealizedPnL", "realized"),
            ("UnrealizedPnL", "unrealized"),
        )
        for currency in self._ledger_currencies():
            ledger = self._ledger(currency)
            rows.append(("Currency", currency, currency))
            rows.extend((tag, money(ledger[name]), currency) for tag, name in ledger_tags)
        rows.extend((tag, money(f[name]), "BASE") for tag, name in ledger_tags)
        base_only = (
            ("NetLiquidation", f["net_liq"]),
            ("TotalCashValue", f["cash"]),
            ("SettledCash", f["cash"]),
            ("EquityWithLoanValue", f["net_liq"]),
            ("GrossPositionValue", f["gross"]),
            ("InitMarginReq", f["margin"]),
            ("MaintMarginReq", f["maintenance"]),
            ("FullInitMarginReq", f["margin"]),
            ("FullMaintMarginReq", f["maintenance"]),
            ("AvailableFunds", f["available"]),
            ("ExcessLiquidity", f["excess"]),
            ("BuyingPower", f["buying_power"]),
        )
        rows.extend((tag, money(value), BASE_CURRENCY) for tag, value in base_only)
        return rows

    def _summary_values(self) -> dict[str, tuple[str, str]]:
        """Values for accountSummary(63) by tag: (value, currency)."""
        f = self._figures()
        usd = {
            "NetLiquidation": f["net_liq"],
            "TotalCashValue": f["cash"],
            "SettledCash": f["cash"],
            "AccruedCash": 0.0,
            "BuyingPower": f["buying_power"],
            "EquityWithLoanValue": f["net_liq"],
            "PreviousDayEquityWithLoanValue": f["net_liq"],
            "GrossPositionValue": f["gross"],
            "RegTEquity": f["net_liq"],
            "RegTMargin": f["margin"],
            "SMA": f["net_liq"],
            "InitMarginReq": f["margin"],
            "MaintMarginReq": f["maintenance"],
            "AvailableFunds": f["available"],
            "ExcessLiquidity": f["excess"],
            "FullInitMarginReq": f["margin"],
            "FullMaintMarginReq": f["maintenance"],
            "FullAvailableFunds": f["available"],
            "FullExcessLiquidity": f["excess"],
            "LookAheadInitMarginReq": f["margin"],
            "LookAheadMaintMarginReq": f["maintenance"],
            "LookAheadAvailableFunds": f["available"],
            "LookAheadExcessLiquidity": f["excess"],
        }
        values = {tag: (money(v), BASE_CURRENCY) for tag, v in usd.items()}
        values["AccountType"] = ("INDIVIDUAL", "")
        values["Cushion"] = (f"{f['cushion']:.6f}", "")
        values["Leverage"] = (f"{f['leverage']:.2f}", "")
        values["DayTradesRemaining"] = ("-1", "")
        return values
