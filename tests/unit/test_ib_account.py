"""The account as ib_async holds IB's account values: base-currency rows, margin, rates."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from ib_async import IB, AccountValue

from hydra.adapters.ib.account import IBAccount, account_snapshot
from hydra.domain import BrokerError

ACCOUNT = "DU123456"


def with_values(*rows: tuple[str, str, str]) -> IB:
    """An ib_async client whose wrapper holds these (tag, value, currency) account values."""
    ib = IB()
    for tag, value, currency in rows:
        ib.wrapper.updateAccountValue(tag, value, currency, ACCOUNT)
    return ib


BASICS = (
    ("NetLiquidation", "100000.00", "USD"),
    ("TotalCashValue", "90000.00", "USD"),
)


def test_margin_figures_prefer_the_base_row_then_the_base_currency() -> None:
    """InitMarginReq from the BASE row when sent, EquityWithLoanValue from the USD row."""
    ib = with_values(
        *BASICS,
        ("InitMarginReq", "1500.00", "USD"),
        ("InitMarginReq", "1234.50", "BASE"),
        ("EquityWithLoanValue", "99000.00", "USD"),
        ("EquityWithLoanValue", "1.00", "EUR"),
    )
    snapshot = account_snapshot(ib)
    assert (snapshot.initial_margin, snapshot.equity_with_loan) == (1234.5, 99000.0)
    assert (snapshot.net_liquidation, snapshot.cash, snapshot.currency) == (
        100000.0,
        90000.0,
        "USD",
    )


def test_margin_figures_not_sent_are_none_not_zero() -> None:
    """An account that reports no margin rows says so (None), so a model cannot misjudge."""
    snapshot = account_snapshot(with_values(*BASICS))
    assert snapshot.initial_margin is None
    assert snapshot.equity_with_loan is None


def test_a_non_numeric_margin_figure_is_a_broker_error() -> None:
    """Garbage from IB is named, never read as a number."""
    with pytest.raises(BrokerError, match="InitMarginReq"):
        account_snapshot(with_values(*BASICS, ("InitMarginReq", "n/a", "USD")))


def test_a_rate_is_as_fresh_as_the_latest_account_message() -> None:
    """The JPY quote's time follows any later account message; a zero rate is missing."""
    ib = with_values(*BASICS)
    account = IBAccount(ib)
    before = datetime.now(UTC)
    account.changed(AccountValue(ACCOUNT, "ExchangeRate", "0.0067", "JPY", ""))
    first = account.exchange_rate("jpy")
    assert first is not None
    assert first.price == 0.0067
    assert first.time >= before
    time.sleep(0.002)  # so the wall clock has moved on
    ib.wrapper.updateAccountTime("12:00")  # IB's account time: the stream is alive
    later = account.exchange_rate("JPY")
    assert later is not None
    assert later.time > first.time
    assert later.price == first.price
    base = account.exchange_rate("USD")
    assert base is not None
    assert base.price == 1.0
    assert base.time - datetime.now(UTC) < timedelta(seconds=1)
    account.changed(AccountValue(ACCOUNT, "ExchangeRate", "0", "JPY", ""))
    assert account.exchange_rate("JPY") is None
    account.changed(AccountValue(ACCOUNT, "ExchangeRate", "1.08", "EUR", ""))
    account.reset()
    assert account.exchange_rate("EUR") is None  # dropped with the connection
