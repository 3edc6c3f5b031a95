"""Connections of the fake gateway: handshake, version negotiation, dispatch and pacing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from hydra.testing import _wire as wire
from hydra.testing._core import Session, ib_time
from hydra.testing._order_reports import OrderReports

if TYPE_CHECKING:
    from collections.abc import Callable

_logger = logging.getLogger("hydra.testing.fake_gateway")

DUPLICATE_CLIENT_ID = (
    "Unable to connect as the client id is already in use. Retry with a unique client id."
)
# What a real gateway reports right after the API handshake; clients treat 2100-2199 as
# informational, and an adapter must tolerate them, so the fake sends them too.
_FARM_STATUS = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)
# Requests without a request id that clients wait on: answered with an empty list.
_EMPTY_ANSWERS: dict[int, list[str]] = {
    24: ["19", "1", "<ScanParameterResponse/>"],  # reqScannerParameters
    80: ["78", "0"],  # reqFamilyCodes
    82: ["80", "0"],  # reqMktDepthExchanges
    85: ["85", "0"],  # reqNewsProviders
}
PACING_CODE = 100
PACING_TEXT = "Max rate of messages per second has been exceeded."


class ConnectionDesk(OrderReports):
    """Serves API connections and routes each request to its handler."""

    _max_rate: int | None
    _handler_tasks: set[asyncio.Task[object]]

    def _handlers(self) -> dict[int, Callable[[Session, list[str]], None]]:
        ignore = self._on_ignored
        return {
            wire.IN_START_API: self._on_start_api,
            wire.IN_PLACE_ORDER: self._on_place_order,
            wire.IN_CANCEL_ORDER: self._on_cancel_order,
            wire.IN_REQ_OPEN_ORDERS: self._on_req_open_orders,
            wire.IN_REQ_ALL_OPEN_ORDERS: self._on_req_all_open_orders,
            wire.IN_REQ_COMPLETED_ORDERS: self._on_req_completed_orders,
            wire.IN_REQ_ACCOUNT_UPDATES: self._on_req_account_updates,
            wire.IN_REQ_ACCOUNT_UPDATES_MULTI: self._on_req_account_updates_multi,
            wire.IN_REQ_EXECUTIONS: self._on_req_executions,
            wire.IN_REQ_IDS: self._on_req_ids,
            wire.IN_REQ_MANAGED_ACCTS: self._on_req_managed_accts,
            wire.IN_REQ_CONTRACT_DETAILS: self._on_req_contract_details,
            wire.IN_REQ_POSITIONS: self._on_req_positions,
            wire.IN_CANCEL_POSITIONS: self._on_cancel_positions,
            wire.IN_REQ_ACCOUNT_SUMMARY: self._on_req_account_summary,
            wire.IN_REQ_CURRENT_TIME: self._on_req_current_time,
            wire.IN_REQ_GLOBAL_CANCEL: self._on_req_global_cancel,
            wire.IN_REQ_MKT_DATA: self._on_req_mkt_data,
            wire.IN_CANCEL_MKT_DATA: self._on_cancel_mkt_data,
            wire.IN_REQ_HISTORICAL_DATA: self._on_req_historical_data,
            wire.IN_REQ_HEAD_TIMESTAMP: self._on_req_head_timestamp,
            wire.IN_REQ_MATCHING_SYMBOLS: self._on_req_matching_symbols,
            wire.IN_REQ_MARKET_RULE: self._on_req_market_rule,
            wire.IN_REQ_SEC_DEF_OPT_PARAMS: self._on_req_sec_def_opt_params,
            wire.IN_REQ_PNL: self._on_req_pnl,
            wire.IN_REQ_PNL_SINGLE: self._on_req_pnl_single,
            wire.IN_CANCEL_PNL: self._on_cancel_pnl,
            wire.IN_CANCEL_PNL_SINGLE: self._on_cancel_pnl,
            # Requests with nothing to answer.
            wire.IN_REQ_AUTO_OPEN_ORDERS: ignore,
            # Live data is always available here, and IB then streams live data whatever
            # type was asked for, so every subscription reports marketDataType 1.
            wire.IN_REQ_MARKET_DATA_TYPE: ignore,
        }

    # ------------------------------------------------------------------ connections

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handler_tasks.add(task)
        session = Session(writer)
        self._sessions.add(session)
        try:
            await self._serve_session(session, reader)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            _logger.debug("connection of client %s ended: %r", session.client_id, exc)
        finally:
            self._sessions.discard(session)
            # Subscriptions die with their socket, as on a real gateway.
            session.market_data.clear()
            session.shortable.clear()
            session.pnl.clear()
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            if task is not None:
                self._handler_tasks.discard(task)

    async def _serve_session(self, session: Session, reader: asyncio.StreamReader) -> None:
        if await reader.readexactly(len(wire.HANDSHAKE_PREFIX)) != wire.HANDSHAKE_PREFIX:
            _logger.debug("dropping a connection that is not an API client")
            return
        offer = wire.decode(await wire.read_frame(reader))
        version = wire.negotiate(offer[0] if offer else "")
        if version is None:
            # IB closes the socket on a client it cannot speak to, without a version reply.
            _logger.info("refusing a client offering %r (fake speaks 157..178)", offer)
            return
        session.version = version
        session.send(wire.server_hello(version, ib_time()))
        handlers = self._handlers()
        while not session.writer.is_closing():
            fields = wire.decode(await wire.read_frame(reader))
            self._handle_message(session, fields, handlers)

    def _handle_message(
        self,
        session: Session,
        fields: list[str],
        handlers: dict[int, Callable[[Session, list[str]], None]],
    ) -> None:
        try:
            msg_id = int(fields[0])
        except (IndexError, ValueError):
            _logger.debug("ignoring a malformed message: %r", fields)
            return
        if session.client_id is None and msg_id != wire.IN_START_API:
            _logger.debug("ignoring message %d before startApi", msg_id)
            return
        limit = self._max_rate
        if limit is not None and session.over_pace(time.monotonic(), limit):
            req_id = wire.request_id(fields)
            if msg_id in {wire.IN_PLACE_ORDER, wire.IN_CANCEL_ORDER}:
                req_id = int(fields[1] if msg_id == wire.IN_PLACE_ORDER else fields[2])
            session.error(-1 if req_id is None else req_id, PACING_CODE, PACING_TEXT)
            return
        handler = handlers.get(msg_id)
        if handler is None:
            self._answer_unsupported(session, msg_id, fields)
            return
        try:
            handler(session, fields)
        except Exception:
            # A malformed request must not take the gateway down, nor go unanswered.
            _logger.exception("fake gateway failed to handle %r", fields)
            req_id = wire.request_id(fields)
            if msg_id == wire.IN_PLACE_ORDER:
                req_id = int(fields[1]) if fields[1:2] and fields[1].isdigit() else None
            session.error(
                -1 if req_id is None else req_id,
                320,
                f"Server error when reading an API client request: message {msg_id}",
            )

    def _answer_unsupported(self, session: Session, msg_id: int, fields: list[str]) -> None:
        """No silence: every request IB would answer gets an answer or IB's error."""
        if msg_id in wire.UNANSWERED:
            return
        if msg_id in _EMPTY_ANSWERS:
            session.send(_EMPTY_ANSWERS[msg_id])
            return
        req_id = wire.request_id(fields)
        text = (
            "The TWS is out of date and must be upgraded. "
            f"(request {msg_id} is not supported by the fake gateway)"
        )
        session.error(-1 if req_id is None else req_id, wire.NOT_SUPPORTED_CODE, text)

    # ------------------------------------------------------------------ session requests

    def _on_start_api(self, session: Session, fields: list[str]) -> None:
        # [71, 2, clientId, optionalCapabilities]
        if session.client_id is not None:
            return
        client_id = int(fields[2])
        if client_id in {s.client_id for s in self._live_sessions()}:
            session.error(-1, 326, DUPLICATE_CLIENT_ID)
            session.writer.close()
            return
        session.client_id = client_id
        session.send(wire.next_valid_id(self._next_order_id))
        session.send(wire.managed_accounts(self.account))
        for code, text in _FARM_STATUS:
            session.error(-1, code, text)

    def _on_ignored(self, session: Session, fields: list[str]) -> None:
        pass

    def _on_req_ids(self, session: Session, fields: list[str]) -> None:
        session.send(wire.next_valid_id(self._next_order_id))

    def _on_req_managed_accts(self, session: Session, fields: list[str]) -> None:
        session.send(wire.managed_accounts(self.account))

    def _on_req_current_time(self, session: Session, fields: list[str]) -> None:
        session.send(wire.current_time(int(time.time())))
