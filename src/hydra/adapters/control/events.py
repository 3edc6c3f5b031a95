"""Fan-out of the gate's audit records to server-sent-event streams, with ids and replay.

The gate calls ``EventHub.publish`` synchronously with each record. Every streamed record
gets an id ``<epoch>:<n>`` (``epoch`` names this hub, so an id from a previous server
process is recognised as foreign) and is kept in a bounded replay buffer. A client that
reconnects with ``Last-Event-ID`` gets every record it missed from the buffer, then the
live ones; if the buffer no longer reaches back that far (or the id is from another
epoch), the stream starts with a ``reset`` event so the client reloads through the REST
API instead of silently missing records.

Every connected stream has its own bounded queue, so a slow browser never slows or blocks
the gate: when its queue overflows, its stream ends after what it already holds, and the
client resumes from its last id out of the replay buffer.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from hydra.application import AuditRecord
from hydra.application.records import (
    BreakerReset,
    BreakerTripped,
    BrokerErrorRecord,
    CancelRecord,
    DecisionRecord,
    ForeignOrder,
    KillRecord,
    OrderSent,
    StateChanged,
)

__all__ = ["REPLAY_EVENTS", "STREAMED_TYPES", "EventHub", "StreamEvent", "StreamStart", "sse"]

STREAMED_TYPES = (
    DecisionRecord,
    OrderSent,
    BrokerErrorRecord,
    ForeignOrder,
    CancelRecord,
    StateChanged,
    BreakerTripped,
    BreakerReset,
    KillRecord,
)
"""Audit record types sent on the event stream (decisions, flatten orders included)."""

REPLAY_EVENTS = 4096
"""How many of the latest streamed records a reconnecting client can catch up on."""

_QUEUE = 1000


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One record as streamed: its position ``n`` in this hub and the record."""

    n: int
    id: str
    record: AuditRecord


@dataclass(frozen=True, slots=True)
class StreamStart:
    """A stream's first item: the id it continues from; ``reset`` when it could not resume."""

    from_id: str
    reset: bool


def sse(kind: str, event_id: str, payload: Mapping[str, Any]) -> str:
    """One server-sent event: ``id:``, ``event:`` and a one-line JSON ``data:``."""
    data = json.dumps(payload, separators=(",", ":"), default=str)
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


class _Subscriber:
    __slots__ = ("overflowed", "queue")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(_QUEUE)
        self.overflowed = False


class EventHub:
    """Delivers published records to every open stream; ``close`` ends them all."""

    def __init__(self, replay: int = REPLAY_EVENTS) -> None:
        self.epoch = secrets.token_hex(4)
        self._n = 0
        self._buffer: deque[StreamEvent] = deque(maxlen=replay)
        self._subscribers: set[_Subscriber] = set()
        self.dropped = 0
        self._closed = False

    @property
    def last_id(self) -> str:
        """The id of the latest streamed record (``<epoch>:0`` before the first)."""
        return f"{self.epoch}:{self._n}"

    def publish(self, record: AuditRecord) -> None:
        """Number ``record``, keep it for replay and queue it for every stream (never blocks)."""
        if not isinstance(record, STREAMED_TYPES):
            return
        self._n += 1
        event = StreamEvent(self._n, f"{self.epoch}:{self._n}", record)
        self._buffer.append(event)
        for subscriber in self._subscribers:
            if subscriber.overflowed:
                continue
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                # The stream ends after what it holds; its client resumes from the buffer.
                subscriber.overflowed = True
                self.dropped += 1

    def missed(self, last_event_id: str) -> list[StreamEvent] | None:
        """The records after ``last_event_id``; None if they cannot all be replayed."""
        epoch, _, number = last_event_id.strip().partition(":")
        if epoch != self.epoch or not number.isdigit() or int(number) > self._n:
            return None
        after = int(number)
        oldest = self._buffer[0].n if self._buffer else self._n + 1
        if after + 1 < oldest:
            return None  # some of them already left the buffer
        return [event for event in self._buffer if event.n > after]

    async def stream(
        self, last_event_id: str | None = None, heartbeat: float = 1.0
    ) -> AsyncIterator[StreamStart | StreamEvent | None]:
        """The events of one client; ``None`` every ``heartbeat`` seconds of silence.

        Starts with a ``StreamStart``: from ``last_event_id`` when every record after it
        can be replayed (they follow at once), else from now with ``reset`` set when a
        resume was asked for (the client must reload what it shows); then live records.
        """
        subscriber = _Subscriber()
        # No await between the snapshot and the subscription: nothing can fall between.
        backlog = self.missed(last_event_id) if last_event_id else None
        start = StreamStart(
            last_event_id if backlog is not None and last_event_id else self.last_id,
            reset=bool(last_event_id) and backlog is None,
        )
        self._subscribers.add(subscriber)
        try:
            yield start
            for missed in backlog or ():
                yield missed
            while not self._closed:
                if subscriber.overflowed and subscriber.queue.empty():
                    return
                try:
                    live = await asyncio.wait_for(subscriber.queue.get(), heartbeat)
                except TimeoutError:
                    yield None
                    continue
                if live is None:
                    return
                yield live
        finally:
            self._subscribers.discard(subscriber)

    @property
    def streams(self) -> int:
        """How many streams are open."""
        return len(self._subscribers)

    def close(self) -> None:
        """End every open stream (on server shutdown)."""
        self._closed = True
        for subscriber in self._subscribers:
            while True:
                try:
                    subscriber.queue.put_nowait(None)
                    break
                except asyncio.QueueFull:
                    subscriber.queue.get_nowait()
