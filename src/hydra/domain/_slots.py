"""A faster ``__init__`` for the frozen, slotted value objects built on every order.

A frozen dataclass's own ``__init__`` stores each field through ``object.__setattr__`` (the
class refuses plain assignment), a method looked up and called per field. Calling each
slot's descriptor ``__set__`` directly stores the same value for about a third of the cost.
``slot_init`` gives a class an ``__init__`` that does that, with the dataclass's own
signature (the same parameters, order and defaults) and its ``__post_init__`` call, so
nothing a caller writes or sees changes: the validation runs as before, ``replace`` and
pickling work as before, and the object is as frozen as before.

perf: gate_pass, gate_checks_only, sim_submit_fill (``BENCHMARKS.md``, "Kept speed tricks").
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

__all__ = ["slot_init", "tuple_maker"]

_T = TypeVar("_T")
_Tuple = TypeVar("_Tuple", bound=tuple[Any, ...])


def slot_init(cls: type[_T]) -> type[_T]:
    """Give the frozen, slotted dataclass ``cls`` an ``__init__`` that stores through its slots.

    Raises:
        TypeError: ``cls`` is not a frozen, slotted dataclass, or it has a field the fast
            ``__init__`` does not reproduce (keyword-only, a default factory, not in
            ``__init__``).
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: slot_init needs a frozen dataclass with slots=True")
    namespace: dict[str, Any] = {}
    signature: list[str] = []
    body: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.kw_only or not field.init or field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: slot_init cannot reproduce this field")
        name = field.name
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        if field.default is dataclasses.MISSING:
            signature.append(name)
        else:
            namespace[f"_default_{name}"] = field.default
            signature.append(f"{name}=_default_{name}")
        body.append(f"    _set_{name}(self, {name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(signature)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)  # noqa: S102  (our own text, built from the class's field names)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def tuple_maker(cls: type[_Tuple]) -> Callable[[Iterable[Any]], _Tuple]:
    """``cls._make`` for a NamedTuple built on every order, without its Python frames.

    A NamedTuple's ``__new__`` and ``_make`` are Python functions around
    ``tuple.__new__(cls, ...)``; this calls that directly (about 1,500 instructions fewer a
    tuple on CPython 3.11). Unlike ``_make`` it does not check the length: pass every
    field, defaults included.
    """
    return cast("Callable[[Iterable[Any]], _Tuple]", functools.partial(tuple.__new__, cls))
