"""The exposure ledger: per contract, the position plus the orders still working.

Kept incrementally from the adapter's own order events, so the gate never rebuilds
exposure from every open order and position on each decision. A fill moves its quantity
from "working" to "position" the moment the fill or the Filled status is seen; IB's
separate position message arrives later and only reconciles. While the broker's last
position message and the ledger disagree, both views count and every check takes the
stricter one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from hydra.application.orders import OrderHandle
from hydra.application.resting import RestingBook
from hydra.domain import Instrument, Position, Side
from hydra.domain._members import BUY, LIMIT, SELL
from hydra.domain._slots import tuple_maker
from hydra.domain.limits import RestingOrder

__all__ = ["Exposure", "ExposureLedger", "LedgerEntry", "make_exposure"]

Key = tuple[object, ...]
MismatchListener = Callable[[Position, float], None]
"""Called with the broker's position and the ledger's quantity when they start to differ."""
ReconciledListener = Callable[[Position], None]
"""Called with the broker's position when a mismatch is resolved."""
ForeignListener = Callable[[OrderHandle], None]
"""Called once with each order the broker reports that this gate did not send."""


class Exposure(NamedTuple):
    """One instrument's exposure as a decision sees it (an immutable snapshot).

    ``broker`` is the broker's last reported position while it disagrees with the
    ledger's ``position`` (None when they agree): every check holds for both views.
    """

    position: float
    buying: float
    selling: float
    broker: float | None

    def views(self) -> tuple[float, ...]:
        """The positions every check must hold for."""
        return (self.position,) if self.broker is None else (self.position, self.broker)


make_exposure = tuple_maker(Exposure)
"""An Exposure from all four fields, in order (perf: gate_pass: one per decision)."""


@dataclass(slots=True)
class LedgerEntry:
    """One contract's exposure: ``position`` (ledger view), working buys and sells.

    ``broker`` is the last position the broker reported (None before any message);
    ``mismatch`` is True while it differs from ``position``; ``orders`` counts the
    working orders; ``instrument`` is the contract (once an order or position named it).
    """

    position: float = 0.0
    buying: float = 0.0
    selling: float = 0.0
    broker: float | None = None
    mismatch: bool = False
    orders: int = 0
    instrument: Instrument | None = None

    @property
    def exposed(self) -> bool:
        """True while anything is held or working (either view)."""
        return bool(self.position or self.buying or self.selling or (self.mismatch and self.broker))

    def extremes(self) -> tuple[float, float]:
        """The lowest and highest signed position if every working order on one side filled.

        Both views count while they disagree (the stricter extreme each way).
        """
        low = min(view - self.selling for view in self.views())
        high = max(view + self.buying for view in self.views())
        return low, high

    def views(self) -> tuple[float, ...]:
        """The positions every check must hold for: the ledger's, and the broker's if apart."""
        if self.mismatch and self.broker is not None:
            return (self.position, self.broker)
        return (self.position,)

    def committed(self, side: Side) -> float:
        """Signed quantity of working orders on ``side`` (they may all fill first)."""
        return self.buying if side is BUY else -self.selling


@dataclass(slots=True)
class _Applied:
    """What the ledger has already counted of one working order."""

    key: Key
    entry: LedgerEntry
    sign: int
    filled: float
    working: float
    group: str = ""  # an OCA group (a bracket's children are one): counted by its largest


class ExposureLedger:
    """Position plus working orders per instrument key (the broker's contract id).

    It implements ``BrokerObserver``: the gate attaches it to the broker with
    ``broker.observe(ledger)`` and also hands it each order it sends, at once.
    """

    __slots__ = (
        "_applied",
        "_entries",
        "_finished",
        "_groups",
        "_on_foreign",
        "_on_mismatch",
        "_on_reconciled",
        "_resting",
        "_seeded",
    )

    def __init__(
        self,
        *,
        on_mismatch: MismatchListener | None = None,
        on_reconciled: ReconciledListener | None = None,
        on_foreign: ForeignListener | None = None,
    ) -> None:
        self._entries: dict[Key, LedgerEntry] = {}
        self._applied: dict[int, _Applied] = {}
        # Recently finished orders and what was counted of them: the gate hands over an
        # order the adapter may already have reported done, and late fills still count.
        self._finished: dict[int, _Applied] = {}
        # OCA groups' working orders per instrument, side and group: only one of a group can
        # fill, so a group counts as its largest working order, not the sum.
        self._groups: dict[tuple[Key, int, str], dict[int, float]] = {}
        # Working limit orders per key, for the self-cross check (no scan of all orders).
        self._resting: dict[Key, RestingBook] = {}
        self._on_mismatch = on_mismatch
        self._on_reconciled = on_reconciled
        self._on_foreign = on_foreign
        self._seeded = False

    @property
    def seeded(self) -> bool:
        """True once the ledger has taken the broker's positions as its starting point."""
        return self._seeded

    def seed(self, positions: Iterable[Position], open_orders: Iterable[OrderHandle]) -> None:
        """Start from the broker's positions and working orders (fills so far are in them)."""
        for entry in self._entries.values():
            entry.position = 0.0
            entry.mismatch = False
        for position in positions:
            entry = self._entry(position.instrument.key, position.instrument)
            entry.position = entry.broker = position.quantity
        for handle in open_orders:
            applied = self._applied.get(handle.order_id)
            if applied is not None:
                applied.filled = handle.filled  # already in the broker's positions
            self._count(handle, seeding=True)
        self._seeded = True

    def entry(self, key: Key) -> LedgerEntry:
        """The exposure of one instrument key (an empty entry when nothing is known)."""
        entry = self._entries.get(key)
        return entry if entry is not None else LedgerEntry()

    def resting(self, key: Key, side: Side, skip: tuple[int, ...] = ()) -> list[RestingOrder]:
        """For the self-cross check: the best working limit order on the other side.

        An order could trade against one of ours only if it reaches the best of them (the
        lowest sell for a buy, the highest buy for a sell), so that one decides alone;
        finding it costs the same with one order resting or thousands. ``skip`` names
        orders that cannot be the other side of this one (see ``RestingBook.best``).
        """
        book = self._resting.get(key)
        if book is None:
            return []
        opposite = SELL if side is BUY else BUY
        best = book.best(opposite, skip)
        return [] if best is None else [RestingOrder(opposite, best)]

    # ------------------------------------------------------------------ BrokerObserver
    def on_order(self, handle: OrderHandle) -> None:
        """Count an order's change: fills move from working to position at once."""
        self._count(handle, seeding=False)

    def on_position(self, position: Position) -> None:
        """Reconcile with a broker position message; a disagreement keeps both views."""
        key = position.instrument.key
        entry = self._entry(key, position.instrument)
        entry.broker = position.quantity
        if not self._seeded:
            entry.position = position.quantity
            return
        if position.quantity == entry.position:
            if entry.mismatch:
                entry.mismatch = False
                if self._on_reconciled is not None:
                    self._on_reconciled(position)
            return
        if not entry.mismatch:
            entry.mismatch = True
            if self._on_mismatch is not None:
                self._on_mismatch(position, entry.position)

    def exposed(self) -> list[tuple[Key, LedgerEntry]]:
        """Every instrument with a position or working orders (the portfolio caps' view)."""
        return [(key, entry) for key, entry in self._entries.items() if entry.exposed]

    def held(self) -> list[tuple[int, LedgerEntry]]:
        """Every contract id with a position or orders working (the checkpoint's view)."""
        return [
            (key[0], entry)
            for key, entry in self._entries.items()
            if len(key) == 1 and isinstance(key[0], int) and (entry.position or entry.orders)
        ]

    # ------------------------------------------------------------------ internals

    def _entry(self, key: Key, instrument: Instrument) -> LedgerEntry:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = LedgerEntry(instrument=instrument)
        return entry

    def _rest(self, key: Key, handle: OrderHandle, *, done: bool) -> None:
        book = self._resting.get(key)
        if book is None:
            book = self._resting[key] = RestingBook()
        if done:
            book.remove(handle.order_id)
        else:
            price = handle.request.limit_price
            assert price is not None  # noqa: S101  (a limit order)
            book.rest(handle.order_id, handle.request.side, price)

    def _group_change(self, order_id: int, applied: _Applied, working: float) -> float:
        """How much a group member's new working quantity changes the group's largest."""
        where = (applied.key, applied.sign, applied.group)
        members = self._groups.setdefault(where, {})
        before = max(members.values(), default=0.0)
        if working:
            members[order_id] = working
        else:
            members.pop(order_id, None)
        after = max(members.values(), default=0.0)
        if not members:
            del self._groups[where]
        return after - before

    def _late_fill(self, handle: OrderHandle) -> None:
        """A fill reported after the order's final status still moves the position."""
        finished = self._finished[handle.order_id]
        if handle.filled > finished.filled:
            finished.entry.position += finished.sign * (handle.filled - finished.filled)
            finished.filled = handle.filled

    def _count(self, handle: OrderHandle, *, seeding: bool) -> None:
        order_id = handle.order_id
        applied = self._applied.get(order_id)
        done = handle.status.is_done
        if applied is None:
            if order_id in self._finished:
                self._late_fill(handle)
                return
            if done and (seeding or not handle.filled):
                return  # finished before we saw it, and nothing (new) to count
            key = handle.instrument.key
            entry = self._entry(key, handle.instrument)
            applied = self._applied[order_id] = _Applied(
                key,
                entry,
                handle.request.side.sign,
                handle.filled if seeding else 0.0,
                0.0,
                handle.oca_group,
            )
            entry.orders += 1
            if handle.foreign and self._on_foreign is not None:
                self._on_foreign(handle)
        entry = applied.entry
        filled = handle.filled
        if filled != applied.filled:
            entry.position += applied.sign * (filled - applied.filled)
            applied.filled = filled
        working = 0.0 if done else handle.remaining
        if working != applied.working:
            change = (
                self._group_change(order_id, applied, working)
                if applied.group
                else working - applied.working
            )
            if applied.sign > 0:
                entry.buying += change
            else:
                entry.selling += change
            applied.working = working
        if handle.request.order_type is LIMIT:
            self._rest(applied.key, handle, done=done)
        if done:
            del self._applied[order_id]
            self._finished[order_id] = applied
            if len(self._finished) > _FINISHED_KEPT:
                del self._finished[next(iter(self._finished))]
            entry.orders -= 1
            if not entry.orders:
                # Float sums drift; with nothing working, nothing is in flight, exactly.
                entry.buying = entry.selling = 0.0


_FINISHED_KEPT = 4096
