"""Typed errors of the execution layer: every one names what went wrong and why."""

from __future__ import annotations

__all__ = [
    "AmbiguousContractError",
    "BrokerError",
    "BrokerNotConnectedError",
    "CapabilityAlreadyClaimedError",
    "ConfigError",
    "HydraError",
    "InvalidInputError",
    "JournalAccountError",
    "JournalDamagedError",
    "JournalError",
    "JournalLockedError",
    "LiveTradingNotAllowedError",
    "NotCopyableError",
    "OrderRejectedError",
    "PermissionDeniedError",
    "UnknownInstrumentError",
    "UnknownOrderError",
]


class HydraError(Exception):
    """Base class of every error HYDRA raises on purpose."""


class InvalidInputError(HydraError, ValueError):
    """A value failed validation; ``field`` names it and ``reason`` says why."""

    def __init__(self, field: str, reason: str, value: object = None) -> None:
        self.field = field
        self.reason = reason
        self.value = value
        super().__init__(f"{field}: {reason} (got {value!r})")


class ConfigError(HydraError, ValueError):
    """The configuration is unusable; ``key`` names the offending setting."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"config {key}: {reason}")


class CapabilityAlreadyClaimedError(HydraError):
    """The submit capability of a broker adapter was claimed a second time."""


class PermissionDeniedError(HydraError):
    """The connection's client role may not do this (e.g. a CLI client submitting)."""


class NotCopyableError(HydraError, TypeError):
    """A gate, its breakers, an adapter or a capability was copied or pickled.

    Each must exist once: a copy would share the broker but keep its own trading state.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"a {what} cannot be copied or pickled: it must exist once (a copy would keep "
            "its own trading state while sharing the broker); pass the object itself"
        )


class LiveTradingNotAllowedError(HydraError):
    """A live-trading port was requested without the explicit opt-in."""


class BrokerError(HydraError):
    """The broker failed to do what was asked; not a risk decision."""


class BrokerNotConnectedError(BrokerError, ConnectionError):
    """The broker connection is down (or resyncing); nothing was sent or queued."""


class UnknownInstrumentError(BrokerError, LookupError):
    """The broker does not know the instrument asked for."""


class AmbiguousContractError(UnknownInstrumentError):
    """A contract description matches several contracts; ``candidates`` lists them."""

    def __init__(self, description: str, candidates: tuple[object, ...]) -> None:
        self.candidates = candidates
        shown = "; ".join(str(getattr(c, "label", c)) for c in candidates)
        super().__init__(
            f"{description} matches {len(candidates)} contracts ({shown}): name one by its "
            "expiry, strike and right, local symbol or contract id"
        )


class UnknownOrderError(BrokerError, LookupError):
    """The broker does not know the order (or it is already done)."""


class OrderRejectedError(BrokerError):
    """The broker refused an order at hand-off."""


class JournalError(HydraError):
    """The audit journal at ``path`` cannot be trusted or written; ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"journal {path}: {reason}")


class JournalAccountError(JournalError):
    """A journal written for one account was opened for another."""

    def __init__(self, path: str, expected: str, found: str) -> None:
        self.expected = expected
        self.found = found
        super().__init__(path, f"written for account {found!r}, opened for account {expected!r}")


class JournalDamagedError(JournalError):
    """The journal lost, reordered or changed records; ``line`` names the first (or None)."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(path, reason if line is None else f"line {line}: {reason}")


class JournalLockedError(JournalError):
    """Another process writes this journal (it holds the journal's lock); ``pid`` names it."""

    def __init__(self, path: str, pid: int | None) -> None:
        self.pid = pid
        holder = f"process {pid}" if pid else "another process"
        super().__init__(
            path,
            f"{holder} holds this journal's writer lock: a journal has one writer (stop it, "
            "or talk to it through its control server)",
        )
