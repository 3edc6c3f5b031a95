"""The audit trail: the one path every record of the gate takes (log, journal, listeners).

A record is a flat JSON-ready dict: ``kind`` (decision, order, state, reset, kill, trip,
session, restore, alert, ledger, price), ``event`` (the structlog event name) and its
fields. It is logged with structlog, appended to the journal and handed to listeners
(e.g. a control server's event stream). A journal that cannot be written is reported to
the owner, which halts trading: no audit trail, no trading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from hydra.application.ports import AuditJournal, Unsubscribe
from hydra.application.subscribers import attach

__all__ = ["AuditListener", "AuditTrail"]

AuditListener = Callable[[Mapping[str, Any]], None]
"""Receives every audit record, as appended to the journal."""

_log = structlog.get_logger("hydra.gate")


class AuditTrail:
    """Writes audit records: one structlog event each, the journal, then the listeners.

    Args:
        journal: where records are appended (None: structlog and listeners only).
        config_version: stamped on every record.
        on_failure: called with the record and the error when the journal write fails.
    """

    __slots__ = ("_config_version", "_journal", "_listeners", "_on_failure")

    def __init__(
        self,
        journal: AuditJournal | None,
        config_version: str,
        on_failure: Callable[[Mapping[str, Any], Exception], None],
    ) -> None:
        self._journal = journal
        self._config_version = config_version
        self._on_failure = on_failure
        self._listeners: list[AuditListener] = []

    @property
    def silent(self) -> bool:
        """True when no journal and no listener would receive a record (only logs would)."""
        return self._journal is None and not self._listeners

    def close(self) -> None:
        """Close the journal if it can be closed (a file journal flushes and anchors)."""
        close = getattr(self._journal, "close", None)
        if callable(close):
            close()

    def subscribe(self, listener: AuditListener) -> Unsubscribe:
        """Receive every record from now on; returns the unsubscribe function."""
        return attach(self._listeners, listener)

    def record(
        self,
        kind: str,
        event: str,
        fields: dict[str, Any],
        *,
        level: str | None = "info",
        log_fields: Mapping[str, Any] | None = None,
        log_as: str | None = None,
    ) -> bool:
        """Journal, publish and (unless ``level`` is None) log one record.

        ``log_fields`` keeps the structlog event compact (the journal gets everything);
        ``log_as`` names the log event when it differs from the record's. Returns False
        when the journal write failed.
        """
        if level is not None:
            getattr(_log, level)(log_as or event, **(fields if log_fields is None else log_fields))
        if self.silent:
            return True  # logged; nobody else takes records
        record = {"kind": kind, "event": event, "config_version": self._config_version}
        record.update(fields)
        return self.write(record)

    @property
    def config_version(self) -> str:
        """The configuration version stamped on every record."""
        return self._config_version

    def write(self, record: dict[str, Any]) -> bool:
        """Journal and publish a complete record (kind, event, config_version, fields).

        The decision path builds its record whole and comes here, not through ``record``:
        nothing is copied. Returns False when the journal write failed.
        """
        written = True
        if self._journal is not None:
            try:
                self._journal.append(record)
            except Exception as exc:  # noqa: BLE001  (reported to the owner, which halts)
                written = False
                self._on_failure(record, exc)
        if self._listeners:
            for listener in tuple(self._listeners):
                try:
                    listener(record)
                except Exception:  # noqa: BLE001  (a listener's bug never blocks trading)
                    _log.exception("audit.listener_failed", record_event=record.get("event"))
        return written
