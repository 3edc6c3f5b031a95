"""The gateway's order door: who may place orders, and the one capability that does.

Only the trading client (id 1, not read-only) gets a submit capability, and only once.
From the claim on, the raw ib_async client refuses ``placeOrder``: the capability keeps
the real door (``place_new_order``, ib_async's send without its eager log line), so every
order goes through the RiskGate that claimed it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ib_async import IB, Contract, Trade

from hydra.adapters.ib.orders import IBOrderBook, place_new_order
from hydra.application import OrderHandle
from hydra.domain import (
    CapabilityAlreadyClaimedError,
    ClientRole,
    Instrument,
    OrderRequest,
    PermissionDeniedError,
)
from hydra.domain._unique import Unique

__all__ = ["IBOrderDoor", "IBSubmitCapability"]


class IBSubmitCapability(Unique):
    """The gateway's submit capability; only its one claimant holds it."""

    __slots__ = ("_door",)

    def __init__(self, door: IBOrderDoor) -> None:
        self._door = door

    def reserve_order_id(self) -> int:
        """The IB order id the next submit will use (from ib_async's id sequence)."""
        return self._door.reserve()

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send the order to IB now (placeOrder); nothing is queued when disconnected."""
        return self._door.place(contract, order)


class IBOrderDoor:
    """Places orders for one gateway, once its capability is claimed.

    Args:
        ib: the gateway's ib_async client.
        orders: the gateway's order book (it tracks every order placed).
        require_connected: raises ``BrokerNotConnectedError`` naming the action unless
            the connection is up (nothing is ever queued).
    """

    __slots__ = ("_claimed", "_ib", "_orders", "_place_order", "_require_connected")

    def __init__(
        self, ib: IB, orders: IBOrderBook, require_connected: Callable[[str], None]
    ) -> None:
        self._ib = ib
        self._orders = orders
        self._require_connected = require_connected
        self._claimed = False
        self._place_order: Callable[[Contract, Any], Trade] = partial(place_new_order, ib)

    def claim(self, role: ClientRole, client_id: int, *, readonly: bool) -> IBSubmitCapability:
        """Hand out the capability once; only a submitting role, not read-only, has one.

        Raises:
            PermissionDeniedError: a diagnostic or CLI client, or a read-only gateway.
            CapabilityAlreadyClaimedError: claimed before.
        """
        if not role.may_submit or readonly:
            raise PermissionDeniedError(
                f"client id {client_id} ({role.name.lower()}"
                f"{', read-only' if readonly else ''}) may not submit orders; "
                "only the trading client (id 1, not read-only) may"
            )
        if self._claimed:
            raise CapabilityAlreadyClaimedError(
                "the submit capability of this BrokerGateway is already claimed "
                "(one RiskGate per gateway; orders go through that gate)"
            )
        self._claimed = True
        # From now on the raw client refuses orders: the capability keeps the real door.
        self._ib.placeOrder = _refuse_raw_order  # type: ignore[method-assign,assignment]
        return IBSubmitCapability(self)

    def reserve(self) -> int:
        """The order id the next ``place`` uses."""
        self._require_connected("reserve an order id")
        return self._orders.reserve()

    def place(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send ``order`` through the private door and track its handle."""
        self._require_connected("submit")
        return self._orders.place(self._place_order, contract, order)


def _refuse_raw_order(*_args: object, **_kwargs: object) -> None:
    raise PermissionDeniedError(
        "orders through the raw ib_async client are refused: this gateway's submit "
        "capability belongs to a RiskGate, and every order goes through it"
    )
