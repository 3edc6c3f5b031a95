"""Positions, account values, account summary and P&L of the fake gateway."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hydra.testing import _wire_account as wire_account
from hydra.testing._core import GatewayCore, Session

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hydra.testing._model import FakeInstrument

# Initial margin as a fraction of gross position value; feeds the margin account tags and
# whatIf previews.
MARGIN_RATE = 0.25


def _money(value: float) -> str:
    return f"{value:.2f}"


class AccountDesk(GatewayCore):
    """Answers position, account and P&L requests and pushes their updates."""

    @property
    def realized_pnl(self) -> float:
        """P&L realized by closing fills, before commissions."""
        return sum(self._book.realized.values())

    @property
    def unrealized_pnl(self) -> float:
        """P&L of open positions marked at their reference prices."""
        total = 0.0
        for symbol, qty in self._open_quantities():
            avg = self._book.position(symbol)[1]
            total += (self._mark(symbol) - avg) * qty * self._by_symbol[symbol].multiplier
        return total

    def _push_after_fill(self, inst: FakeInstrument) -> None:
        self._push_position(inst)
        self._push_account_updates([inst])
        self._push_pnl()

    def _on_req_positions(self, session: Session, fields: list[str]) -> None:
        session.positions = True
        for symbol, qty in self._open_quantities():
            avg = self._book.position(symbol)[1]
            session.send(wire_account.position(self.account, self._by_symbol[symbol], qty, avg))
        session.send(wire_account.position_end())

    def _on_cancel_positions(self, session: Session, fields: list[str]) -> None:
        session.positions = False

    def _push_position(self, inst: FakeInstrument) -> None:
        qty, avg = self._book.position(inst.symbol)
        for session in list(self._sessions):
            if session.live and session.positions:
                session.send(wire_account.position(self.account, inst, qty, avg))

    def _on_req_account_updates(self, session: Session, fields: list[str]) -> None:
        # [6, 2, subscribe, acctCode]
        session.account_updates = fields[2] in {"1", "True", "true"}
        if session.account_updates:
            insts = [self._by_symbol[s] for s in self._book.open_symbols()]
            self._send_account_updates(session, insts)
            session.send(wire_account.account_download_end(self.account))

    def _on_req_account_updates_multi(self, session: Session, fields: list[str]) -> None:
        # [76, 1, reqId, account, modelCode, ledgerAndNLV]: the reqAccountUpdates rows
        # already carry every value, so only the end marker the client waits for is sent.
        session.send(wire_account.account_update_multi_end(int(fields[2])))

    def _push_account_updates(self, insts: Sequence[FakeInstrument]) -> None:
        for session in list(self._sessions):
            if session.live and session.account_updates:
                self._send_account_updates(session, insts)

    def _send_account_updates(self, session: Session, insts: Sequence[FakeInstrument]) -> None:
        for tag, value, currency in self._account_rows():
            session.send(wire_account.account_value(tag, value, currency, self.account))
        for inst in insts:
            qty, avg = self._book.position(inst.symbol)
            session.send(
                wire_account.portfolio_value(
                    self.account,
                    inst,
                    qty,
                    self._mark(inst.symbol),
                    avg,
                    self._book.realized.get(inst.symbol, 0.0),
                )
            )
        session.send(wire_account.account_time(datetime.now(UTC).strftime("%H:%M")))

    def _figures(self) -> dict[str, float]:
        gross = sum(
            abs(qty * self._mark(s) * self._by_symbol[s].multiplier)
            for s, qty in self._open_quantities()
        )
        stock = sum(
            qty * self._mark(s) * self._by_symbol[s].multiplier
            for s, qty in self._open_quantities()
        )
        net_liq = self._cash + stock
        init_margin = gross * MARGIN_RATE
        available = net_liq - init_margin
        return {
            "net_liq": net_liq,
            "cash": self._cash,
            "gross": gross,
            "stock": stock,
            "margin": init_margin,
            "available": available,
            "buying_power": 4 * available,
            "realized": self.realized_pnl,
            "unrealized": self.unrealized_pnl,
            "cushion": available / net_liq if net_liq else 0.0,
            "leverage": gross / net_liq if net_liq else 0.0,
        }

    def _account_rows(self) -> list[tuple[str, str, str]]:
        """Rows for accountValue(6) messages: (tag, value, currency)."""
        f = self._figures()
        rows = [
            ("AccountCode", self.account, ""),
            ("AccountType", "INDIVIDUAL", ""),
            ("Currency", "USD", "USD"),
            ("Currency", "BASE", "BASE"),
        ]
        usd_and_base = (
            ("CashBalance", f["cash"]),
            ("TotalCashBalance", f["cash"]),
            ("NetLiquidationByCurrency", f["net_liq"]),
            ("StockMarketValue", f["stock"]),
            ("RealizedPnL", f["realized"]),
            ("UnrealizedPnL", f["unrealized"]),
        )
        for tag, value in usd_and_base:
            rows.append((tag, _money(value), "USD"))
            rows.append((tag, _money(value), "BASE"))
        usd_only = (
            ("NetLiquidation", f["net_liq"]),
            ("TotalCashValue", f["cash"]),
            ("SettledCash", f["cash"]),
            ("EquityWithLoanValue", f["net_liq"]),
            ("GrossPositionValue", f["gross"]),
            ("InitMarginReq", f["margin"]),
            ("MaintMarginReq", f["margin"]),
            ("AvailableFunds", f["available"]),
            ("ExcessLiquidity", f["available"]),
            ("BuyingPower", f["buying_power"]),
        )
        rows.extend((tag, _money(value), "USD") for tag, value in usd_only)
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
            "MaintMarginReq": f["margin"],
            "AvailableFunds": f["available"],
            "ExcessLiquidity": f["available"],
            "FullInitMarginReq": f["margin"],
            "FullMaintMarginReq": f["margin"],
            "FullAvailableFunds": f["available"],
            "FullExcessLiquidity": f["available"],
            "LookAheadInitMarginReq": f["margin"],
            "LookAheadMaintMarginReq": f["margin"],
            "LookAheadAvailableFunds": f["available"],
            "LookAheadExcessLiquidity": f["available"],
        }
        values = {tag: (_money(v), "USD") for tag, v in usd.items()}
        values["AccountType"] = ("INDIVIDUAL", "")
        values["Cushion"] = (f"{f['cushion']:.6f}", "")
        values["Leverage"] = (f"{f['leverage']:.2f}", "")
        values["DayTradesRemaining"] = ("-1", "")
        return values

    def _on_req_account_summary(self, session: Session, fields: list[str]) -> None:
        # [62, 1, reqId, group, tags]
        req_id = int(fields[2])
        values = self._summary_values()
        f = self._figures()
        for tag in (t.strip() for t in fields[4].split(",")):
            if tag in values:
                value, currency = values[tag]
                session.send(
                    wire_account.account_summary(req_id, self.account, tag, value, currency)
                )
            elif tag.startswith("$LEDGER"):
                for currency in ("BASE", "USD"):
                    for ledger_tag, amount in (
                        ("CashBalance", f["cash"]),
                        ("TotalCashBalance", f["cash"]),
                        ("NetLiquidationByCurrency", f["net_liq"]),
                        ("RealizedPnL", f["realized"]),
                        ("UnrealizedPnL", f["unrealized"]),
                    ):
                        session.send(
                            wire_account.account_summary(
                                req_id, self.account, ledger_tag, _money(amount), currency
                            )
                        )
        session.send(wire_account.account_summary_end(req_id))

    # ------------------------------------------------------------------ P&L

    def _pnl_message(self, req_id: int, target: FakeInstrument | None) -> list[str]:
        if target is None:
            unrealized = self.unrealized_pnl
            realized = self.realized_pnl
            return wire_account.pnl(req_id, unrealized + realized, unrealized, realized)
        qty, avg = self._book.position(target.symbol)
        mark = self._mark(target.symbol)
        unrealized = (mark - avg) * qty * target.multiplier
        realized = self._book.realized.get(target.symbol, 0.0)
        value = qty * mark * target.multiplier
        return wire_account.pnl_single(
            req_id, qty, unrealized + realized, unrealized, realized, value
        )

    def _on_req_pnl(self, session: Session, fields: list[str]) -> None:
        # [92, reqId, account, modelCode]: daily P&L here is everything since start.
        req_id = int(fields[1])
        session.pnl[req_id] = None
        session.send(self._pnl_message(req_id, None))

    def _on_req_pnl_single(self, session: Session, fields: list[str]) -> None:
        # [94, reqId, account, modelCode, conId]
        req_id = int(fields[1])
        inst = self._by_con_id.get(int(fields[4] or 0))
        if inst is None:
            session.error(req_id, 200, "No security definition has been found for the request")
            return
        session.pnl[req_id] = inst
        session.send(self._pnl_message(req_id, inst))

    def _on_cancel_pnl(self, session: Session, fields: list[str]) -> None:
        # [93, reqId] and [95, reqId]
        session.pnl.pop(int(fields[1]), None)

    def _push_pnl(self) -> None:
        for session in self._live_sessions():
            for req_id, target in session.pnl.items():
                session.send(self._pnl_message(req_id, target))
