"""A journal that refuses writes: a kill still halts and cancels, and every answer says so.

The journal is the trader's real JsonlJournal, made to refuse by removing its file while
it is open (it then refuses every append: ``JournalDamagedError``).
"""

from __future__ import annotations

from hydra.application import OrderDecision
from hydra.domain import Instrument, OrderRequest, Side, TradingState
from tests.control.conftest import Running


async def _resting(running: Running) -> OrderDecision:
    """An AAPL buy limit well under the market: it rests at the simulator."""
    aapl = await running.gate.broker.qualify_contract(Instrument("AAPL"))
    decision = running.gate.submit_with_decision(aapl, OrderRequest.limit(Side.BUY, 3, 195.0))
    assert decision.allowed, decision.reasons
    assert running.broker.open_orders()
    return decision


async def test_a_kill_whose_halt_the_journal_refuses_halts_cancels_and_names_it(
    running: Running,
) -> None:
    """The KillReport names the unjournaled HALT; the gate is HALTED; the order is cancelled."""
    decision = await _resting(running)
    running.journal.unlink()
    report = await running.gate.kill_switch(who="ops", why="runaway")
    assert running.gate.trading_state is TradingState.HALTED
    assert report.cancelled == (decision.order_id,)
    assert [order_id for order_id, _ in report.failed] == [0]
    assert report.failed[0][1].startswith("HALT not journaled: ")
    assert not running.broker.open_orders()


async def test_the_kill_answer_is_a_503_that_still_carries_what_the_kill_did(
    running: Running,
) -> None:
    """POST /kill with the journal refusing: 503 naming it, HALTED, the report in ``kill``."""
    decision = await _resting(running)
    running.journal.unlink()
    response = await running.client.post(
        "/api/v1/kill", json={"who": "ops", "why": "runaway", "flatten": False}
    )
    assert response.status_code == 503, response.text
    body = response.json()
    assert "could not journal this change" in body["error"]["message"]
    assert "trading state is now HALTED" in body["error"]["message"]
    kill = body["kill"]
    assert kill["trading_state"] == "HALTED"
    assert kill["cancelled"] == [decision.order_id]
    assert kill["failed"][0][0] == 0
    assert kill["failed"][0][1].startswith("HALT not journaled: ")
    assert running.gate.trading_state is TradingState.HALTED
    assert not running.broker.open_orders()
    metrics = (await running.client.get("/metrics")).text
    assert "hydra_journal_write_failures_total 2.0" in metrics.splitlines()  # HALT, kill record
