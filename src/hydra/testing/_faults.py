"""Fault knobs of the fake gateway: rejections, delays, foreign orders, drops, outages, whatIf."""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from hydra.testing import _order_rules as rules
from hydra.testing import _wire as wire
from hydra.testing._connection import ConnectionDesk
from hydra.testing._core import reschedule
from hydra.testing._model import OrderRecord, PlacedOrder
from hydra.testing._what_if import WHAT_IF_MODES

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Iterator

    from hydra.testing._model import FakeInstrument

_CONNECTIVITY_LOST = "Connectivity between IB and Trader Workstation has been lost."
_RESTORED_DATA_LOST = (
    "Connectivity between IB and Trader Workstation has been restored - data lost."
)
_RESTORED_DATA_KEPT = (
    "Connectivity between IB and Trader Workstation has been restored - data maintained."
)


class FaultControls(ConnectionDesk):
    """Test controls that make the gateway misbehave the way real ones do."""

    _position_delay: float
    _delayed: set[asyncio.TimerHandle]
    _connectivity_lost: bool
    _tws_order_ids: Iterator[int]

    def reject_orders(self, rule: Callable[[PlacedOrder], str | None] | None) -> None:
        """Install (or with ``None`` remove) a rule that rejects new orders.

        The rule sees every new order (not modifications); when it returns a message the
        order is rejected with error 201 ``"Order rejected - reason:<message>"`` and never
        fills.
        """
        self._reject_rule = rule

    def refuse_cancels(self, reason: str | None) -> None:
        """Refuse (or with ``None`` take again) every cancel, as an exchange that will not.

        A cancel request is answered with IB's 161 naming ``reason``; a global cancel is
        taken without effect. Either way every order keeps working.
        """
        self._cancels_refused = reason

    @property
    def position_delay(self) -> float:
        """Seconds between a fill and the position, account and P&L messages it causes.

        0 (the default) sends them right after the fill, in the same write. A positive
        delay lets a test watch a client between the two, as on a busy real gateway.
        Changeable at any time; applies to later fills.

        Raises:
            ValueError: On assignment of a negative or non-finite number.
        """
        return self._position_delay

    @position_delay.setter
    def position_delay(self, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            msg = f"position_delay must be a finite number of seconds >= 0, not {seconds!r}"
            raise ValueError(msg)
        self._position_delay = float(seconds)

    def _after_fill(self, inst: FakeInstrument) -> None:
        if self._position_delay > 0:
            reschedule(self._delayed, self._position_delay, partial(self._push_after_fill, inst))
        else:
            self._push_after_fill(inst)

    def what_if_answers(self, mode: str = "answer", *, message: str = "margin unavailable") -> None:
        """How the gateway answers whatIf previews from now on.

        Args:
            mode: ``"answer"`` (the default: margin figures), ``"ignore"`` (no answer:
                the client's request times out; :meth:`answer_ignored_previews` answers
                them late) or ``"error"`` (error 201 for the preview's order id, with
                ``message`` as the reason).
            message: The reason ``"error"`` gives.

        Raises:
            ValueError: An unknown mode.
        """
        if mode not in WHAT_IF_MODES:
            msg = f"mode must be one of {sorted(WHAT_IF_MODES)}, not {mode!r}"
            raise ValueError(msg)
        self._what_if_mode = mode
        self._what_if_error = message

    def answer_ignored_previews(self) -> int:
        """Answer, late, the whatIf previews left unanswered in ``"ignore"`` mode.

        Each gets what the current mode gives now (figures, or the error), on its own
        connection if that is still open; returns how many were held.
        """
        held, self._ignored_previews = self._ignored_previews, []
        for session, placed, query in held:
            if session.live:
                self._preview(session, placed, query)
        return len(held)

    def inject_foreign_order(
        self,
        symbol: str,
        action: str,
        quantity: float,
        *,
        order_type: str = "LMT",
        limit_price: float | None = None,
        stop_price: float | None = None,
        client_id: int = 0,
        order_id: int | None = None,
        trailing_percent: float | None = None,
        parent_id: int = 0,
        oca_group: str = "",
        tif: str = "DAY",
    ) -> int:
        """Make an order appear as if placed by TWS (client id 0) or another API client.

        Every connected client gets its openOrder and orderStatus at once, and every later
        update of it (fill, cancel). It then behaves like any order: it fills against the
        reference price, shows in reqAllOpenOrders (and in reqOpenOrders of ``client_id``),
        and reqGlobalCancel cancels it.

        Args:
            symbol: One of the gateway's instruments (its local symbol, or a symbol only
                one instrument has).
            action: ``"BUY"`` or ``"SELL"``.
            quantity: Positive quantity.
            order_type: Any type the gateway takes (``"LMT"``, ``"STP"``, ``"TRAIL"``,
                ``"MOC"``, ...), or one TWS takes that the fake does not model (``"REL"``,
                ``"VWAP"``, ``"PEG MID"``...: it rests until cancelled).
            limit_price: The limit (LMT, STP LMT, LIT, LOC).
            stop_price: The stop or trigger price (STP, STP LMT, MIT, LIT), or a
                trailing stop's trailing amount (TRAIL).
            client_id: 0 for a TWS order, or the id of another API client.
            order_id: The order id to report; by default a negative id for a TWS order
                (as TWS reports its own orders) and the next valid id otherwise.
            trailing_percent: A trailing stop's trail in percent (instead of an amount).
            parent_id: The parent's order id, for a bracket child (it waits for the
                parent's fill).
            oca_group: The OCA group it belongs to.
            tif: Its time in force (any IB takes, ``"DTC"`` too).

        Returns:
            The order id reported to clients.

        Raises:
            KeyError: Unknown symbol.
            ValueError: The order is invalid (action, quantity, type or prices), or
                ``client_id`` already has an order ``order_id``.
        """
        inst = self._instrument(symbol)
        if order_id is None:
            if client_id == 0:
                order_id = next(self._tws_order_ids)
            else:
                order_id = self._next_order_id
                self._next_order_id += 1
        placed = PlacedOrder(
            order_id,
            client_id,
            inst.key,
            action,
            float(quantity),
            order_type,
            limit_price,
            tif,
            aux_price=stop_price,
            parent_id=parent_id,
            oca_group=oca_group,
            trailing_percent=trailing_percent,
        )
        problem = self._validation_error(
            placed, inst, types=rules.ORDER_TYPES | rules.UNMODELLED_TYPES
        )
        if problem is not None:
            raise ValueError(problem)
        if (client_id, order_id) in self._orders:
            msg = f"client {client_id} already has an order {order_id}"
            raise ValueError(msg)
        order = OrderRecord(
            client_id=client_id,
            order_id=order_id,
            perm_id=next(self._perm_ids),
            instrument=inst,
            action=action,
            quantity=float(quantity),
            order_type=order_type,
            limit_price=limit_price,
            tif=tif,
            account=self.account,
            order_ref="",
            status="Submitted",
            aux_price=stop_price,
            foreign=True,
            trailing_percent=trailing_percent,
            parent_id=parent_id,
            oca_group=oca_group,
        )
        parent = self._orders.get((client_id, parent_id)) if parent_id else None
        if parent is not None and parent.status != "Filled":
            order.working, order.status = False, "PreSubmitted"
        self._orders[(client_id, order_id)] = order
        self._arm(order)
        self._send_order_update(order)
        self._try_fill(order)
        return order_id

    def send_order_error(self, client_id: int, order_id: int, code: int, message: str) -> None:
        """Send IB's error ``code`` for ``order_id`` to one client, as IB does unprompted.

        E.g. a late 201 rejection; the order itself is left as it is.

        Raises:
            LookupError: No live connection has that client id.
        """
        session = self._live_session(client_id)
        session.error(order_id, code, message)

    def drop_connection(self, client_id: int) -> None:
        """Cut one client's socket at once, mid-stream, as a network fault would.

        Unsent messages are discarded; the gateway keeps listening and other clients stay.

        Raises:
            LookupError: No live connection has that client id.
        """
        session = self._live_session(client_id)
        session.writer.transport.abort()

    def lose_connectivity(self) -> None:
        """Send IB's 1100 (connectivity to IB lost) to every client; sockets stay open.

        Until :meth:`restore_connectivity`, price changes stream no ticks.
        """
        self._connectivity_lost = True
        self._broadcast(partial(_error, 1100, _CONNECTIVITY_LOST))

    def restore_connectivity(self, *, data_lost: bool = False) -> None:
        """End a connectivity loss with 1102 (data maintained) or 1101 (data lost).

        With ``data_lost`` every market data subscription is dropped, as IB does: clients
        must subscribe again. Otherwise fresh ticks follow at once.
        """
        self._connectivity_lost = False
        if data_lost:
            self._broadcast(partial(_error, 1101, _RESTORED_DATA_LOST))
            for session in self._live_sessions():
                session.market_data.clear()
                session.shortable.clear()
            return
        self._broadcast(partial(_error, 1102, _RESTORED_DATA_KEPT))
        for inst in self._by_key.values():
            self._stream(inst)

    def _stream(self, inst: FakeInstrument) -> None:
        if not self._connectivity_lost:
            super()._stream(inst)


def _error(code: int, text: str, version: int) -> list[str]:
    return wire.error(-1, code, text, version)
