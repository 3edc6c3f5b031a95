"""`hydra kill` exits 1 whenever the kill is not confirmed, and its last line says why.

Process-level, as ``test_kill_truth``: the trader is `hydra trade` over the fake gateway
(``trader_harness``), the operator `hydra` in another process. Cancels that do not take
come from the fake's ``refuse_cancels`` (an exchange that will not cancel); a read-back
that cannot happen from a relay that stops accepting once the kill went through it (the
path between the operator and the trader is gone; the trader is fine).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import pytest

from hydra.testing import FakeIBGateway

from .trader_harness import (
    dead_trader,
    hydra,
    journal_records,
    ladder_resting,
    running_trader,
    trader_env,
    trader_status,
    working,
)

pytestmark = pytest.mark.integration


async def test_orders_the_broker_will_not_cancel_leave_the_kill_not_done(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """The trader HALTs but IB keeps the ladder working: exit 1 naming every working order."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    async with running_trader(env, tmp_path / "trader.log"):
        resting = await ladder_resting(fake_gateway)
        fake_gateway.refuse_cancels("exchange halted")
        code, out, err = await hydra("kill", "--reason", "stop", "--timeout", "1", env=env)
        assert code == 1, out + err
        assert out.splitlines()[-1] == (
            f"NOT DONE: trading HALTED but orders still working: {resting}"
        )
        assert working(fake_gateway) == resting
        assert (await trader_status(env))["trading_state"] == "HALTED"


class CutAfterKill:
    """A TCP relay to the trader's control port that stops accepting once a kill passes.

    The kill's own connection is relayed to its end; every later connection is refused,
    as if the path to the trader went down right after the kill was sent.
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.kills = 0
        self.url = ""  # where the operator is pointed (--control), once listening
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> CutAfterKill:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _relay(self, client: asyncio.StreamReader, back: asyncio.StreamWriter) -> None:
        line = await client.readline()
        if line.startswith(b"POST /api/v1/kill "):
            assert self._server is not None
            self._server.close()  # stop accepting; this connection goes on
            self.kills += 1
        upstream, forth = await asyncio.open_connection("127.0.0.1", self.target)
        forth.write(line)
        pumps = {
            asyncio.ensure_future(_pump(client, forth)),
            asyncio.ensure_future(_pump(upstream, back)),
        }
        self._tasks |= pumps
        await asyncio.gather(*pumps, return_exceptions=True)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    finally:
        with contextlib.suppress(OSError):
            sink.close()


async def test_a_kill_whose_state_cannot_be_read_back_is_not_confirmed(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """The kill reaches the trader but the read-back cannot: exit 1, NOT CONFIRMED, no fallback."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    async with (
        running_trader(env, tmp_path / "trader.log"),
        CutAfterKill(int(env["HYDRA_CONTROL_PORT"])) as relay,
    ):
        await ladder_resting(fake_gateway)
        code, out, err = await hydra(
            "kill", "--reason", "stop", "--control", relay.url, "--timeout", "2", env=env
        )
        assert code == 1, out + err
        assert relay.kills == 1
        last = out.splitlines()[-1]
        assert last.startswith("NOT CONFIRMED: could not read the final state back: "), out
        assert f"nothing listens at {relay.url}" in last
        # It happened, but the CLI could not see it, so it did not say so.
        assert (await trader_status(env))["trading_state"] == "HALTED"
        assert not working(fake_gateway)
        assert not [r for r in journal_records(env) if r.get("path") == "broker"]


async def test_the_fallback_is_not_done_while_ib_lists_a_working_order(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """Dead trader, cancels refused: HALT journaled, exit 1 naming the open orders; then done."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    resting = await dead_trader(env, tmp_path / "trader.log", fake_gateway)
    fake_gateway.refuse_cancels("exchange halted")
    code, out, err = await hydra("kill", "--reason", "stop", "--timeout", "2", env=env)
    assert code == 1, out + err
    assert f"still open {resting}" in out
    assert out.splitlines()[-1] == "NOT DONE: see above."
    assert "HALT appended to" in out
    assert working(fake_gateway) == resting
    halts = [r for r in journal_records(env) if r.get("path") == "broker" and r["kind"] == "state"]
    assert [h["state"] for h in halts] == ["HALTED"]

    fake_gateway.refuse_cancels(None)
    code, out, err = await hydra("kill", "--reason", "again", "--timeout", "2", env=env)
    assert code == 0, out + err
    assert re.search(r"cancelled \[[\d, ]+\]; still open none", out), out
    assert out.splitlines()[-1] == "Done: HALT recorded and no order is working at the broker."
    assert not working(fake_gateway)


async def test_a_kill_the_journal_refuses_still_halts_and_exits_1_saying_so(
    fake_gateway: FakeIBGateway, tmp_path: Path
) -> None:
    """The trader's journal is gone: the kill halts and cancels anyway, and exit 1 names it."""
    fake_gateway.set_price("SPY", 500.0)
    env = trader_env(tmp_path, fake_gateway)
    async with running_trader(env, tmp_path / "trader.log"):
        resting = await ladder_resting(fake_gateway)
        (tmp_path / "state" / "hydra.journal.jsonl").unlink()  # it refuses every write now
        code, out, err = await hydra("kill", "--reason", "stop", "--timeout", "2", env=env)
        assert code == 1, out + err
        first, last = out.splitlines()[0], out.splitlines()[-1]
        assert f'cancelled {resting}; failed [[0, "HALT not journaled: ' in first, out
        assert last.startswith(
            "NOT DONE: trading HALTED and no order is working, but the trader's journal "
            "refused the kill (the trader could not journal this change"
        ), out
        assert (await trader_status(env))["trading_state"] == "HALTED"
        assert not working(fake_gateway)
