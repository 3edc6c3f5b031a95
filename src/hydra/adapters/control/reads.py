"""The control API's reads: status, positions, orders, decisions, journal, history, events.

Status carries the money and the outlook (can it trade now?), positions their market
values; ``/metrics`` is prometheus-client's own ASGI app over the gate's registry.
Everything here reads the gate's public views (``gate.status()``, ``gate.broker``,
``gate.decisions``) and never changes anything. ``ReadApi`` owns what the reads need
besides the gate: the event hub, the metrics registry and the session history, each fed
by the gate's audit records (``listeners``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import make_asgi_app
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hydra.adapters.control.console import CONSOLE_ROUTES
from hydra.adapters.control.events import EventHub, StreamStart, sse
from hydra.adapters.control.history import SessionHistory
from hydra.adapters.control.jsonable import to_json
from hydra.adapters.control.metrics import GateMetrics
from hydra.adapters.control.money import AccountMoney, account_money
from hydra.adapters.control.outlook import trading_outlook
from hydra.adapters.control.shown import order_json
from hydra.application import AuditRecord, DecisionRecord, RiskGate
from hydra.domain import HydraError, Instrument, InvalidInputError, SecurityType

__all__ = ["BROKER_POLL_S", "HEARTBEAT_S", "MAX_LIMIT", "JournalTail", "ReadApi"]

BROKER_POLL_S = 0.25
"""How often an open event stream looks for changed broker positions and orders."""

HEARTBEAT_S = 1.0
"""An event stream with nothing to say sends a ``heartbeat`` event this often."""

MAX_LIMIT = 1000
"""The largest ``?limit=`` a list read accepts."""

JournalTail = Callable[[int], list[dict[str, Any]]]
"""The last N journal records, oldest first."""


class _AsgiEndpoint:
    """Lets Starlette route to a plain ASGI callable (it would wrap a function as a view)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _limit(request: Request, default: int) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_LIMIT:
        raise HTTPException(422, f"limit: must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def _record_json(record: AuditRecord) -> dict[str, Any]:
    """A record as the API shows it: the journal form, a decision's contract labelled."""
    data = record.as_json()
    if isinstance(record, DecisionRecord) and record.instrument is not None:
        data["instrument"]["label"] = record.instrument.label  # ESZ6, not just ES
    return data


class ReadApi:
    """The read routes over one gate, with their event hub, metrics and history.

    Args:
        gate: the running RiskGate.
        journal_tail: reads the last N journal records (None: ``/journal`` is a 404).
        journal_failures: how many journal appends failed (for ``/metrics``).
    """

    def __init__(
        self,
        gate: RiskGate,
        *,
        journal_tail: JournalTail | None = None,
        journal_failures: Callable[[], int] | None = None,
    ) -> None:
        self.gate = gate
        self.hub = EventHub()
        self.history = SessionHistory()
        self.metrics = GateMetrics(gate, journal_failures, on_money=self._sample)
        self._journal_tail = journal_tail
        self._sampled = float("-inf")
        self.listeners: tuple[Callable[[AuditRecord], None], ...] = (
            self.hub.publish,
            self.metrics.observe,
            self.history.observe,
        )
        self.routes: list[BaseRoute] = [
            *CONSOLE_ROUTES,
            Route("/metrics", _AsgiEndpoint(make_asgi_app(self.metrics.registry))),
            Route("/api/v1/status", self.status),
            Route("/api/v1/positions", self.positions),
            Route("/api/v1/orders", self.orders),
            Route("/api/v1/limits", self.limits),
            Route("/api/v1/decisions", self.decisions),
            Route("/api/v1/journal", self.journal),
            Route("/api/v1/history", self.session_history),
            Route("/api/v1/events", self.events),
        ]

    def close(self) -> None:
        """End every event stream."""
        self.hub.close()

    def _sample(self, money: AccountMoney) -> None:
        self.history.sample_equity(datetime.now(UTC), money.equity)

    def _sample_equity(self, now: float) -> None:
        """Chart this minute's equity (at most once a second, however many streams ask)."""
        if now - self._sampled < 1.0:
            return
        self._sampled = now
        try:
            equity = self.gate.broker.account().net_liquidation
        except HydraError:
            return
        self.history.sample_equity(datetime.now(UTC), equity)

    def _money(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The account's and the positions' money as JSON (an ``error`` while unreadable)."""
        try:
            money, positions = account_money(self.gate)
        except HydraError as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}, []
        self._sample(money)
        return to_json(money), [to_json(p) for p in positions]

    # ------------------------------------------------------------------ JSON reads
    async def status(self, _request: Request) -> Response:
        """State, connection (and reconnect attempts), breakers, limits, outlook, money."""
        status = self.gate.status()
        now = datetime.now(UTC)
        timezone = self.gate.breakers.config.session.timezone
        data = to_json(status)
        data["breakers"] = [b.as_json() for b in status.breakers]
        data["orders_in_flight"] = len(self.gate.broker.open_orders())
        data["reconnects"] = self.gate.broker.reconnects
        data["outlook"] = to_json(trading_outlook(status, now, timezone))
        data["session_timezone"] = timezone
        data["server_time"] = now.isoformat()
        try:
            data["account"] = to_json(self.gate.broker.account())
        except HydraError as exc:  # the status must answer while disconnected
            data["account"] = {"error": f"{type(exc).__name__}: {exc}"}
        data["money"], _ = self._money()
        return JSONResponse(data)

    async def positions(self, _request: Request) -> Response:
        """Positions at the broker (each with its contract's label), valued at market."""
        money, positions = self._money()
        return JSONResponse({"currency": money.get("currency"), "positions": positions})

    async def orders(self, _request: Request) -> Response:
        """Open orders the broker reports (including ones this process did not place).

        Each with its contract's label and fields and every field of its type
        (``shown.order_json``): stop, trail, TIF, ``good_till``, OCA group, parent.
        """
        return JSONResponse({"orders": self._orders_json()})

    def _orders_json(self) -> list[dict[str, Any]]:
        return [order_json(h) for h in self.gate.broker.open_orders()]

    async def limits(self, request: Request) -> Response:
        """The limits one instrument is judged by (``?symbol=ES&sec_type=FUT&expiry=202612``).

        The instrument is qualified by the broker first, so a contract's own overrides
        (by contract id or local symbol) count; the account-wide settings come along.
        """
        query = request.query_params
        symbol = query.get("symbol", "").strip()
        if not symbol:
            raise HTTPException(422, "symbol: required (e.g. ?symbol=ES&sec_type=FUT)")
        try:
            kind = SecurityType(query.get("sec_type", "STK").strip().upper())
            wanted = Instrument(
                symbol,
                kind,
                currency=query.get("currency", "USD"),
                expiry=query.get("expiry", ""),
                local_symbol=query.get("local_symbol", ""),
            )
        except (ValueError, InvalidInputError) as exc:
            raise HTTPException(422, str(exc)) from None
        try:
            instrument = await self.gate.broker.qualify_contract(wanted)
        except HydraError as exc:
            raise HTTPException(404, f"{type(exc).__name__}: {exc}") from None
        return JSONResponse(
            {
                "instrument": instrument.label,
                "con_id": instrument.con_id,
                "sec_type": instrument.sec_type.value,
                "limits": to_json(self.gate.limits_for(instrument)),
                "account_limits": to_json(self.gate.account_limits),
            }
        )

    async def decisions(self, request: Request) -> Response:
        """Recent decisions, newest last; filters ``outcome``, ``reason`` (code/name), ``limit``."""
        outcome = request.query_params.get("outcome")
        if outcome is not None and outcome not in ("allowed", "blocked"):
            raise HTTPException(422, "outcome: must be allowed or blocked")
        reason = request.query_params.get("reason")
        limit = _limit(request, 100)
        selected = [
            d
            for d in self.gate.decisions
            if (outcome is None or d.outcome == outcome)
            and (reason is None or any(reason in (r.code, r.name) for r in d.reasons))
        ]
        return JSONResponse({"decisions": [_record_json(d) for d in selected[-limit:]]})

    async def journal(self, request: Request) -> Response:
        """The journal's last records (``?limit=``, default 50)."""
        if self._journal_tail is None:
            raise HTTPException(404, "this gate has no journal")
        return JSONResponse({"records": to_json(self._journal_tail(_limit(request, 50)))})

    async def session_history(self, _request: Request) -> Response:
        """Per-minute equity and decisions since the session started, for the chart."""
        self._money()  # this minute's equity, if the account can be read
        start = self.gate.status().session_start
        data: dict[str, Any] = {"session_start": to_json(start)}
        data.update(self.history.series(start))
        return JSONResponse(data)

    # ------------------------------------------------------------------ the event stream
    def _broker_snapshot(self) -> object:
        """What the positions and orders tables show, to notice a change."""
        try:
            return ([to_json(p) for p in self.gate.broker.positions()], self._orders_json())
        except HydraError as exc:  # e.g. disconnected: that is a state too
            return type(exc).__name__

    async def events(self, request: Request) -> Response:
        """Server-sent events: decisions, orders sent, state changes, trips, resets, kills.

        Every event has an ``id:``; a client that reconnects with ``Last-Event-ID`` gets
        what it missed (or a ``hello`` with ``reset: true`` if that is no longer
        possible, and reloads). A ``heartbeat`` comes every ``HEARTBEAT_S`` of silence,
        so a client can tell a quiet trader from a dead one. Fills and position messages
        arrive from the broker after the gate's records, so the stream also looks at the
        broker's positions and open orders every ``BROKER_POLL_S`` and sends a ``broker``
        event when they changed.
        """
        loop = asyncio.get_running_loop()
        resume = request.headers.get("last-event-id")

        async def body() -> AsyncIterator[str]:
            seen = self._broker_snapshot()
            current = ""
            checked = sent = loop.time()
            async for item in self.hub.stream(resume, heartbeat=BROKER_POLL_S):
                now = loop.time()
                if isinstance(item, StreamStart):
                    current = item.from_id
                    hello = {"reset": item.reset, "heartbeat_s": HEARTBEAT_S}
                    yield sse("hello", current, hello)
                    sent = now
                elif item is not None:
                    current = item.id
                    yield sse(item.record.kind, current, _record_json(item.record))
                    sent = now
                if now - checked >= BROKER_POLL_S:
                    checked = now
                    snapshot = self._broker_snapshot()
                    if snapshot != seen:
                        seen = snapshot
                        yield sse("broker", current, {})
                        sent = now
                if now - sent >= HEARTBEAT_S:
                    self._sample_equity(now)
                    yield sse("heartbeat", current, {"time": datetime.now(UTC).isoformat()})
                    sent = now

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
