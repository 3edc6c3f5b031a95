"""The event stream: ids on every event, resume with Last-Event-ID, heartbeats, replay bounds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from hydra.adapters.control.events import EventHub, StreamEvent, StreamStart
from hydra.application.records import StateChanged
from hydra.domain import Instrument, OrderRequest, Side, TradingState
from tests.control.conftest import Running


@dataclass
class Event:
    """One server-sent event as a client parses it."""

    id: str | None
    kind: str
    data: dict[str, object]


async def _events(running: Running, last_event_id: str | None = None) -> AsyncIterator[Event]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with running.client.stream("GET", "/api/v1/events", headers=headers) as response:
        assert response.status_code == 200
        event_id, kind, data = None, "message", ""
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line == "" and data:
                yield Event(event_id, kind, json.loads(data))
                event_id, kind, data = None, "message", ""


def _state(n: int) -> StateChanged:
    state = TradingState.HALTED if n % 2 else TradingState.ACTIVE
    return StateChanged(time=datetime.now(UTC), state=state, who="t", why=str(n))


async def _items(hub: EventHub, last: str | None, count: int) -> list[StreamStart | StreamEvent]:
    got: list[StreamStart | StreamEvent] = []
    async for item in hub.stream(last, heartbeat=0.01):
        if item is not None:
            got.append(item)
        if len(got) >= count:
            break
    return got


async def test_hub_replays_what_a_client_missed_and_says_when_it_cannot() -> None:
    """After a known id the hub replays the rest; a foreign or evicted id starts with reset."""
    hub = EventHub(replay=5)
    for n in range(1, 8):
        hub.publish(_state(n))
    assert hub.last_id == f"{hub.epoch}:7"
    resumed = await _items(hub, f"{hub.epoch}:4", 4)
    assert resumed[0] == StreamStart(f"{hub.epoch}:4", reset=False)
    assert [e.n for e in resumed[1:] if isinstance(e, StreamEvent)] == [5, 6, 7]
    for too_old in (f"{hub.epoch}:1", "another-process:4", f"{hub.epoch}:99", "garbage"):
        [start] = await _items(hub, too_old, 1)
        assert start == StreamStart(hub.last_id, reset=True), too_old
    kept = hub.missed(f"{hub.epoch}:2")  # the oldest kept is 3
    assert kept is not None
    assert [e.n for e in kept] == [3, 4, 5, 6, 7]


async def test_a_stream_that_falls_behind_ends_instead_of_losing_records() -> None:
    """A client whose queue overflows gets what it holds, then its stream ends (it resumes)."""
    hub = EventHub()
    stream = hub.stream(None, heartbeat=0.01)
    start = await anext(stream)
    assert isinstance(start, StreamStart)
    for n in range(1200):
        hub.publish(_state(n))
    received = [item async for item in stream if isinstance(item, StreamEvent)]
    assert [e.n for e in received] == list(range(1, 1001))
    assert hub.dropped == 1
    rest = hub.missed(received[-1].id)
    assert rest is not None
    assert [e.n for e in rest] == list(range(1001, 1201))


async def test_reconnecting_with_last_event_id_during_a_burst_loses_no_decision(
    running: Running,
) -> None:
    """Connect, drop the stream mid-burst, reconnect with Last-Event-ID: every decision arrives."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    total = 400
    first_part = asyncio.Event()

    async def burst() -> None:
        for n in range(total):
            running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 1.0))
            if n % 10 == 9:
                await asyncio.sleep(0.002)
            if n == 150:
                await first_part.wait()  # the first connection has read some: drop it now

    seqs: list[int] = []
    last_id: str | None = None
    producer: asyncio.Task[None] | None = None
    async for event in _events(running):
        last_id = event.id
        if event.kind == "hello":
            producer = asyncio.create_task(burst())
        if event.kind == "decision":
            seqs.append(int(str(event.data["seq"])))
            if len(seqs) == 50:
                break  # the client disconnects in the middle of the burst
    first_part.set()
    assert producer is not None
    assert 0 < len(seqs) < total
    await asyncio.sleep(0.05)  # decisions keep coming while nobody listens
    resumed = _events(running, last_id)
    hello = await anext(resumed)
    assert (hello.kind, hello.id, hello.data["reset"]) == ("hello", last_id, False)
    async for event in resumed:
        assert event.id is not None
        if event.kind == "decision":
            seqs.append(int(str(event.data["seq"])))
            if seqs[-1] == total:
                break
    await resumed.aclose()
    await producer
    assert seqs == list(range(1, total + 1))  # every decision, once, in order


async def test_heartbeats_come_with_ids_while_nothing_happens(running: Running) -> None:
    """A quiet trader still sends a heartbeat about every second, each with an id."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    beats: list[Event] = []
    async for event in _events(running):
        assert event.id is not None
        if event.kind == "heartbeat":
            beats.append(event)
            if len(beats) == 2:
                break
    assert loop.time() - started < 4.0
    assert beats[0].id == beats[1].id  # nothing happened in between
    assert "time" in beats[0].data
