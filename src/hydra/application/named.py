"""What a check is: a function of one decision context, and the name it is known by."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from hydra.application.context import DecisionContext
from hydra.domain import Reason

__all__ = ["Check", "NamedCheck"]

Check = Callable[[DecisionContext], Iterable[Reason]]
"""A check: the reasons to block the order in ``ctx`` (none: it passes)."""


class NamedCheck(NamedTuple):
    """A check and the name the audit and ``status()`` know it by."""

    name: str
    check: Check
