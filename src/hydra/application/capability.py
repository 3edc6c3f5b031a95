"""The submit capability: the only way to place an order, handed out once per adapter.

Import-linter (contract ``submit-capability-protected``) lets only the RiskGate import this
module, so no other code in HYDRA can even name the capability.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hydra.application.orders import OrderHandle
from hydra.application.ports import BrokerPort
from hydra.domain import Instrument, OrderLeg, OrderRequest

__all__ = ["SubmitCapability", "SubmittingBroker"]


class SubmitCapability(Protocol):
    """Places orders at a broker; sending is synchronous and nothing is queued."""

    def reserve_order_id(self) -> int:
        """The broker order id the next ``submit_order`` will use, held until then.

        Calling it again before that submit returns the same id. The gate writes this id
        into its write-ahead decision record, so the one record names the broker order.

        Raises:
            BrokerError: no id can be reserved (e.g. not connected).
        """
        ...

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send the order now (with the reserved id, if one is held) and return its handle.

        Raises:
            BrokerError: the broker could not take the order (e.g. not connected).
        """
        ...

    def reserve_order_ids(self, count: int) -> tuple[int, ...]:
        """The ids the next ``submit_list`` of ``count`` legs will use, in leg order."""
        ...

    def submit_list(self, legs: Sequence[OrderLeg]) -> tuple[OrderHandle, ...]:
        """Send a bracket or an OCA group as one: every leg, linked as the legs say.

        Nothing is live before the last leg arrives (IB: ``transmit`` on the last only).

        Raises:
            BrokerError: the broker could not take the list (nothing of it is working).
        """
        ...

    def modify_order(self, handle: OrderHandle, order: OrderRequest) -> OrderHandle:
        """Amend a working order in place, under its broker order id.

        Raises:
            UnknownOrderError: the order is not working (filled, cancelled, unknown).
            BrokerError: the broker refused the amendment.
        """
        ...


class SubmittingBroker(BrokerPort, Protocol):
    """A broker port whose submit capability can be claimed, exactly once."""

    def claim_submit_capability(self) -> SubmitCapability:
        """Hand out the submit capability; a second claim raises."""
        ...
