"""Reference prices for the checks: the broker's own, and prices the host feeds in.

A fed price never overrides the broker's silently: one that deviates from the broker's
reference by more than the gate's ``fed_price_tolerance`` is refused (and audited by the
gate), whether or not the per-order limits are on; and when the broker's reference moves
away from an earlier fed price, the broker's counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hydra.application.ports import BrokerPort
from hydra.domain import Clock, Instrument, InvalidInputError, Quote

__all__ = ["PriceRefusedError", "ReferencePrices"]

Refused = Callable[[Instrument, object, str], None]
"""Told of each refused fed price: the instrument, the price and why (the gate audits it)."""

_CLOCK_SKEW_S = 1.0


class PriceRefusedError(InvalidInputError):
    """A fed price deviates from the broker's own reference by more than the tolerance."""


class ReferencePrices:
    """The price each check judges by: the broker's, or a fed one that agrees with it.

    Args:
        broker: whose ``reference_price`` is the authority.
        clock: to refuse prices dated in the future.
        tolerance: the largest relative deviation of a fed price from the broker's.
        on_refused: told of every refused price.
    """

    __slots__ = ("_broker", "_clock", "_fed", "_on_refused", "_tolerance")

    def __init__(
        self, broker: BrokerPort, clock: Clock, tolerance: float, on_refused: Refused
    ) -> None:
        self._broker = broker
        self._clock = clock
        self._tolerance = tolerance
        self._on_refused = on_refused
        self._fed: dict[tuple[object, ...], Quote] = {}

    def feed(self, instrument: Instrument | str, price: float, at: datetime | None = None) -> Quote:
        """Remember a host-fed price (an Instrument, or a stock symbol); returns its Quote.

        Raises:
            InvalidInputError: a bad price, or a time in the future.
            PriceRefusedError: the price is further than the tolerance from the broker's
                (``on_refused`` is told first).
        """
        target = instrument if isinstance(instrument, Instrument) else Instrument(instrument)
        spec = self._broker.contract_spec(target)
        if spec is not None and not target.con_id:
            target = target.qualified(spec.con_id)
        try:
            return self._feed(target, price, at)
        except PriceRefusedError as exc:
            self._on_refused(target, price, exc.reason)
            raise

    def _feed(self, instrument: Instrument, price: float, at: datetime | None) -> Quote:
        now = self._clock()
        stamp = at if at is not None else now
        quote = Quote(price, stamp)
        if (stamp - now).total_seconds() > _CLOCK_SKEW_S:
            raise InvalidInputError("at", "a price cannot be dated in the future", stamp)
        broker = self._broker.reference_price(instrument)
        if isinstance(broker, Quote):
            deviation = abs(quote.price - broker.price) / broker.price
            if deviation > self._tolerance:
                raise PriceRefusedError(
                    "price",
                    f"{quote.price:g} for {instrument.symbol} is {deviation:.2%} away from the "
                    f"broker's reference {broker.price:g} (max {self._tolerance:.2%}); refused",
                    price,
                )
        current = self._fed.get(instrument.key)
        if current is None or quote.time >= current.time:
            self._fed[instrument.key] = quote
        return quote

    def quote(self, instrument: Instrument) -> Quote | None:
        """The broker's reference, or a fresher fed price within the tolerance of it."""
        fed = self._fed.get(instrument.key) if self._fed else None
        broker = self._broker.reference_price(instrument)
        if not isinstance(broker, Quote):
            return fed
        if fed is None or broker.time >= fed.time:
            return broker
        if abs(fed.price - broker.price) > self._tolerance * broker.price:
            return broker  # the broker's price moved away from the fed one: it counts
        return fed
