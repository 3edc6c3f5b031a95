"""Lazily loaded package namespaces (PEP 562), written once for every package that has one.

A package lists where each public name lives; ``lazy_exports`` gives it the module
``__getattr__`` that imports a name's home on first use and keeps the value, so importing a
package (or one of its small submodules, as ``hydra.settings`` does) loads nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``homes`` maps each name to its module.

    A home starting with ``.`` is relative to ``package`` (``".broker"``); an unknown name
    raises ``AttributeError`` naming the package, as Python's own lookup does.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807  (the module hook's own name)
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home, package), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    return __getattr__
