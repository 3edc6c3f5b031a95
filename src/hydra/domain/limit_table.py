"""Per-order limits per security type and per contract: the most specific one wins.

One set of limits cannot fit a stock and a future: one ES is worth 300 % of a $100k
account while margining about 20 %. A ``LimitTable`` holds the base ``OrderLimits`` and
overrides of any of their fields per security type (``"FUT"``, ``"OPT"``) and per
contract (a symbol ``"ES"``, a local symbol ``"ESZ6"``, or a contract id). An
instrument's limits are the base, then its type's overrides, then its contract's: its
symbol's, then its local symbol's, then its contract id's (each field from the most
specific that sets it). The defaults follow IB's price
bands: options (and future options) get a 20 % price collar.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from hydra.domain.errors import InvalidInputError
from hydra.domain.instruments import Instrument, SecurityType
from hydra.domain.limits import OrderLimits

__all__ = ["DEFAULT_BY_TYPE", "LimitTable"]

Overrides = Mapping[str, object]
"""Field name -> value, for any ``OrderLimits`` field."""

DEFAULT_BY_TYPE: Mapping[SecurityType, Overrides] = MappingProxyType(
    {
        SecurityType.OPTION: MappingProxyType({"price_collar": 0.20}),
        SecurityType.FUTURE_OPTION: MappingProxyType({"price_collar": 0.20}),
    }
)
"""The built-in overrides: IB's 20 % price band for options."""

_FIELDS = frozenset(f.name for f in dataclasses.fields(OrderLimits))


def _security_type(key: object) -> SecurityType:
    try:
        return SecurityType(str(key).upper())
    except ValueError:
        names = ", ".join(t.value for t in SecurityType)
        raise InvalidInputError(
            "limits", f"{key!r} is not a security type ({names})", key
        ) from None


def _contract_key(key: object) -> int | str:
    if isinstance(key, bool) or not isinstance(key, int | str) or not str(key).strip():
        raise InvalidInputError("limits", "a contract is a symbol or a contract id", key)
    text = str(key).strip()
    return int(text) if text.isdigit() else text.upper()


class LimitTable:
    """The base limits, overridden per security type and per contract.

    Args:
        base: the limits every instrument starts from.
        by_type: overrides per security type (merged over ``DEFAULT_BY_TYPE``).
        by_contract: overrides per contract: a symbol, a local symbol or a contract id.

    Raises:
        InvalidInputError: an unknown type, field, or a value ``OrderLimits`` refuses,
            named as ``limits.<where>.<field>``.
    """

    __slots__ = ("_base", "_by_contract", "_by_type", "_cache")

    def __init__(
        self,
        base: OrderLimits | None = None,
        by_type: Mapping[SecurityType | str, Overrides] | None = None,
        by_contract: Mapping[str | int, Overrides] | None = None,
    ) -> None:
        self._base = base if base is not None else OrderLimits()
        if not isinstance(self._base, OrderLimits):
            raise InvalidInputError("limits", "must be OrderLimits", self._base)
        types: dict[SecurityType, dict[str, object]] = {
            kind: dict(fields) for kind, fields in DEFAULT_BY_TYPE.items()
        }
        for key, fields in (by_type or {}).items():
            kind = _security_type(key)
            types.setdefault(kind, {}).update(self._checked(kind.value, fields))
        self._by_type = types
        self._by_contract = {
            _contract_key(key): self._checked(str(key), fields)
            for key, fields in (by_contract or {}).items()
        }
        self._cache: dict[tuple[object, ...], OrderLimits] = {}
        for kind in types:  # every override is valid before a decision needs it
            self._merged(kind, (), str(kind.value))
        for name in self._by_contract:
            for each in (None, *types):
                self._merged(each, (name,), str(name))

    @property
    def base(self) -> OrderLimits:
        """The limits every instrument starts from."""
        return self._base

    @property
    def by_type(self) -> Mapping[SecurityType, Overrides]:
        """The overrides per security type (built-in ones included)."""
        return MappingProxyType({k: MappingProxyType(v) for k, v in self._by_type.items()})

    @property
    def by_contract(self) -> Mapping[int | str, Overrides]:
        """The overrides per contract (symbol, local symbol or contract id)."""
        return MappingProxyType({k: MappingProxyType(v) for k, v in self._by_contract.items()})

    @property
    def largest_rate_memory(self) -> tuple[int, int]:
        """The most orders and amendments any instrument's rate limits remember."""
        every = [self._base, *self._cache.values()]
        return max(x.max_orders for x in every), max(x.max_modifies for x in every)

    @property
    def longest_duplicate_window(self) -> float:
        """The longest duplicate window of any instrument, in seconds."""
        every = [self._base, *self._cache.values()]
        return max(x.duplicate_window.total_seconds() for x in every)

    def for_instrument(self, instrument: Instrument) -> OrderLimits:
        """The limits that apply to ``instrument`` (the most specific override wins)."""
        key = (instrument.con_id, instrument.local_symbol, instrument.symbol, instrument.sec_type)
        found = self._cache.get(key)
        if found is None:
            contracts = self._by_contract
            names = tuple(
                name
                for name in (
                    instrument.symbol.upper(),
                    instrument.local_symbol.upper(),
                    instrument.con_id or None,
                )
                if name and name in contracts
            )
            found = self._cache[key] = self._merged(instrument.sec_type, names, instrument.label)
        return found

    def _merged(
        self, kind: SecurityType | None, contracts: tuple[int | str, ...], where: str
    ) -> OrderLimits:
        """The base, then the type's overrides, then each contract's (least specific first)."""
        fields: dict[str, object] = {}
        if kind is not None:
            fields.update(self._by_type.get(kind, {}))
        for name in contracts:
            fields.update(self._by_contract[name])
        if not fields:
            return self._base
        cached = self._cache.get(("merged", kind, contracts))
        if cached is not None:
            return cached
        try:
            merged = dataclasses.replace(self._base, **fields)  # type: ignore[arg-type]
        except InvalidInputError as exc:
            raise InvalidInputError(
                exc.field.replace("limits.", f"limits.{where}.", 1), exc.reason, exc.value
            ) from None
        self._cache[("merged", kind, contracts)] = merged
        return merged

    @staticmethod
    def _checked(where: str, fields: Overrides) -> dict[str, object]:
        if not isinstance(fields, Mapping):
            raise InvalidInputError(f"limits.{where}", "must be a table of limits", fields)
        unknown = sorted(set(fields) - _FIELDS)
        if unknown:
            raise InvalidInputError(
                f"limits.{where}.{unknown[0]}", f"is not a limit; one of {sorted(_FIELDS)}"
            )
        return dict(fields)
