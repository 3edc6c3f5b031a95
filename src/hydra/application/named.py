"""What a check is: a function of one decision context, and the name it is known by."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from hydra.application.context import DecisionContext
from hydra.domain import Reason

__all__ = ["Check", "NamedCheck", "Rule"]

Check = Callable[[DecisionContext], Iterable[Reason]]
"""A check: the reasons to block the order in ``ctx`` (none: it passes)."""

Rule = Callable[[DecisionContext], Sequence[Reason]]
"""A check as the judge runs it: its reasons already in a tuple or list.

The built-in checks return one; a user's check is wrapped (``user_checks``) so that its
iterable is drained inside the wrapper, where the judge's ``try`` still covers it.
"""


class NamedCheck(NamedTuple):
    """A check and the name the audit and ``status()`` know it by."""

    name: str
    check: Rule
