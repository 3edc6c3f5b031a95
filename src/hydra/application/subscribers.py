"""Subscriber lists, shared by the adapters and the audit trail."""

from __future__ import annotations

from typing import TypeVar

from hydra.application.ports import Unsubscribe

__all__ = ["attach"]

_S = TypeVar("_S")


def attach(subscribers: list[_S], subscriber: _S) -> Unsubscribe:
    """Add ``subscriber`` to the list; returns the function that removes it again."""
    subscribers.append(subscriber)

    def unsubscribe() -> None:
        if subscriber in subscribers:
            subscribers.remove(subscriber)

    return unsubscribe
