"""Reference prices for the checks: the broker's own, and prices the host feeds in.

A fed price never overrides the broker's silently: one that deviates from the broker's
reference by more than the price collar is refused (and audited by the gate), and when
the broker's reference moves away from an earlier fed price, the broker's counts.
"""

from __future__ import annotations

from datetime import datetime

from hydra.application.ports import BrokerPort
from hydra.domain import Clock, Instrument, InvalidInputError, Quote

__all__ = ["PriceRefusedError", "ReferencePrices"]

_CLOCK_SKEW_S = 1.0


class PriceRefusedError(InvalidInputError):
    """A fed price deviates from the broker's own reference by more than the collar."""


class ReferencePrices:
    """The price each check judges by: the broker's, or a fed one that agrees with it.

    Args:
        broker: whose ``reference_price`` is the authority.
        clock: to refuse prices dated in the future.
        collar: the largest relative deviation of a fed price from the broker's
            (the limits' price collar; None: fed prices are not compared).
    """

    __slots__ = ("_broker", "_clock", "_collar", "_fed")

    def __init__(self, broker: BrokerPort, clock: Clock, collar: float | None) -> None:
        self._broker = broker
        self._clock = clock
        self._collar = collar
        self._fed: dict[tuple[object, ...], Quote] = {}

    def feed(self, instrument: Instrument, price: float, at: datetime | None = None) -> Quote:
        """Remember a host-fed price; returns it as a Quote.

        Raises:
            InvalidInputError: a bad price, or a time in the future.
            PriceRefusedError: the price is outside the collar around the broker's reference.
        """
        now = self._clock()
        stamp = at if at is not None else now
        quote = Quote(price, stamp)
        if (stamp - now).total_seconds() > _CLOCK_SKEW_S:
            raise InvalidInputError("at", "a price cannot be dated in the future", stamp)
        broker = self._broker.reference_price(instrument)
        if self._collar is not None and isinstance(broker, Quote):
            deviation = abs(quote.price - broker.price) / broker.price
            if deviation > self._collar:
                raise PriceRefusedError(
                    "price",
                    f"{quote.price:g} for {instrument.symbol} is {deviation:.2%} away from the "
                    f"broker's reference {broker.price:g} (max {self._collar:.2%}); refused",
                    price,
                )
        current = self._fed.get(instrument.key)
        if current is None or quote.time >= current.time:
            self._fed[instrument.key] = quote
        return quote

    def quote(self, instrument: Instrument) -> Quote | None:
        """The broker's reference, or a fresher fed price that lies within the collar."""
        fed = self._fed.get(instrument.key) if self._fed else None
        broker = self._broker.reference_price(instrument)
        if not isinstance(broker, Quote):
            return fed
        if fed is None or broker.time >= fed.time:
            return broker
        collar = self._collar
        if collar is not None and abs(fed.price - broker.price) > collar * broker.price:
            return broker  # the broker's price moved away from the fed one: it counts
        return fed
