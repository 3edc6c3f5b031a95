"""The gateway's order door: who may place orders, and the one capability that does.

Only the trading client (id 1, not read-only) gets a submit capability, and only once.
From the claim on, the gateway's own ib_async client refuses every way an order could
leave it except the door's: ``IB.placeOrder`` (on the instance or called on the class),
``Client.placeOrder`` and ``exerciseOptions``, and a placeOrder or exercise message
handed to ``Client.send`` / ``Client.sendMsg`` or to the socket connection's
``sendMsg``. The door marks its own sends (a context variable, so another thread or task
cannot borrow the mark), and the connection lets through exactly the order messages the
door's sends queued, including those ib_async's pacing sends later. Below that is the
asyncio transport itself: code that writes bytes to it reaches into the socket on purpose.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from ib_async import IB, Contract, Trade

from hydra.adapters.ib.orders import IBOrderBook, place_new_order
from hydra.application import OrderHandle
from hydra.domain import (
    CapabilityAlreadyClaimedError,
    ClientRole,
    Instrument,
    OrderLeg,
    OrderRequest,
    PermissionDeniedError,
)
from hydra.domain._unique import Unique

__all__ = ["RAW_CLIENT_REFUSED", "IBOrderDoor", "IBSubmitCapability"]

RAW_CLIENT_REFUSED = (
    "orders through the raw ib_async client are refused: this gateway's submit "
    "capability belongs to a RiskGate, and every order goes through it"
)
"""The refusal every guarded send path raises (``PermissionDeniedError``)."""

# The door whose send is under way in this context (thread, task), if any.
_SENDING: ContextVar[object | None] = ContextVar("hydra_ib_door_sending", default=None)
# Wire message ids that make the broker trade: placeOrder (3) and exerciseOptions (21).
_ORDER_MESSAGES = ("3\0", "21\0")
_ORDER_FRAMES = tuple(m.encode() for m in _ORDER_MESSAGES)
# Order messages the door's sends queued (ib_async paces its requests), bounded.
_QUEUED_KEPT = 1024


class IBSubmitCapability(Unique):
    """The gateway's submit capability; only its one claimant holds it."""

    __slots__ = ("_door",)

    def __init__(self, door: IBOrderDoor) -> None:
        self._door = door

    def reserve_order_id(self) -> int:
        """The IB order id the next submit will use (from ib_async's id sequence)."""
        return self._door.reserve(1)[0]

    def reserve_order_ids(self, count: int) -> tuple[int, ...]:
        """The IB order ids the next ``submit_list`` of ``count`` legs will use."""
        return self._door.reserve(count)

    def submit_order(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send the order to IB now (placeOrder); nothing is queued when disconnected."""
        return self._door.place(contract, order)

    def submit_list(self, legs: Sequence[OrderLeg]) -> tuple[OrderHandle, ...]:
        """Send a bracket or an OCA group (parentId, ocaGroup, transmit on the last leg)."""
        return self._door.place_list(legs)

    def modify_order(self, handle: OrderHandle, order: OrderRequest) -> OrderHandle:
        """Amend a working order: placeOrder on its known id, with the new fields."""
        return self._door.modify(handle, order)


class IBOrderDoor:
    """Places orders for one gateway, once its capability is claimed.

    Args:
        ib: the gateway's ib_async client.
        orders: the gateway's order book (it tracks every order placed).
        require_connected: raises ``BrokerNotConnectedError`` naming the action unless
            the connection is up (nothing is ever queued).
    """

    __slots__ = (
        "_claimed",
        "_ib",
        "_orders",
        "_place_order",
        "_queued",
        "_require_connected",
    )

    def __init__(
        self, ib: IB, orders: IBOrderBook, require_connected: Callable[[str], None]
    ) -> None:
        self._ib = ib
        self._orders = orders
        self._require_connected = require_connected
        self._claimed = False
        self._place_order: Callable[[Contract, Any], Trade] = partial(place_new_order, ib)
        self._queued: deque[bytes] = deque(maxlen=_QUEUED_KEPT)

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
        self._guard_client()
        return IBSubmitCapability(self)

    def reserve(self, count: int) -> tuple[int, ...]:
        """The order ids the next ``place`` / ``place_list`` uses."""
        self._require_connected("reserve an order id")
        return self._orders.reserve(count)

    def place(self, contract: Instrument, order: OrderRequest) -> OrderHandle:
        """Send ``order`` through the private door and track its handle."""
        self._require_connected("submit")
        with self.sending():
            return self._orders.place(self._place_order, contract, order)

    def place_list(self, legs: Sequence[OrderLeg]) -> tuple[OrderHandle, ...]:
        """Send every leg of a list through the private door, linked as the legs say."""
        self._require_connected("submit")
        with self.sending():
            return tuple(self._orders.place_list(self._place_order, legs))

    def modify(self, handle: OrderHandle, order: OrderRequest) -> OrderHandle:
        """Amend a working order through the private door (the same order id)."""
        self._require_connected("amend")
        with self.sending():
            self._orders.modify(self._place_order, handle, order)
        return handle

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Mark this context's sends as the door's: the guarded client lets them through.

        Only the capability's own paths use it (a placeOrder, a modification or a whatIf
        preview through ib_async), synchronously and for one send.
        """
        token = _SENDING.set(self)
        try:
            yield
        finally:
            _SENDING.reset(token)

    # ------------------------------------------------------------------ the raw client
    def _guard_client(self) -> None:
        """Refuse every order send path of the gateway's client but the door's."""
        # Instance attributes shadow the class's methods (mypy: assigning to a method).
        ib, client = self._ib, self._ib.client
        ib.placeOrder = _refuse  # type: ignore[method-assign,assignment]
        client.placeOrder = _DoorOnly(client.placeOrder, self)  # type: ignore[method-assign]
        client.exerciseOptions = _DoorOnly(client.exerciseOptions, self)  # type: ignore[method-assign]
        client.sendMsg = _MessageGuard(client.sendMsg, self, self._queued)  # type: ignore[method-assign,assignment]
        client.conn.sendMsg = _FrameGuard(client.conn.sendMsg, self._queued)  # type: ignore[method-assign]


class _Guard:
    """A guarded client method; its public attributes stay readable.

    So the guarded method still looks like the original to introspection (the seed's
    delegation tests read their mock's calls through it); private ones are not offered.
    """

    __slots__ = ("_send",)

    def __init__(self, send: Callable[..., Any]) -> None:
        self._send = send

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._send, name)


class _DoorOnly(_Guard):
    """``Client.placeOrder`` / ``exerciseOptions``: only inside the door's ``sending()``."""

    __slots__ = ("_door",)

    def __init__(self, send: Callable[..., Any], door: IBOrderDoor) -> None:
        super().__init__(send)
        self._door = door

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _SENDING.get() is not self._door:
            _refuse()
        return self._send(*args, **kwargs)


class _MessageGuard(_Guard):
    """``Client.sendMsg``: an order message passes only as the door's, noted for the socket.

    ib_async may hold it back (pacing) and send it later from a timer, outside the door's
    context; the socket guard then finds it noted.
    """

    __slots__ = ("_door", "_queued")

    def __init__(self, send: Callable[..., Any], door: IBOrderDoor, queued: deque[bytes]):
        super().__init__(send)
        self._door = door
        self._queued = queued

    def __call__(self, message: str | None = None) -> Any:
        if message and message.startswith(_ORDER_MESSAGES):
            if _SENDING.get() is not self._door:
                _refuse()
            self._queued.append(message.encode())
        return self._send(message)


class _FrameGuard(_Guard):
    """The connection's ``sendMsg``: an order frame leaves only if the door's send noted it."""

    __slots__ = ("_queued",)

    def __init__(self, send: Callable[[bytes], None], queued: deque[bytes]) -> None:
        super().__init__(send)
        self._queued = queued

    def __call__(self, frame: bytes) -> Any:
        payload = frame[4:]  # after the length prefix
        if payload.startswith(_ORDER_FRAMES):
            try:
                self._queued.remove(payload)
            except ValueError:
                _refuse()
        return self._send(frame)


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise PermissionDeniedError(RAW_CLIENT_REFUSED)
