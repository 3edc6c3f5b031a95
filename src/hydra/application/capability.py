"""The submit capability: the only way to place an order, handed out once per adapter.

Import-linter (contract ``submit-capability-protected``) lets only the RiskGate import this
module, so no other code in HYDRA can even name the capability.
"""

from __future__ import annotations

from typing import Protocol

from hydra.application.orders import OrderHandle
from hydra.application.ports import BrokerPort
from hydra.domain import Instrument, OrderRequest

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


class SubmittingBroker(BrokerPort, Protocol):
    """A broker port whose submit capability can be claimed, exactly once."""

    def claim_submit_capability(self) -> SubmitCapability:
        """Hand out the submit capability; a second claim raises."""
        ...
