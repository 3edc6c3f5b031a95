"""Read-only views the gate hands out: its broker (no submit) and its breakers (no reset)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.application.orders import OrderHandle
from hydra.domain import (
    AccountSnapshot,
    BreakerConfig,
    BreakerStatus,
    CircuitBreakerManager,
    ConnectionState,
    ContractChain,
    ContractSpec,
    Instrument,
    Position,
    Quote,
)
from hydra.domain._unique import Unique
from hydra.domain.breakers import LatchedTrip

if TYPE_CHECKING:
    from hydra.application.ports import BrokerPort

__all__ = ["BreakersView", "BrokerView"]


class BreakersView(Unique):
    """Read-only view of the gate's circuit breakers: state, trips and thresholds."""

    __slots__ = ("__breakers",)

    def __init__(self, breakers: CircuitBreakerManager) -> None:
        self.__breakers = breakers

    def status(self) -> tuple[BreakerStatus, ...]:
        """Every breaker's state, last value, threshold and since/until."""
        return self.__breakers.status()

    @property
    def latched(self) -> tuple[LatchedTrip, ...]:
        """Breakers tripped or cooling down."""
        return self.__breakers.latched

    @property
    def config(self) -> BreakerConfig:
        """The thresholds in force."""
        return self.__breakers.config


class BrokerView(Unique):
    """Read-only view of the gate's broker: reads, qualify, cancel, connection state.

    It has no attribute that submits; the broker behind it is not exposed.
    """

    __slots__ = ("__broker",)

    def __init__(self, broker: BrokerPort) -> None:
        self.__broker = broker

    def is_connected(self) -> bool:
        """True when the broker connection is up and synchronised."""
        return self.__broker.is_connected()

    @property
    def connection_state(self) -> ConnectionState:
        """The broker connection's state."""
        return self.__broker.connection_state

    @property
    def reconnects(self) -> int:
        """Reconnect attempts the broker adapter made since it was built."""
        return self.__broker.reconnects

    async def qualify_contract(self, contract: Instrument) -> Instrument:
        """Qualify an instrument at the broker."""
        return await self.__broker.qualify_contract(contract)

    async def contract_chain(self, contract: Instrument) -> ContractChain:
        """A future's listed expiries, or an option's expiries and strikes."""
        return await self.__broker.contract_chain(contract)

    def contract_spec(self, instrument: Instrument) -> ContractSpec | None:
        """The broker's economics for a qualified contract (None: not qualified)."""
        return self.__broker.contract_spec(instrument)

    async def get_positions(self) -> list[Position]:
        """Current positions."""
        return await self.__broker.get_positions()

    async def get_account_summary(self) -> AccountSnapshot:
        """Current account values."""
        return await self.__broker.get_account_summary()

    def positions(self) -> list[Position]:
        """Positions as the broker last reported them (synchronous snapshot)."""
        return self.__broker.positions()

    def account(self) -> AccountSnapshot:
        """Account values as last reported (synchronous snapshot)."""
        return self.__broker.account()

    def open_orders(self) -> list[OrderHandle]:
        """Orders not done yet, foreign ones too (``handle.foreign``)."""
        return self.__broker.open_orders()

    def reference_price(self, instrument: Instrument) -> Quote | None:
        """The broker's latest price for ``instrument``, if it has one."""
        return self.__broker.reference_price(instrument)

    def exchange_rate(self, currency: str) -> Quote | None:
        """One unit of ``currency`` in the account's base currency (None: not reported)."""
        return self.__broker.exchange_rate(currency)

    def shortable_shares(self, instrument: Instrument) -> float | None:
        """Shares the broker can lend for a short sale of ``instrument`` (None: unknown)."""
        return self.__broker.shortable_shares(instrument)

    async def cancel_order(self, handle: OrderHandle) -> None:
        """Cancel an order at the broker."""
        await self.__broker.cancel_order(handle)
