"""The control API over a real uvicorn server on loopback: reads, mutations, events, metrics."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from hydra.adapters.journal import read_journal
from hydra.domain import Instrument, OrderRequest, Side, TradingState
from tests.control.conftest import Running
from tests.control.scenes import GOOD_TILL, protected_futures


async def _buy(running: Running, quantity: float = 5) -> None:
    instrument = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    running.gate.submit_with_decision(instrument, OrderRequest.market(Side.BUY, quantity))


async def test_status_reports_state_connection_breakers_limits_and_equity(running: Running) -> None:
    """GET /status names the trading state, connection, every breaker and the limits."""
    await _buy(running)
    response = await running.client.get("/api/v1/status")
    assert response.status_code == 200
    data = response.json()
    assert data["trading_state"] == "ACTIVE"
    assert data["connection"] == "connected"
    names = {b["name"] for b in data["breakers"]}
    assert names == {"daily_loss", "drawdown", "position_size", "trade_loss"}
    assert all({"threshold", "value", "since", "state"} <= b.keys() for b in data["breakers"])
    assert data["limits"]["max_notional"] == 250_000.0
    assert data["session_start_equity"] == pytest.approx(100_000.0)
    assert data["peak_equity"] is not None


async def test_positions_orders_and_filtered_decisions(running: Running) -> None:
    """Positions, open orders and decisions filtered by outcome and reason code are served."""
    await _buy(running)
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 1.0))  # collar
    running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.SELL, 1, 205.0))  # resting
    positions = (await running.client.get("/api/v1/positions")).json()["positions"]
    assert [p["symbol"] for p in positions] == ["AAPL"]
    orders = (await running.client.get("/api/v1/orders")).json()["orders"]
    assert [(o["side"], o["limit_price"]) for o in orders] == [("SELL", 205.0)]
    blocked = (await running.client.get("/api/v1/decisions?outcome=blocked")).json()
    assert [d["outcome"] for d in blocked["decisions"]] == ["blocked"]
    by_code = await running.client.get("/api/v1/decisions", params={"reason": "limit.price_collar"})
    assert len(by_code.json()["decisions"]) == 1
    allowed = (await running.client.get("/api/v1/decisions?outcome=allowed&limit=1")).json()
    assert len(allowed["decisions"]) == 1


async def test_positions_orders_and_decisions_name_the_exact_contract_and_every_term(
    running: Running,
) -> None:
    """ESZ6 and ESH7 (both ES) are told apart by label; an order shows every field it has."""
    scene = await protected_futures(running)
    positions = (await running.client.get("/api/v1/positions")).json()["positions"]
    assert sorted((p["symbol"], p["label"], p["expiry"]) for p in positions) == [
        ("ES", "ESH7", "20270319"),
        ("ES", "ESZ6", "20261218"),
    ]
    orders = (await running.client.get("/api/v1/orders")).json()["orders"]
    by_id = {o["order_id"]: o for o in orders}
    assert {i: o["terms"] for i, o in by_id.items()} == scene.terms
    stop = by_id[scene.stop_limit.order_id]
    assert (stop["symbol"], stop["label"], stop["local_symbol"], stop["sec_type"]) == (
        "ES",
        "ESZ6",
        "ESZ6",
        "FUT",
    )
    assert {k: stop[k] for k in ("order_type", "stop_price", "limit_price", "tif")} == {
        "order_type": "STP LMT",
        "stop_price": 95.0,
        "limit_price": 94.5,
        "tif": "GTD",
    }
    assert stop["good_till"] == GOOD_TILL.isoformat()
    assert (stop["outside_rth"], stop["order_ref"], stop["reduce_only"]) == (True, "exit-z6", True)
    assert (stop["oca_group"], stop["parent_id"], stop["trailing_amount"]) == (None, None, None)
    stop_loss = scene.bracket.stop_loss
    assert stop_loss is not None
    child = by_id[stop_loss.order_id]
    assert (child["label"], child["order_type"], child["stop_price"]) == ("ESH7", "STP", 95.5)
    assert child["oca_group"] == stop_loss.oca_group
    assert child["parent_id"] == scene.bracket.entry.order_id
    decisions = (await running.client.get("/api/v1/decisions")).json()["decisions"]
    assert [d["instrument"]["label"] for d in decisions] == ["ESZ6", "ESH7", "ESZ6", "ESH7"]


async def test_halt_is_journaled_with_who_and_why_and_blocks_the_next_order(
    running: Running,
) -> None:
    """POST /state HALTED goes through the gate's audited control: journal has who/why."""
    response = await running.client.post(
        "/api/v1/state", json={"state": "HALTED", "who": "alice", "why": "news"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["trading_state"] == "HALTED"
    assert running.gate.trading_state is TradingState.HALTED
    await _buy(running)
    assert running.gate.last_decision is not None
    assert running.gate.last_decision.triggered == ("halted",)
    states = [r for r in read_journal(running.journal).records if r["kind"] == "state"]
    assert (states[-1]["who"], states[-1]["why"], states[-1]["state"]) == (
        "alice",
        "news",
        "HALTED",
    )
    tail = (await running.client.get("/api/v1/journal?limit=5")).json()["records"]
    assert any(r.get("who") == "alice" for r in tail)


async def test_kill_cancels_resting_orders_and_repeating_it_is_harmless(running: Running) -> None:
    """POST /kill halts and cancels; the same request again cancels nothing and still 200s."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    decision = running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 1, 190.0))
    assert decision.allowed
    body = {"who": "bob", "why": "runaway", "flatten": False}
    first = await running.client.post("/api/v1/kill", json=body)
    assert first.status_code == 200, first.text
    assert first.json()["cancelled"] == [decision.order_id]
    second = await running.client.post("/api/v1/kill", json=body)
    assert second.status_code == 200
    assert second.json()["cancelled"] == []
    assert second.json()["trading_state"] == "HALTED"


async def test_idempotency_key_replays_the_first_answer_without_acting_again(
    running: Running,
) -> None:
    """A retried mutation with the same Idempotency-Key is answered, not journaled twice."""
    headers = {"Idempotency-Key": "k-1"}
    body = {"state": "REDUCING", "who": "carol", "why": "risk off"}
    first = await running.client.post("/api/v1/state", json=body, headers=headers)
    again = await running.client.post("/api/v1/state", json=body, headers=headers)
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replay"] == "1"
    states = [r for r in read_journal(running.journal).records if r["kind"] == "state"]
    assert len(states) == 1
    other = await running.client.post(
        "/api/v1/state", json={**body, "state": "ACTIVE"}, headers=headers
    )
    assert other.status_code == 409


async def test_reset_breaker_is_audited_and_unknown_breaker_is_404(running: Running) -> None:
    """POST /breakers/{name}/reset re-arms with who/why; an unknown name is a 404."""
    ok = await running.client.post(
        "/api/v1/breakers/drawdown/reset", json={"who": "dan", "why": "reviewed"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["breaker"]["state"] == "ACTIVE"
    resets = [r for r in read_journal(running.journal).records if r["kind"] == "reset"]
    assert resets[-1]["who"] == "dan"
    missing = await running.client.post(
        "/api/v1/breakers/nope/reset", json={"who": "dan", "why": "x"}
    )
    assert missing.status_code == 404
    assert "drawdown" in missing.json()["error"]["message"]


async def test_event_stream_delivers_decisions_and_state_changes(running: Running) -> None:
    """GET /events streams decision and state records as server-sent events."""
    seen: list[tuple[str, dict[str, object]]] = []

    async def read() -> None:
        async with running.client.stream("GET", "/api/v1/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            kind = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    seen.append((kind, json.loads(line[6:])))
                    if kind == "state":
                        return

    reader = asyncio.create_task(read())
    # The hub has no 'stream opened' event; poll its count (bounded by the test timeout).
    while running.server.event_streams == 0:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await _buy(running)
    running.gate.set_trading_state("HALTED", who="erin", why="test")
    await asyncio.wait_for(reader, 10)
    kinds = [k for k, _ in seen if k not in ("hello", "heartbeat", "broker")]
    assert kinds[0] == "decision"
    assert kinds[-1] == "state"
    assert next(data for k, data in seen if k == "decision")["outcome"] == "allowed"


async def test_healthz_needs_no_token(running: Running) -> None:
    """/healthz answers without a token (a liveness probe carries no data)."""
    async with httpx.AsyncClient(base_url=running.server.url) as anonymous:
        response = await anonymous.get("/healthz")
    assert response.json() == {"ok": True}
