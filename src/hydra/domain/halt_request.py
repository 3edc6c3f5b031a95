"""A request to HALT a trader that could not be reached, left for its gate to journal.

``hydra kill`` leaves one when the trader is alive (it holds its journal's writer lock)
but does not answer: the gate reads it at its next decision or restart, journals the
HALT itself (the journal keeps one writer) and only then halts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hydra.domain._validate import audit_text
from hydra.domain.errors import InvalidInputError

__all__ = ["HaltRequest"]

_ID_MAX = 64
_ACCOUNT_MAX = 64


@dataclass(frozen=True, slots=True)
class HaltRequest:
    """Who asks the trader to HALT, why, when, for which account; ``id`` tells two apart.

    Raises:
        InvalidInputError: a field is missing, not printable text, too long, or the time
            has no time zone.
    """

    id: str
    who: str
    why: str
    time: datetime
    account: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", audit_text("id", self.id, limit=_ID_MAX))
        object.__setattr__(self, "who", audit_text("who", self.who))
        object.__setattr__(self, "why", audit_text("why", self.why))
        object.__setattr__(self, "account", audit_text("account", self.account, limit=_ACCOUNT_MAX))
        if not isinstance(self.time, datetime) or self.time.utcoffset() is None:
            raise InvalidInputError("time", "must be a datetime with a time zone", self.time)
