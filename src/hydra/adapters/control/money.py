"""Money as an operator reads it: equity, daily P&L, exposure, each position's value.

Everything is read from the gate's public views (``gate.status()``, ``gate.broker``) and
shown in the account's base currency: a position in another currency is valued in its own
and converted with the broker's exchange rate (``gate.broker.exchange_rate``), the one the
gate values risk with. A position without a price or a rate is shown, unvalued, and named
as left out of the exposure sums. The console, ``/api/v1/positions`` and the Prometheus
gauges all use these numbers, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from hydra.adapters.control.shown import contract_fields
from hydra.application import RiskGate
from hydra.domain import Position

__all__ = ["AccountMoney", "PositionMoney", "account_money", "position_money"]


@dataclass(frozen=True, slots=True)
class PositionMoney:
    """One position valued at the broker's latest price (None where no price is known).

    ``label`` names the exact contract (``ESZ6``; the symbol alone would not tell two
    expiries apart), beside its contract fields (``shown.contract_fields``).
    ``market_price`` and the ``local_`` amounts are in the contract's ``currency``:
    ``local_market_value`` = price x quantity x multiplier (signed: short is negative),
    ``local_unrealized_pnl`` = (price - avg cost) x quantity x multiplier.
    ``market_value`` and ``unrealized_pnl`` are the same in the account's base currency
    (``fx_rate`` = one unit of ``currency`` in it; None without the broker's rate).
    """

    symbol: str
    label: str
    con_id: int
    sec_type: str
    expiry: str | None
    strike: float | None
    right: str | None
    local_symbol: str | None
    trading_class: str | None
    currency: str
    quantity: float
    avg_cost: float
    multiplier: float
    market_price: float | None
    price_time: str | None
    fx_rate: float | None
    local_market_value: float | None
    local_unrealized_pnl: float | None
    market_value: float | None
    unrealized_pnl: float | None


@dataclass(frozen=True, slots=True)
class AccountMoney:
    """The account in its base ``currency``: equity, P&L since the session start, exposure.

    ``daily_pnl`` = equity - session-start equity, ``daily_pnl_fraction`` the same as a
    fraction of session-start equity (the ``daily_loss`` breaker's unit); both None before
    the gate has seen its first session. ``gross_exposure`` / ``net_exposure`` sum
    absolute market value / market value in the base currency; ``unvalued`` names (by
    label) the positions left out (no price, or no exchange rate for their currency).
    """

    account: str
    currency: str
    equity: float
    cash: float
    session_start_equity: float | None
    daily_pnl: float | None
    daily_pnl_fraction: float | None
    realized_pnl: float
    unrealized_pnl: float
    gross_exposure: float
    net_exposure: float
    unvalued: tuple[str, ...]


def _times(value: float | None, rate: float | None) -> float | None:
    return value * rate if value is not None and rate is not None else None


def position_money(gate: RiskGate, position: Position) -> PositionMoney:
    """Value ``position`` with the broker's price, multiplier and exchange rate."""
    instrument = position.instrument
    spec = gate.broker.contract_spec(instrument)
    multiplier = spec.multiplier if spec is not None else instrument.multiplier
    currency = spec.currency if spec is not None else instrument.currency
    quote = gate.broker.reference_price(instrument)
    rate = gate.broker.exchange_rate(currency)
    price = quote.price if quote is not None else None
    factor = position.quantity * multiplier
    value = price * factor if price is not None else None
    pnl = (price - position.avg_cost) * factor if price is not None else None
    fx = rate.price if rate is not None else None
    return PositionMoney(
        **contract_fields(instrument),
        currency=currency,
        quantity=position.quantity,
        avg_cost=position.avg_cost,
        multiplier=multiplier,
        market_price=price,
        price_time=quote.time.isoformat() if quote is not None else None,
        fx_rate=fx,
        local_market_value=value,
        local_unrealized_pnl=pnl,
        market_value=_times(value, fx),
        unrealized_pnl=_times(pnl, fx),
    )


def account_money(gate: RiskGate) -> tuple[AccountMoney, tuple[PositionMoney, ...]]:
    """The account's money and every position's, read now.

    Raises:
        HydraError: the broker cannot report its account (e.g. disconnected).
    """
    account = gate.broker.account()
    positions = tuple(position_money(gate, p) for p in gate.broker.positions())
    start = gate.status().session_start_equity
    valued = [p.market_value for p in positions if p.market_value is not None]
    unvalued = tuple(p.label for p in positions if p.market_value is None)
    daily = account.net_liquidation - start if start else None
    money = AccountMoney(
        account=account.account,
        currency=account.currency,
        equity=account.net_liquidation,
        cash=account.cash,
        session_start_equity=start,
        daily_pnl=daily,
        daily_pnl_fraction=daily / start if daily is not None and start else None,
        realized_pnl=account.realized_pnl,
        unrealized_pnl=account.unrealized_pnl,
        gross_exposure=sum(abs(v) for v in valued),
        net_exposure=sum(valued),
        unvalued=unvalued,
    )
    return money, positions
