"""The audit trail: the one path every record of the gate takes (log, journal, listeners).

A record is one of the typed records of ``hydra.application.records``. It is logged with
structlog (its event and level), appended to the journal in its JSON form (stamped with
the configuration version) and handed, typed, to listeners (e.g. a control server's event
stream and metrics). A journal that cannot be written is reported to the owner, which
halts trading: no audit trail, no trading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from hydra.application.ports import AuditJournal, Unsubscribe
from hydra.application.records import AuditRecord, journal_form
from hydra.application.subscribers import attach

__all__ = ["AuditListener", "AuditTrail"]

AuditListener = Callable[[AuditRecord], None]
"""Receives every audit record, typed, once it is journaled."""

_log = structlog.get_logger("hydra.gate")


class AuditTrail:
    """Writes audit records: one structlog event each, the journal, then the listeners.

    Args:
        journal: where records are appended (None: structlog and listeners only).
        config_version: stamped on every journaled record.
        on_failure: called with the record's JSON form and the error when the journal
            write fails.
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

    @property
    def config_version(self) -> str:
        """The configuration version stamped on every record."""
        return self._config_version

    def close(self) -> None:
        """Close the journal if it can be closed (a file journal flushes and anchors)."""
        close = getattr(self._journal, "close", None)
        if callable(close):
            close()

    def subscribe(self, listener: AuditListener) -> Unsubscribe:
        """Receive every record from now on; returns the unsubscribe function."""
        return attach(self._listeners, listener)

    def record(self, record: AuditRecord) -> bool:
        """Log, journal and publish one record; False when the journal write failed."""
        data = journal_form(record, self._config_version)
        getattr(_log, record.level)(record.event, **data)
        return self._deliver(record, data)

    def write(self, record: AuditRecord) -> bool:
        """Journal and publish a record without logging it (the decision path logs its own).

        Returns False when the journal write failed.
        """
        if self.silent:
            return True
        return self._deliver(record, journal_form(record, self._config_version))

    def _deliver(self, record: AuditRecord, data: dict[str, Any]) -> bool:
        written = True
        if self._journal is not None:
            try:
                self._journal.append(data)
            except Exception as exc:  # noqa: BLE001  (reported to the owner, which halts)
                written = False
                self._on_failure(data, exc)
        if self._listeners:
            for listener in tuple(self._listeners):
                try:
                    listener(record)
                except Exception:  # noqa: BLE001  (a listener's bug never blocks trading)
                    _log.exception("audit.listener_failed", record_event=record.event)
        return written
