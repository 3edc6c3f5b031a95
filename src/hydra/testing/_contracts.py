"""Contracts of the fake gateway: details (hours included), option chains, symbols, rules.

A request that names a contract by its symbol alone matches every contract with that
symbol (ES of each expiry, AAPL's options), as at IB; contract details then list them
all, while an order or a market data request for such a description gets error 200
(ambiguous). Trading and liquid hours are IB's format (``_hours``), from each
instrument's sessions, the gateway's holidays and its first listed day (today in the
exchange's time zone unless a test fixes it), or the texts a test set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hydra.testing import _wire as wire
from hydra.testing import _wire_contracts as wire_contracts
from hydra.testing._account import AccountDesk
from hydra.testing._core import Session, int_field
from hydra.testing._hours import around_the_clock, ib_hours
from hydra.testing._instruments import ContractQuery, FakeInstrument

__all__ = ["AMBIGUOUS", "NO_SECURITY_DEFINITION", "ContractDesk", "market_rule_id"]

NO_SECURITY_DEFINITION = "No security definition has been found for the request"
AMBIGUOUS = "The contract description specified for {} is ambiguous."
# IB's rule 26 is 0.01 from 0 (US stocks); other ticks get an id of their own here.
_CENT_RULE = 26


def market_rule_id(tick: float) -> int:
    """The market rule id the gateway advertises for a minimum tick."""
    return _CENT_RULE if tick == 0.01 else 1000 + round(tick * 10_000)


class ContractDesk(AccountDesk):
    """Answers contract details, option chain, matching symbol and market rule requests."""

    _exchange_hours: bool

    def _resolve(
        self, session: Session, req_id: int, query: ContractQuery
    ) -> FakeInstrument | None:
        """The one contract ``query`` names; else IB's error 200 for ``req_id`` and None."""
        matches = self._match(query)
        if len(matches) == 1:
            return matches[0]
        text = NO_SECURITY_DEFINITION if not matches else AMBIGUOUS.format(query.describe())
        session.error(req_id, 200, text)
        return None

    def _on_req_contract_details(self, session: Session, fields: list[str]) -> None:
        # [9, 8, reqId, <12 contract fields>, includeExpired, secIdType, secId, issuerId]
        req_id = int(fields[2])
        matches = self._match(wire.contract_query(fields, 3))
        if not matches:
            # Like the real gateway: an error and no contractDetailsEnd.
            session.error(req_id, 200, NO_SECURITY_DEFINITION)
            return
        for inst in matches:
            context = self._details_context(inst)
            session.send(wire_contracts.contract_details(session.version, req_id, inst, context))
        session.send(wire_contracts.contract_details_end(req_id))

    def _details_context(self, inst: FakeInstrument) -> wire_contracts.DetailsContext:
        trading, liquid = self._hours.get(inst.key) or self._listed_hours(inst)
        under = self._by_key.get(inst.underlying) if inst.underlying else None
        return wire_contracts.DetailsContext(
            trading_hours=trading,
            liquid_hours=liquid,
            market_rule_id=market_rule_id(inst.min_tick),
            under_con_id=under.con_id if under is not None else 0,
            under_symbol=under.symbol if under is not None else "",
            under_sec_type=under.sec_type if under is not None else "",
        )

    def _listed_hours(self, inst: FakeInstrument) -> tuple[str, str]:
        """``(tradingHours, liquidHours)``: the exchange's sessions, or around the clock."""
        first = self._listed_from(inst)
        if not self._exchange_hours:
            always = around_the_clock(first)
            return always, always
        return (
            ib_hours(inst.trading_session, first, self._holidays),
            ib_hours(inst.liquid_session, first, self._holidays),
        )

    def _listed_from(self, inst: FakeInstrument) -> date:
        """The first day the hours list: the test's, else today at the exchange."""
        if self._first_day is not None:
            return self._first_day
        try:
            zone = ZoneInfo(inst.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        return datetime.now(zone or UTC).date()

    def _on_req_sec_def_opt_params(self, session: Session, fields: list[str]) -> None:
        # [78, reqId, underlyingSymbol, futFopExchange, underlyingSecType, underlyingConId]
        req_id, symbol, exchange, sec_type = int(fields[1]), fields[2], fields[3], fields[4]
        con_id = int_field(fields[5]) if len(fields) > 5 else 0
        chains: dict[tuple[str, str, float, int], tuple[set[str], set[float]]] = {}
        for inst in self._by_key.values():
            under = self._by_key.get(inst.underlying) if inst.underlying else None
            if inst.sec_type not in {"OPT", "FOP"} or under is None:
                continue
            wanted = ContractQuery(con_id=con_id, symbol=symbol, sec_type=sec_type)
            if not wanted.matches(under):
                continue
            for venue in dict.fromkeys((inst.exchange, inst.primary_exchange)):
                if exchange and venue != exchange:
                    continue
                chain = chains.setdefault(
                    (venue, inst.klass, inst.multiplier, under.con_id), (set(), set())
                )
                chain[0].add(inst.expiry)
                chain[1].add(inst.strike)
        for (venue, klass, multiplier, under_id), (expiries, strikes) in chains.items():
            session.send(
                wire_contracts.option_chain(
                    req_id, venue, under_id, klass, multiplier, expiries, strikes
                )
            )
        session.send(wire_contracts.option_chain_end(req_id))

    def _on_req_matching_symbols(self, session: Session, fields: list[str]) -> None:
        # [81, reqId, pattern]: underlyings whose symbol starts with the pattern, each
        # with the derivative types listed on it (AAPL: OPT), one row per symbol and type.
        req_id, pattern = int(fields[1]), fields[2].upper()
        rows: dict[tuple[str, str], tuple[FakeInstrument, list[str]]] = {}
        for inst in self._by_key.values():
            if not pattern or not inst.symbol.upper().startswith(pattern) or inst.underlying:
                continue
            rows.setdefault((inst.symbol, inst.sec_type), (inst, []))
        for inst in self._by_key.values():
            under = self._by_key.get(inst.underlying) if inst.underlying else None
            if under is not None and (under.symbol, under.sec_type) in rows:
                derivatives = rows[(under.symbol, under.sec_type)][1]
                if inst.sec_type not in derivatives:
                    derivatives.append(inst.sec_type)
        session.send(wire_contracts.symbol_samples(session.version, req_id, list(rows.values())))

    def _on_req_market_rule(self, session: Session, fields: list[str]) -> None:
        # [91, marketRuleId]: one increment from 0, the tick of the instruments using it.
        rule_id = int(fields[1])
        ticks = {market_rule_id(i.min_tick): i.min_tick for i in self._by_key.values()}
        tick = ticks.get(rule_id)
        if tick is None:
            session.error(-1, 321, f"Error validating request: unknown market rule {rule_id}")
            return
        session.send(wire_contracts.market_rule(rule_id, [(0.0, tick)]))
