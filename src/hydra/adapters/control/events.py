"""Fan-out of the gate's audit records to server-sent-event streams.

The gate calls ``EventHub.publish`` synchronously with each record; every connected
stream has its own bounded queue, so a slow browser drops events (counted) instead of
slowing down or blocking the gate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from hydra.application import AuditRecord

__all__ = ["STREAMED_KINDS", "EventHub"]

STREAMED_KINDS = frozenset(
    {
        "decision",
        "flatten",
        "order.sent",
        "order.broker_error",
        "order.foreign",
        "cancel",
        "state",
        "trip",
        "reset",
        "kill",
    }
)
"""Audit record kinds sent on the event stream."""

_QUEUE = 1000


class EventHub:
    """Delivers published records to every open stream; ``close`` ends them all."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[AuditRecord | None]] = set()
        self.dropped = 0
        self._closed = False

    def publish(self, record: AuditRecord) -> None:
        """Queue ``record`` for every stream (never blocks; a full queue drops it)."""
        if record.kind not in STREAMED_KINDS:
            return
        for queue in self._queues:
            try:
                queue.put_nowait(record)
            except asyncio.QueueFull:
                self.dropped += 1

    async def stream(self, heartbeat: float = 15.0) -> AsyncIterator[AuditRecord | None]:
        """Records as they come; ``None`` every ``heartbeat`` seconds of silence."""
        queue: asyncio.Queue[AuditRecord | None] = asyncio.Queue(_QUEUE)
        self._queues.add(queue)
        try:
            while not self._closed:
                try:
                    record = await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    yield None
                    continue
                if record is None:
                    return
                yield record
        finally:
            self._queues.discard(queue)

    @property
    def streams(self) -> int:
        """How many streams are open."""
        return len(self._queues)

    def close(self) -> None:
        """End every open stream (on server shutdown)."""
        self._closed = True
        for queue in self._queues:
            while True:
                try:
                    queue.put_nowait(None)
                    break
                except asyncio.QueueFull:
                    queue.get_nowait()
