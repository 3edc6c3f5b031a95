"""The contracts a fake gateway knows: stocks, futures with expiries, options, other currencies.

Each is identified as IB identifies it: a contract id, and a local symbol unique within
the gateway (``ESZ6``, ``AAPL  261218C00200000``); several may share a symbol (ES of two
expiries, AAPL's options), so a request that names only the symbol can match several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_INSTRUMENTS", "ContractQuery", "FakeInstrument", "occ_symbol"]

_HHMM = re.compile(r"^([01]\d|2[0-3])[0-5]\d$")
_EXPIRY = re.compile(r"^\d{8}$")


@dataclass(frozen=True, slots=True)
class FakeInstrument:
    """A contract the fake gateway can qualify and trade.

    Attributes:
        symbol: Underlying symbol, as IB's ``symbol`` (``"ES"`` for every ES future).
        con_id: IB contract id; unique within one gateway.
        sec_type: IB security type: ``"STK"``, ``"FUT"``, ``"OPT"``, ...
        exchange: Routing exchange reported on contracts (``"SMART"``, ``"CME"``).
        primary_exchange: Listing exchange, e.g. ``"NASDAQ"`` or ``"TSEJ"``.
        currency: Trading currency; the gateway needs an exchange rate for it.
        multiplier: Contract multiplier; sent as ``""`` for stocks, as IB does.
        min_tick: Minimum price increment: an order priced off it gets error 110.
        expiry: ``lastTradeDateOrContractMonth`` as ``YYYYMMDD`` (futures, options).
        strike: Option strike (0 for anything else).
        right: ``"C"`` or ``"P"`` for options, ``""`` otherwise.
        local_symbol: IB's local symbol (``"ESZ6"``); defaults to ``symbol``. It is the
            instrument's key in the gateway's API (prices, positions, knobs).
        trading_class: IB's trading class; defaults to ``symbol``.
        underlying: Key of the underlying instrument (an option's stock, a future
            option's future): the margin model values short options on its price.
        time_zone: IB's ``timeZoneId`` of the exchange, e.g. ``"US/Eastern"``.
        trading_session: Opening and closing time (``"HHMM"``, exchange time) of each
            trading day's session, extended hours included; an opening later than the
            closing opens the evening before (``("1700", "1600")`` for CME futures).
        liquid_session: The same for the regular (liquid) hours.
        initial_margin: Initial margin per contract (futures); None uses the rule of the
            security type (see ``MarginModel``).
        maintenance_margin: Maintenance margin per contract; None: 90 % of the initial.
        long_name: IB's long name, shown in contract details.

    Raises:
        ValueError: A right other than C/P on an option (or one on anything else), an
            expiry not ``YYYYMMDD``, a session time not ``HHMM``, or a non-positive
            multiplier, tick or margin.
    """

    symbol: str
    con_id: int
    sec_type: str = "STK"
    exchange: str = "SMART"
    primary_exchange: str = "NASDAQ"
    currency: str = "USD"
    multiplier: float = 1.0
    min_tick: float = 0.01
    expiry: str = ""
    strike: float = 0.0
    right: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    underlying: str = ""
    time_zone: str = "US/Eastern"
    trading_session: tuple[str, str] = ("0400", "2000")
    liquid_session: tuple[str, str] = ("0930", "1600")
    initial_margin: float | None = None
    maintenance_margin: float | None = None
    long_name: str = ""

    def __post_init__(self) -> None:
        problems = []
        if self.sec_type in {"OPT", "FOP"} and self.right not in {"C", "P"}:
            problems.append(f"an option's right must be 'C' or 'P', not {self.right!r}")
        if self.sec_type not in {"OPT", "FOP"} and self.right:
            problems.append(f"only options have a right, not a {self.sec_type}")
        if self.expiry and not _EXPIRY.match(self.expiry):
            problems.append(f"expiry must be YYYYMMDD, not {self.expiry!r}")
        for name in ("trading_session", "liquid_session"):
            session = getattr(self, name)
            if len(session) != 2 or not all(_HHMM.match(t) for t in session):
                problems.append(f"{name} must be two HHMM times, not {session!r}")
        if not self.multiplier > 0 or not self.min_tick > 0:
            problems.append("multiplier and min_tick must be positive")
        for name in ("initial_margin", "maintenance_margin"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                problems.append(f"{name} must be positive, not {value!r}")
        if problems:
            msg = f"{self.symbol} ({self.con_id}): " + "; ".join(problems)
            raise ValueError(msg)

    @property
    def key(self) -> str:
        """The local symbol, unique within a gateway: the instrument's name in its API."""
        return self.local_symbol or self.symbol

    @property
    def klass(self) -> str:
        """The trading class (the symbol when none is set)."""
        return self.trading_class or self.symbol

    @property
    def contract_month(self) -> str:
        """``YYYYMM`` of a future's or option's expiry (empty for anything else)."""
        return self.expiry[:6]


@dataclass(frozen=True, slots=True)
class ContractQuery:
    """A contract as a client describes it in a request; empty or zero fields are unset.

    A contract id, when given, decides alone. Otherwise every field set must agree: the
    symbol (unless a local symbol is given), the security type, the expiry (a ``YYYYMM``
    contract month matches every day of that month), strike, right, multiplier,
    currency, local symbol and trading class. The exchange is not compared (SMART routes
    everywhere).
    """

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    expiry: str = ""
    strike: float = 0.0
    right: str = ""
    multiplier: float = 0.0
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""

    def matches(self, inst: FakeInstrument) -> bool:
        """Whether ``inst`` is a contract this description names."""
        if self.con_id > 0:
            return inst.con_id == self.con_id
        checks = (
            (self.local_symbol, inst.key),
            (self.sec_type, inst.sec_type),
            (self.currency, inst.currency),
            (self.trading_class, inst.klass),
            (self.right, inst.right),
        )
        if not self.local_symbol and self.symbol.upper() != inst.symbol.upper():
            return False
        if any(wanted and wanted != actual for wanted, actual in checks):
            return False
        if self.expiry and not inst.expiry.startswith(self.expiry):
            return False
        if self.strike and self.strike != inst.strike:
            return False
        return not (self.multiplier and self.multiplier != inst.multiplier)

    def describe(self) -> str:
        """The description as IB's error texts quote it (symbol, type, set fields)."""
        parts = [self.local_symbol or self.symbol or f"conId {self.con_id}", self.sec_type]
        parts += [self.expiry, f"{self.strike:g}" if self.strike else "", self.right]
        return " ".join(p for p in parts if p)


def occ_symbol(symbol: str, expiry: str, right: str, strike: float) -> str:
    """An option's local symbol as IB shows US equity options (OCC: root, date, C/P, strike).

    >>> occ_symbol("AAPL", "20261218", "C", 200.0)
    'AAPL  261218C00200000'
    """
    return f"{symbol:<6}{expiry[2:]}{right}{round(strike * 1000):08d}"


def _aapl_options() -> tuple[FakeInstrument, ...]:
    options = []
    con_id = 700_000_001
    for expiry in ("20261218", "20270115"):
        for strike in (190.0, 200.0, 210.0):
            for right in ("C", "P"):
                options.append(
                    FakeInstrument(
                        "AAPL",
                        con_id,
                        sec_type="OPT",
                        primary_exchange="CBOE",
                        multiplier=100.0,
                        expiry=expiry,
                        strike=strike,
                        right=right,
                        local_symbol=occ_symbol("AAPL", expiry, right, strike),
                        trading_class="AAPL",
                        underlying="AAPL",
                        trading_session=("0930", "1600"),
                        long_name="APPLE INC",
                    )
                )
                con_id += 1
    return tuple(options)


def _es(con_id: int, expiry: str, local_symbol: str) -> FakeInstrument:
    return FakeInstrument(
        "ES",
        con_id,
        sec_type="FUT",
        exchange="CME",
        primary_exchange="CME",
        multiplier=50.0,
        min_tick=0.25,
        expiry=expiry,
        local_symbol=local_symbol,
        trading_class="ES",
        time_zone="US/Central",
        trading_session=("1700", "1600"),
        liquid_session=("0830", "1500"),
        initial_margin=20_000.0,
        maintenance_margin=18_000.0,
        long_name="E-mini S&P 500",
    )


DEFAULT_INSTRUMENTS: tuple[FakeInstrument, ...] = (
    FakeInstrument("AAPL", 265598, long_name="APPLE INC"),
    FakeInstrument("MSFT", 272093, long_name="MICROSOFT CORP"),
    FakeInstrument("SPY", 756733, primary_exchange="ARCA"),
    FakeInstrument("IBM", 8314, primary_exchange="NYSE"),
    FakeInstrument("AMZN", 3691937),
    FakeInstrument("TSLA", 76792991),
    FakeInstrument(
        "7203",
        13_085_231,
        primary_exchange="TSEJ",
        currency="JPY",
        min_tick=1.0,
        time_zone="Asia/Tokyo",
        trading_session=("0900", "1530"),
        liquid_session=("0900", "1530"),
        long_name="TOYOTA MOTOR CORP",
    ),
    _es(730_283_085, "20261218", "ESZ6"),
    _es(750_150_186, "20270319", "ESH7"),
    *_aapl_options(),
)
"""Six US stocks, a Tokyo stock in yen (7203), ES futures of two expiries (Dec-2026
ESZ6, Mar-2027 ESH7; tick 0.25, multiplier 50, initial margin 20,000 a contract) and
AAPL options (Dec-2026 and Jan-2027; strikes 190, 200, 210; calls and puts;
multiplier 100)."""
