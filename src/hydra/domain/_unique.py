"""Objects that must exist once: a copy or a pickle of them would split their state."""

from __future__ import annotations

from typing import Any, NoReturn

from hydra.domain.errors import NotCopyableError

__all__ = ["Unique"]


class Unique:
    """Refuses ``copy.copy``, ``copy.deepcopy`` and pickling with ``NotCopyableError``.

    For the gate, its breakers and the adapters with their capabilities: a copy of a gate
    would share the capability but keep its own trading state, so a kill switch on one
    would leave the other trading.
    """

    __slots__ = ()

    def __copy__(self) -> NoReturn:
        raise NotCopyableError(type(self).__name__)

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise NotCopyableError(type(self).__name__)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise NotCopyableError(type(self).__name__)
