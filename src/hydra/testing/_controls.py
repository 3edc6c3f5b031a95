"""The world a test scripts around the fake gateway: prices, the close, and the rest.

Shortable shares, exchange rates, trading hours and the margin model too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hydra.testing._faults import FaultControls
from hydra.testing._margin import MarginModel

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date

    from hydra.testing._model import FakeInstrument

__all__ = ["WorldControls"]


def _positive(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        msg = f"{name} must be a positive finite number, not {value!r}"
        raise ValueError(msg)
    return number


class WorldControls(FaultControls):
    """Test controls for the market and the account the gateway reports."""

    # ------------------------------------------------------------------ prices

    def set_price(self, symbol: str, price: float) -> None:
        """Set the reference price of an instrument, stream it, and fill what it triggers.

        Every live market data subscription to it gets fresh ticks first. Limit orders
        fill at the reference price (a buy limit when ``price <= limit``, a sell limit
        when ``price >= limit``); stops, if-touched and trailing orders trigger as
        ``_order_rules`` says (trailing stops follow the price first). Everything is
        pushed to clients before this returns (written to their sockets; a client sees
        it on its next loop iteration).

        Args:
            symbol: The instrument's local symbol (``"ESZ6"``), or a symbol only one
                instrument has (``"AAPL"`` is the stock).
            price: The new reference price.

        Raises:
            KeyError: Not one of the gateway's instruments, or an ambiguous symbol.
            ValueError: The price is not a positive finite number.
        """
        inst = self._instrument(symbol)
        value = _positive(f"price of {symbol}", price)
        self._prices[inst.key] = value
        self._bump_stats(inst.key, value)
        self._stream(inst)
        filled_any = False
        for order in list(self._orders.values()):
            if order.instrument is inst and order.order_type != "MKT" and self._try_fill(order):
                filled_any = True
        # A fill already pushed fresh account values; otherwise a held mark (or an option
        # margined on this underlying) moved.
        held = [self._by_key[k] for k in self._book.open_symbols()]
        moved = [i for i in held if inst.key in {i.key, i.underlying}]
        if not filled_any and moved:
            self._push_account_updates(moved)
            self._push_pnl()

    def price(self, symbol: str) -> float | None:
        """The reference price of an instrument, or ``None`` when it has none."""
        return self._prices.get(self._instrument(symbol).key)

    def close_market(self, closes: Mapping[str, float] | None = None) -> None:
        """Run the closing auction: MOC orders fill at the close, LOC orders within it.

        Each instrument named in ``closes`` first gets that price as its reference price
        (as :meth:`set_price`), which market data reports as its CLOSE too; then every
        working MOC order of every priced instrument fills at its reference price, and
        every LOC order fills there if the close is within its limit and is cancelled
        otherwise, as IB cancels an unfilled LOC.

        Raises:
            KeyError: An unknown or ambiguous instrument in ``closes``.
            ValueError: A close that is not a positive finite number.
        """
        for name, close in (closes or {}).items():
            self.set_price(name, close)
        for inst in self._by_key.values():
            last = self._prices.get(inst.key)
            if last is not None:
                self._close[inst.key] = last
                self._fill_at_close(inst, last)

    # ------------------------------------------------------------------ shortable shares

    def set_shortable(self, symbol: str, shares: float | None) -> None:
        """Set the shares IB can lend for a short sale, reported as generic tick 236.

        Subscriptions that asked for tick 236 get the shortability indicator (tick 46:
        3.0 with 1,000 shares or more, 2.0 with fewer, 1.0 with none) and the number of
        shares (tick 89) now and whenever it changes. ``0`` is "none available";
        ``None`` stops reporting it (unknown): a subscription that had a number gets
        tick 89 once as NaN (so a client holding the old number learns it is gone;
        IB itself never withdraws it), then nothing. Stocks start with 10,000,000
        shares, anything else with ``None``.

        Raises:
            KeyError: Not one of the gateway's instruments, or an ambiguous symbol.
            ValueError: A negative or non-finite number of shares.
        """
        inst = self._instrument(symbol)
        if shares is not None:
            number = float(shares)
            if not math.isfinite(number) or number < 0:
                msg = f"shortable shares must be a finite number >= 0 or None, not {shares!r}"
                raise ValueError(msg)
            shares = number
        known = self._shortable.get(inst.key) is not None
        self._shortable[inst.key] = shares
        if shares is None:
            if known:
                self._withdraw_shortable(inst)
            return
        self._stream_shortable(inst)

    def shortable(self, symbol: str) -> float | None:
        """The shares reported as shortable for an instrument (None: not reported)."""
        return self._shortable.get(self._instrument(symbol).key)

    # ------------------------------------------------------------------ money

    def set_exchange_rate(self, currency: str, rate: float | None) -> None:
        """Set the base-currency value of one unit of ``currency`` (IB's ``ExchangeRate``).

        The account reports it (and values cash and positions in that currency with it)
        from now on; account subscribers get fresh values at once. ``None`` stops
        reporting the currency's rate (a missing rate): account subscribers get its row
        once with no value (so a client holding the old rate learns it is gone; IB
        itself only leaves it out of a new session's values), and it is left out from
        then on, while the gateway's own books keep valuing it at the last rate. The
        base currency (USD) stays 1.

        Raises:
            ValueError: A rate that is not a positive finite number, or the base currency.
        """
        if currency in {"USD", "BASE"}:
            msg = "the base currency's rate is 1 and cannot change"
            raise ValueError(msg)
        if rate is None:
            if currency not in self._unpublished_rates:
                self._unpublished_rates.add(currency)
                self._withdraw_rate(currency)
        else:
            self._rates[currency] = _positive(f"rate of {currency}", rate)
            self._unpublished_rates.discard(currency)
        self._push_account_updates([])

    def exchange_rate(self, currency: str) -> float | None:
        """The rate the account reports for ``currency`` (None: not reported)."""
        if currency in self._unpublished_rates:
            return None
        return self._rates.get(currency)

    def cash_balances(self) -> dict[str, float]:
        """Cash per currency (fills move cash in the instrument's currency)."""
        return {c: amount for c, amount in self._cash.items() if amount or c == "USD"}

    @property
    def margin_model(self) -> MarginModel:
        """The rates margin requirements and whatIf previews follow; assignable."""
        return self._margin_model

    @margin_model.setter
    def margin_model(self, model: object) -> None:
        if not isinstance(model, MarginModel):
            msg = f"margin_model must be a MarginModel, not {type(model).__name__}"
            raise TypeError(msg)
        self._margin_model = model
        self._push_account_updates([])

    # ------------------------------------------------------------------ trading hours

    def use_exchange_hours(self, on: bool = True) -> None:
        """List each instrument's own sessions and the holidays (on), or 24-hour days (off).

        Off (the default) contract details list every day as one session from 00:00 to
        00:00 the next day, trading and liquid, so a test trades at any hour. On, they
        list the instrument's ``trading_session`` and ``liquid_session``, weekends and
        :meth:`set_holidays` closed, as IB lists an exchange's week. A client sees the
        change in the contract details it asks for next.
        """
        self._exchange_hours = bool(on)

    @property
    def exchange_hours(self) -> bool:
        """Whether contract details list the exchanges' own sessions (see use_exchange_hours)."""
        return self._exchange_hours

    def set_holidays(self, days: Iterable[date]) -> None:
        """Days without a session (``YYYYMMDD:CLOSED`` in every instrument's exchange hours).

        They show with :meth:`use_exchange_hours` on; 24-hour days have no holidays.
        """
        self._holidays = set(days)

    def list_hours_from(self, day: date | None) -> None:
        """The first day contract details list hours for (None: today at the exchange).

        Hours list seven days from it, as IB lists about a week.
        """
        self._first_day = day

    def set_trading_hours(
        self, symbol: str, trading: str | None, liquid: str | None = None
    ) -> None:
        """Report these ``tradingHours`` / ``liquidHours`` texts (IB's format) for one.

        They replace the listed ones (24-hour days, or the exchange's sessions) whatever
        :meth:`use_exchange_hours` says; ``trading=None`` goes back to those. ``liquid``
        defaults to ``trading``. ``hydra.testing.ib_hours_text`` writes a domain
        ``TradingHours`` in this format (e.g. hours relative to now).

        Raises:
            KeyError: Not one of the gateway's instruments, or an ambiguous symbol.
        """
        inst = self._instrument(symbol)
        if trading is None:
            self._hours.pop(inst.key, None)
        else:
            self._hours[inst.key] = (trading, trading if liquid is None else liquid)

    def instrument(self, symbol: str) -> FakeInstrument:
        """The instrument a local symbol (or a symbol only one instrument has) names.

        Raises:
            KeyError: Not one of the gateway's instruments, or an ambiguous symbol.
        """
        return self._instrument(symbol)
