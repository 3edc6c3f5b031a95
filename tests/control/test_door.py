"""The control API's door: Host allow-list, headers on every answer, strict bodies, who/why."""

from __future__ import annotations

import asyncio
import json

import pytest

from hydra.adapters.journal import read_journal
from hydra.domain import BreakerInputs, Instrument, OrderRequest, Side, TradingState
from tests.control.conftest import Running


def _records(running: Running, kind: str) -> list[dict[str, object]]:
    return [r for r in read_journal(running.journal).records if r["kind"] == kind]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8470", "127.0.0.1.nip.io"])
async def test_a_host_that_does_not_name_this_server_is_refused(
    running: Running, host: str
) -> None:
    """A DNS-rebound page (another Host name) gets a 400, even with the token."""
    response = await running.client.get("/api/v1/status", headers={"Host": host})
    assert response.status_code == 400
    assert "Host" in response.json()["error"]["message"]
    page = await running.client.get("/", headers={"Host": host})
    assert page.status_code == 400


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:1", "127.0.0.1:9", "[::1]:8470"])
async def test_loopback_names_are_allowed(running: Running, host: str) -> None:
    """Loopback names, with or without a port, are this server's."""
    response = await running.client.get("/api/v1/status", headers={"Host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/api/v1/status", None, 200),
        ("GET", "/healthz", None, 200),
        ("GET", "/api/v1/status", {"Authorization": "Bearer wrong"}, 401),
        ("GET", "/api/v1/nothing", None, 404),
        ("GET", "/api/v1/decisions?limit=0", None, 422),
        ("GET", "/api/v1/status", {"Host": "evil.example"}, 400),
    ],
)
async def test_every_answer_forbids_sniffing_and_framing(
    running: Running, method: str, path: str, headers: dict[str, str] | None, status: int
) -> None:
    """Nosniff and frame-ancestors 'none' are on every answer, errors and refusals too."""
    response = await running.client.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_the_console_page_keeps_its_policy_and_cannot_be_framed(running: Running) -> None:
    """The console's own Content-Security-Policy forbids framing, and nosniff is set."""
    page = await running.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].count("frame-ancestors") == 1
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "content", "status", "fragment"),
    [
        ("/api/v1/kill", b'{"who": "a", "why": "b", "flaten": true}', 422, "flaten: unknown"),
        ("/api/v1/state", b'{"state": "HALTED", "who": "a", "why": "b", "x": 1}', 422, "x: unk"),
        ("/api/v1/kill", b'{"who": "a", "why": "b", "flatten": NaN}', 422, "NaN is not"),
        ("/api/v1/kill", b'{"who": "a", "why": "b", "flatten": 1e999}', 422, "not a JSON"),
        ("/api/v1/kill", b'{"who": "a", "who": "b", "why": "c"}', 422, "who: given twice"),
        ("/api/v1/kill", b"[" * 6000 + b"]" * 6000, 400, "nested too deeply"),
        ("/api/v1/kill", b'{"who": ' + b"[" * 6000 + b"]" * 6000 + b"}", 400, "nested"),
        ("/api/v1/kill", b'{"who": "a", "why": "b", "flatten": "yes"}', 422, "flatten: must"),
        ("/api/v1/kill", b"\xff\xfe{}", 400, "not valid JSON"),
    ],
    ids=["flaten", "extra", "nan", "inf", "twice", "deep", "deep-field", "flatten-str", "utf8"],
)
async def test_a_body_that_is_not_exactly_right_changes_nothing(
    running: Running, path: str, content: bytes, status: int, fragment: str
) -> None:
    """Unknown fields, NaN, duplicates are 422; malformed or deep JSON is 400; nothing acts."""
    response = await running.client.post(
        path, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]
    assert running.gate.trading_state is TradingState.ACTIVE
    assert not _records(running, "kill")
    assert not _records(running, "state")


@pytest.mark.parametrize("limit", ["²", "\u0661", "99999999999999999999999", "-1", "1.5", ""])
async def test_out_of_range_query_values_are_422(running: Running, limit: str) -> None:
    """limit=² (a digit to str.isdigit, not to int) and friends are 422, never a 500."""
    for path in ("/api/v1/decisions", "/api/v1/journal"):
        response = await running.client.get(path, params={"limit": limit})
        assert response.status_code == 422, (path, limit, response.text)


@pytest.mark.parametrize(
    ("who", "fragment"),
    [
        ("\ud800", "valid UTF-8"),
        ("bob\x1b]0;owned\x07", "control characters"),
        ("line\nbreak", "control characters"),
        ("\u202eevil", "control characters"),
        ("x" * 600, "at most 500"),
    ],
    ids=["surrogate", "osc", "newline", "bidi", "long"],
)
async def test_who_that_a_terminal_or_journal_cannot_hold_is_refused_first(
    running: Running, who: str, fragment: str
) -> None:
    """A bad who is a 422 before the latched breaker is touched; nothing is journaled."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    running.gate.submit_with_decision(
        aapl, OrderRequest.market(Side.BUY, 1), inputs=BreakerInputs(-0.05, 1e5, 1e5, 0.0, 0.0)
    )
    assert [t.breaker.value for t in running.gate.breakers.latched] == ["daily_loss"]
    before = running.journal.read_bytes()
    content = json.dumps({"who": who, "why": "re-arm"}).encode()  # \ud800 as an escape
    response = await running.client.post(
        "/api/v1/breakers/daily_loss/reset",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert fragment in response.json()["error"]["message"]
    assert [t.breaker.value for t in running.gate.breakers.latched] == ["daily_loss"]
    assert running.journal.read_bytes() == before


async def test_a_resume_the_journal_cannot_take_is_not_a_200(running: Running) -> None:
    """The journal refuses the resume: 503 naming it, and the trader stays HALTED."""
    running.gate.set_trading_state("HALTED", who="ops", why="lunch")
    running.journal.unlink()  # the journal can no longer be written
    response = await running.client.post(
        "/api/v1/state", json={"state": "ACTIVE", "who": "ops", "why": "back"}
    )
    assert response.status_code == 503, response.text
    assert "could not be journaled" in response.json()["error"]["message"]
    assert running.gate.trading_state is TradingState.HALTED


async def test_concurrent_retries_with_one_key_kill_once(running: Running) -> None:
    """Ten retries with one Idempotency-Key while the kill waits on the broker: one kill."""
    running.broker.set_latency(0.3)  # the global cancel takes a while
    body = {"who": "ops", "why": "runaway", "flatten": False}
    responses = await asyncio.gather(
        *(
            running.client.post("/api/v1/kill", json=body, headers={"Idempotency-Key": "k-9"})
            for _ in range(10)
        )
    )
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.text for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replay") == "1" for r in responses) == 9
    assert len(_records(running, "kill")) == 1
    assert len(_records(running, "state")) == 1


async def test_a_retry_with_the_key_of_another_request_is_409_even_while_it_runs(
    running: Running,
) -> None:
    """A key reserved by a running kill answers 409 to a different body, without acting."""
    running.broker.set_latency(0.3)
    headers = {"Idempotency-Key": "k-10"}
    kill = asyncio.create_task(
        running.client.post(
            "/api/v1/kill", json={"who": "a", "why": "b", "flatten": False}, headers=headers
        )
    )
    while not _records(running, "state"):  # noqa: ASYNC110  (the kill has started)
        await asyncio.sleep(0.01)
    other = await running.client.post(
        "/api/v1/kill", json={"who": "a", "why": "c", "flatten": False}, headers=headers
    )
    assert other.status_code == 409
    assert (await kill).status_code == 200
    assert len(_records(running, "kill")) == 1
