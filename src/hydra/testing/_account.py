"""Positions, account values and summary, and P&L of the fake gateway: the messages.

The figures come from ``_ledger`` (cash per currency, exchange rates, margin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hydra.testing import _wire_account as wire_account
from hydra.testing._core import Session
from hydra.testing._ledger import LedgerDesk, money

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hydra.testing._model import FakeInstrument


_LEDGER_SUMMARY = (
    ("CashBalance", "cash"),
    ("TotalCashBalance", "cash"),
    ("NetLiquidationByCurrency", "net_liq"),
    ("RealizedPnL", "realized"),
    ("UnrealizedPnL", "unrealized"),
)


class AccountDesk(LedgerDesk):
    """Answers position, account and P&L requests and pushes their updates."""

    def _push_after_fill(self, inst: FakeInstrument) -> None:
        self._push_position(inst)
        self._push_account_updates([inst])
        self._push_pnl()

    def _on_req_positions(self, session: Session, fields: list[str]) -> None:
        session.positions = True
        for key, qty in self._open_quantities():
            avg = self._book.position(key)[1]
            session.send(wire_account.position(self.account, self._by_key[key], qty, avg))
        session.send(wire_account.position_end())

    def _on_cancel_positions(self, session: Session, fields: list[str]) -> None:
        session.positions = False

    def _push_position(self, inst: FakeInstrument) -> None:
        qty, avg = self._book.position(inst.key)
        for session in list(self._sessions):
            if session.live and session.positions:
                session.send(wire_account.position(self.account, inst, qty, avg))

    def _on_req_account_updates(self, session: Session, fields: list[str]) -> None:
        # [6, 2, subscribe, acctCode]
        session.account_updates = fields[2] in {"1", "True", "true"}
        if session.account_updates:
            insts = [self._by_key[k] for k in self._book.open_symbols()]
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

    def _withdraw_rate(self, currency: str) -> None:
        """Tell account subscribers a currency's rate is gone: its row, with no value."""
        for session in self._live_sessions():
            if session.account_updates:
                row = wire_account.account_value("ExchangeRate", "", currency, self.account)
                session.send(row)

    def _send_account_updates(self, session: Session, insts: Sequence[FakeInstrument]) -> None:
        for tag, value, currency in self._account_rows():
            session.send(wire_account.account_value(tag, value, currency, self.account))
        for inst in insts:
            qty, avg = self._book.position(inst.key)
            session.send(
                wire_account.portfolio_value(
                    self.account,
                    inst,
                    qty,
                    self._mark(inst.key),
                    avg,
                    self._book.realized.get(inst.key, 0.0),
                )
            )
        session.send(wire_account.account_time(datetime.now(UTC).strftime("%H:%M")))

    def _on_req_account_summary(self, session: Session, fields: list[str]) -> None:
        # [62, 1, reqId, group, tags]
        req_id = int(fields[2])
        values = self._summary_values()
        for tag in (t.strip() for t in fields[4].split(",")):
            if tag in values:
                value, currency = values[tag]
                session.send(
                    wire_account.account_summary(req_id, self.account, tag, value, currency)
                )
            elif tag.startswith("$LEDGER"):
                # $LEDGER: the base totals; $LEDGER:ALL also every currency held.
                for currency, figures in self._ledgers(all_currencies=tag == "$LEDGER:ALL"):
                    for ledger_tag, name in _LEDGER_SUMMARY:
                        row = (ledger_tag, money(figures[name]), currency)
                        session.send(wire_account.account_summary(req_id, self.account, *row))
        session.send(wire_account.account_summary_end(req_id))

    # ------------------------------------------------------------------ P&L

    def _pnl_message(self, req_id: int, target: FakeInstrument | None) -> list[str]:
        if target is None:
            unrealized = self.unrealized_pnl
            realized = self.realized_pnl
            return wire_account.pnl(req_id, unrealized + realized, unrealized, realized)
        qty, _ = self._book.position(target.key)
        unrealized = self._unrealized(target.key)
        realized = self._book.realized.get(target.key, 0.0)
        value = qty * self._mark(target.key) * target.multiplier
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
