"""The account-wide rules' settings: margin, currency, portfolio caps, short sales, hours.

Each rule blocks only an order that adds risk, and names itself by a stable code:

* ``margin`` (default ``"broker"``), ``margin_fraction`` (1.0), ``margin_timeout``
  (5 s), ``margin_model``: the account's initial margin after the order must stay
  within equity with loan x the fraction (``margin.insufficient``). ``"broker"`` asks
  the broker (IB: a whatIf order, never executed); ``"model"`` uses ``margin_model``
  on the account's reported margin; ``"off"`` skips it. No answer in time, or an error,
  blocks (``margin.unavailable``).
* ``max_gross_exposure`` (1.5) and ``max_net_exposure`` (1.0), fractions of equity: the
  sum of every instrument's |exposure| (``exposure.gross``) and |long - short|
  (``exposure.net``), working orders counted as the ledger counts them. None: off.
* ``max_rate_age`` (1 h): an instrument in another currency needs the broker's rate to
  the base currency, no older than this (``fx.missing``).
* ``unknown_shortable`` (``"block"``): a sale that opens or grows a short stock position
  needs the broker to report enough shares to borrow (``short.unavailable``); when it
  reports nothing, ``"block"`` blocks and ``"allow"`` lets it pass.
* ``unknown_hours`` (``"block"``): an order for a closed exchange is blocked
  (``session.closed``): a market order outside regular hours always, any other unless
  ``outside_rth`` and a limit or stop-limit in the extended session. Hours the broker
  did not give block (``session.unknown``) unless ``"allow"``.

Exposure is each instrument's notional in the base currency: a future's notional, an
option's underlying notional x multiplier (delta 1, conservative).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hydra.domain._validate import positive
from hydra.domain.errors import InvalidInputError
from hydra.domain.valuation import MarginModel

__all__ = ["MARGIN_SOURCES", "AccountLimits"]

MARGIN_SOURCES = ("broker", "model", "off")
"""Where the margin check's figures come from."""

_CHOICES = ("block", "allow")


@dataclass(frozen=True, slots=True)
class AccountLimits:
    """Settings of the account-wide rules (``[limits]`` in the config file).

    A cap of ``None`` is off. See the module docstring for what each one blocks.
    """

    margin: str = field(
        default="broker", metadata={"doc": "where margin figures come from: broker | model | off"}
    )
    margin_fraction: float = field(
        default=1.0,
        metadata={"doc": "initial margin after the order must stay within equity with loan x this"},
    )
    margin_timeout: timedelta = field(
        default=timedelta(seconds=5),
        metadata={"doc": "how long the broker's margin preview may take (none in time: blocked)"},
    )
    margin_model: MarginModel = field(
        default_factory=MarginModel,
        metadata={"doc": "the model that margin = 'model' uses ([margin_model])"},
    )
    max_gross_exposure: float | None = field(
        default=1.5,
        metadata={
            "doc": "sum of every |exposure| / equity above which orders are blocked (off: no cap)"
        },
    )
    max_net_exposure: float | None = field(
        default=1.0,
        metadata={
            "doc": "|long - short| exposure / equity above which orders are blocked (off: none)"
        },
    )
    max_rate_age: timedelta = field(
        default=timedelta(hours=1),
        metadata={"doc": "an exchange rate older than this is no rate (fx.missing)"},
    )
    unknown_shortable: str = field(
        default="block",
        metadata={"doc": "a short sale when the broker reports no shortable shares: block | allow"},
    )
    unknown_hours: str = field(
        default="block",
        metadata={"doc": "an order when the broker gives no trading hours: block | allow"},
    )

    def __post_init__(self) -> None:
        if self.margin not in MARGIN_SOURCES:
            raise InvalidInputError(
                "limits.margin", f"must be one of {MARGIN_SOURCES}", self.margin
            )
        fraction = positive("limits.margin_fraction", self.margin_fraction)
        if fraction > 1.0:
            raise InvalidInputError("limits.margin_fraction", "must be in (0, 1]", fraction)
        for name in ("margin_timeout", "max_rate_age"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise InvalidInputError(f"limits.{name}", "must be a positive duration", value)
        if not isinstance(self.margin_model, MarginModel):
            raise InvalidInputError(
                "limits.margin_model", "must be a MarginModel", self.margin_model
            )
        for name in ("max_gross_exposure", "max_net_exposure"):
            value = getattr(self, name)
            if value is not None:
                positive(f"limits.{name}", value)
        for name in ("unknown_shortable", "unknown_hours"):
            if getattr(self, name) not in _CHOICES:
                raise InvalidInputError(
                    f"limits.{name}", f"must be one of {_CHOICES}", getattr(self, name)
                )
