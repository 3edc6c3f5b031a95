"""The smallest decision path that keeps every rule: the floor HYDRA's rows are judged by.

Not HYDRA's code: a deliberately bare sketch in one function per row, with plain floats
and dicts, no value objects, no validation, a reason built only to block. It makes the
checks the issue's own lean sketch lists (state, connection, REDUCING, the four breakers,
quantity, notional, collar, stale price, rate window, duplicate, self-cross, in-flight
exposure kept incrementally), then, where the row says so, writes ONE record through the
real chained journal (``JsonlJournal``: account, jseq, previous digest, BLAKE2b digest, the
tamper ``stat``) and logs ONE line through the production structlog set-up. If even this
sketch is slower than a target, no design that keeps the journal's guarantees and the one
log line per attempt can meet it in CPython on the same machine.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import structlog

from benchmarks.recording import AAPL
from benchmarks.timing import REPEATS, Row, summarise, time_each
from hydra.adapters.journal import JsonlJournal
from hydra.application import OrderDecision, OrderHandle
from hydra.domain import OrderRequest, Side, TradingState

__all__ = ["Desk", "judge", "send", "settle", "sketch_rows"]

_log = structlog.get_logger("hydra.sketch")

# Limits, as plain floats (the defaults, throttle widened as in the gate rows).
MAX_QTY, MAX_NOTIONAL, COLLAR, MAX_AGE = 10_000.0, 250_000.0, 0.05, 60.0
MAX_ORDERS, RATE_WINDOW, DUP_WINDOW = 5_000, 1.0, 2.0
DAILY, DRAWDOWN, POSITION, TRADE = -0.02, 0.10, 0.20, 0.01
STEP = 0.002  # seconds of clock per order, as in the gate rows
DISTINCT = 2_000


class Desk:
    """Everything the sketch's checks read, kept incrementally (no rebuild per order)."""

    def __init__(self) -> None:
        self.halted = False
        self.reducing = False
        self.connected = True
        self.now = 0.0
        self.price, self.price_time = 200.0, 0.0
        self.equity, self.start_equity, self.peak, self.realized = 1e9, 1e9, 1e9, 0.0
        self.last_realized = 0.0
        self.position = 0.0
        self.buying = 0.0
        self.selling = 0.0
        self.resting: list[tuple[bool, float]] = []  # (is_buy, limit) of our working limits
        self.sent: deque[float] = deque(maxlen=MAX_ORDERS)
        self.recent: deque[tuple[float, tuple[bool, float, float]]] = deque()
        self.recent_keys: dict[tuple[bool, float, float], int] = {}
        self.latched: tuple[str, ...] = ()
        self.sink: deque[tuple[int, bool, float, float]] = deque(maxlen=1000)
        self.next_id = 1


def judge(desk: Desk, buy: bool, qty: float, limit: float) -> list[str]:  # noqa: PLR0912  (the sketch: every check in one place)
    """Every check; returns the names of what blocks (empty: allowed). Limit 0.0 = market."""
    if desk.halted:
        return ["halted"]
    if not desk.connected:
        return ["disconnected"]
    out: list[str] = []
    signed = qty if buy else -qty
    committed = desk.buying if buy else -desk.selling
    start = desk.position + committed
    after = start + signed
    if desk.reducing and not (start and abs(after) < abs(start) and after * start >= 0.0):
        out.append("reducing")
    price = desk.price
    if desk.latched:
        out.extend(desk.latched)
    equity = desk.equity
    if (equity - desk.start_equity) / desk.start_equity <= DAILY:
        out.append("daily_loss")
    if (desk.peak - equity) / desk.peak >= DRAWDOWN:
        out.append("drawdown")
    if abs(after) * max(price, limit) / equity > POSITION:
        out.append("position_size")
    if desk.realized < desk.last_realized and (desk.last_realized - desk.realized) / equity >= (
        TRADE
    ):
        out.append("trade_loss")
    if qty > MAX_QTY:
        out.append("max_quantity")
    age = desk.now - desk.price_time
    if age > MAX_AGE:
        out.append("price_stale")
    if limit and abs(limit - price) / price > COLLAR:
        out.append("price_collar")
    if qty * (limit or price) > MAX_NOTIONAL:
        out.append("max_notional")
    sent = desk.sent
    if len(sent) == MAX_ORDERS and sent[0] > desk.now - RATE_WINDOW:
        out.append("rate")
    recent = desk.recent
    horizon = desk.now - DUP_WINDOW
    while recent and recent[0][0] < horizon:
        key = recent.popleft()[1]
        left = desk.recent_keys[key] - 1
        if left:
            desk.recent_keys[key] = left
        else:
            del desk.recent_keys[key]
    if (buy, qty, limit) in desk.recent_keys:
        out.append("duplicate")
    for other_buy, other_limit in desk.resting:
        if other_buy is not buy and (
            not limit or (limit >= other_limit if buy else limit <= other_limit)
        ):
            out.append("self_cross")
            break
    return out


def send(desk: Desk, buy: bool, qty: float, limit: float) -> int:
    """The hand-off to a sink: reserve the id, count the order in flight, remember it."""
    order_id = desk.next_id
    desk.next_id = order_id + 1
    desk.sink.append((order_id, buy, qty, limit))
    if buy:
        desk.buying += qty
    else:
        desk.selling += qty
    desk.sent.append(desk.now)
    key = (buy, qty, limit)
    desk.recent.append((desk.now, key))
    desk.recent_keys[key] = desk.recent_keys.get(key, 0) + 1
    return order_id


def settle(desk: Desk, buy: bool, qty: float) -> None:
    """The broker's later cancel (untimed in the gate rows too): nothing stays in flight."""
    if buy:
        desk.buying -= qty
    else:
        desk.selling -= qty


def _orders(limit: float) -> list[tuple[bool, float, float]]:
    return [(i % 2 == 0, float(1 + i // 2), limit) for i in range(DISTINCT)]


def _api_action(desk: Desk) -> Callable[[int], object]:
    """The checks alone, keeping the public API's objects and nothing more.

    The caller's ``OrderRequest`` comes in (built before the timing, as in the gate rows),
    the adapter hands back an ``OrderHandle`` (what ``RiskGate.submit`` returns) and the
    gate keeps an ``OrderDecision`` (``submit_with_decision``, ``last_decision``).
    """
    requests = [OrderRequest(Side.BUY if buy else Side.SELL, qty) for buy, qty, _ in _orders(0.0)]
    instrument = AAPL
    sequence = itertools.count()
    history: deque[OrderDecision] = deque(maxlen=1000)
    started = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)

    def act(_i: int) -> object:
        n = next(sequence)
        desk.now += STEP
        if n % 10_000 == 0:
            desk.price_time = desk.now
        request = requests[n % DISTINCT]
        buy, qty = request.side is Side.BUY, request.quantity
        if judge(desk, buy, qty, 0.0):
            return None
        order_id = send(desk, buy, qty, 0.0)
        handle = OrderHandle(order_id, instrument, request)
        history.append(
            OrderDecision(
                n,
                started,
                "AAPL",
                request.side,
                qty,
                request.order_type,
                None,
                True,  # noqa: FBT003  (allowed: the NamedTuple's field, by position as the gate builds it)
                (),
                order_id,
                None,
                TradingState.ACTIVE,
                handle,
            )
        )
        settle(desk, buy, qty)
        return handle

    return act


def _action(desk: Desk, journal: JsonlJournal | None, kind: str) -> Callable[[int], object]:
    """One sketch decision; ``kind``: checks (no journal, no log), pass, block, halted."""
    if kind == "checks_api":
        return _api_action(desk)
    orders = _orders(150.0 if kind == "block" else 0.0)
    sequence = itertools.count()
    append = journal.append if journal is not None else None
    log = kind != "checks"

    def act(_i: int) -> object:
        n = next(sequence)
        desk.now += STEP
        if n % 10_000 == 0:
            desk.price_time = desk.now
        buy, qty, limit = orders[n % DISTINCT]
        blocked = judge(desk, buy, qty, limit)
        if blocked:
            if append is not None:
                append(
                    {
                        "kind": "decision",
                        "event": "order.blocked",
                        "seq": n,
                        "symbol": "AAPL",
                        "side": buy,
                        "quantity": qty,
                        "triggered": blocked,
                    }
                )
            if log:
                _log.warning("order.blocked", seq=n, symbol="AAPL", triggered=blocked)
            return None
        order_id = desk.next_id
        if append is not None:
            append(
                {
                    "kind": "decision",
                    "event": "order.allowed",
                    "seq": n,
                    "symbol": "AAPL",
                    "side": buy,
                    "quantity": qty,
                    "order_id": order_id,
                }
            )
        send(desk, buy, qty, limit)
        if log:
            _log.info("order.allowed", seq=n, symbol="AAPL", quantity=qty, order_id=order_id)
        settle(desk, buy, qty)
        return order_id

    return act


SKETCHES = (
    ("sketch_checks", "sketch: the checks alone + the hand-off to a sink", "checks"),
    (
        "sketch_checks_api",
        "sketch: the same, with the API's objects (OrderHandle, OrderDecision)",
        "checks_api",
    ),
    ("sketch_pass", "sketch: checks + one chained journal record + one log line, allowed", "pass"),
    ("sketch_block", "sketch: the same, blocked by the collar", "block"),
    ("sketch_halted", "sketch: HALTED + one chained journal record + one log line", "halted"),
)


def sketch_rows(count: int, workdir: Path | None, kinds: tuple[str, ...]) -> list[Row]:
    """The sketch rows of ``kinds``; ``workdir`` holds their journals (None: no journal)."""
    rows = []
    for name, what, kind in SKETCHES:
        if kind not in kinds:
            continue
        repeats = []
        for r in range(REPEATS):
            desk = Desk()
            desk.halted = kind == "halted"
            journal = (
                JsonlJournal(workdir / f"{name}-{r}.jsonl", "never", account="SIM0001")
                if workdir is not None and kind != "checks"
                else None
            )
            action = _action(desk, journal, kind)
            warm = min(200, count)
            time_each(action, warm)
            repeats.append(time_each(action, count))
            sent = desk.next_id - 1
            assert sent == (0 if kind in ("block", "halted") else warm + count), (name, sent)
            if journal is not None:
                assert journal.jseq == warm + count, (name, journal.jseq)
                journal.close()
        rows.append(summarise(name, what, repeats))
    return rows
