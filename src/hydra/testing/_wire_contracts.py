"""Contract messages of the TWS protocol: details, option chains, symbols, market rules.

Layouts follow ``ibapi/decoder.py`` for server versions 157..178.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hydra.testing._wire import (
    V_BOND_ISSUERID,
    V_FRACTIONAL_SIZE,
    V_SIZE_RULES,
    multiplier_field,
    num,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from hydra.testing._model import FakeInstrument

_ORDER_TYPES = (
    "ACTIVETIM,AD,ALERT,ALLOC,DAY,GTC,GTD,IOC,LIT,LMT,LOC,MIT,MKT,MOC,MOO,OPG,STP,STPLMT,"
    "TRAIL,TRAILLIMIT"
)


@dataclass(frozen=True, slots=True)
class DetailsContext:
    """What contract details carry besides the instrument: hours, rule, underlying."""

    trading_hours: str
    liquid_hours: str
    market_rule_id: int
    under_con_id: int = 0
    under_symbol: str = ""
    under_sec_type: str = ""


def contract_details(
    version: int, req_id: int, inst: FakeInstrument, context: DetailsContext
) -> list[str]:
    """contractDetails(10): 40 fields at version 178 with no secIds.

    Below version 164 a version field follows the message id, mdSizeMultiplier follows
    minTick, and the size rules at the end are missing (163 sends one sizeMinTick).
    """
    head = ["10", "8"] if version < V_SIZE_RULES else ["10"]
    derivative = inst.sec_type not in {"STK", "IND", "CASH"}
    fields = [
        *head,
        str(req_id),
        inst.symbol,
        inst.sec_type,
        inst.expiry,  # lastTradeDate[-time[-zone]]
        num(inst.strike),
        inst.right,
        inst.exchange,
        inst.currency,
        inst.key,  # localSymbol
        inst.klass,  # marketName
        inst.klass,  # tradingClass
        str(inst.con_id),
        num(inst.min_tick),
        *(["1"] if version < V_SIZE_RULES else []),  # mdSizeMultiplier
        multiplier_field(inst),
        _ORDER_TYPES,
        f"SMART,{inst.primary_exchange}",  # validExchanges
        "1",  # priceMagnifier
        str(context.under_con_id),
        inst.long_name or inst.symbol,
        inst.primary_exchange,
        inst.contract_month,
        "",  # industry
        "",  # category
        "",  # subcategory
        inst.time_zone,  # timeZoneId
        context.trading_hours,
        context.liquid_hours,
        "",  # evRule
        "",  # evMultiplier
        "0",  # numSecIds
        "1",  # aggGroup
        context.under_symbol,
        context.under_sec_type,
        str(context.market_rule_id),  # marketRuleIds
        inst.expiry if derivative else "",  # realExpirationDate
        "COMMON" if inst.sec_type == "STK" else "",  # stockType
    ]
    if version == V_FRACTIONAL_SIZE:
        fields.append("1")  # sizeMinTick
    elif version >= V_SIZE_RULES:
        fields.extend(("1", "1", "100"))  # minSize, sizeIncrement, suggestedSizeIncrement
    return fields


def contract_details_end(req_id: int) -> list[str]:
    """contractDetailsEnd(52)."""
    return ["52", "1", str(req_id)]


def option_chain(
    req_id: int,
    exchange: str,
    under_con_id: int,
    trading_class: str,
    multiplier: float,
    expirations: Iterable[str],
    strikes: Iterable[float],
) -> list[str]:
    """securityDefinitionOptionParameter(75): one exchange's chain of one trading class.

    No version field: the request id comes first, then the exchange, the underlying's
    contract id, the trading class, the multiplier (text), and the counted expirations
    and strikes.
    """
    exps = sorted(set(expirations))
    prices = sorted(set(strikes))
    fields = ["75", str(req_id), exchange, str(under_con_id), trading_class, num(multiplier)]
    fields += [str(len(exps)), *exps, str(len(prices)), *(num(p) for p in prices)]
    return fields


def option_chain_end(req_id: int) -> list[str]:
    """securityDefinitionOptionParameterEnd(76): no version field either."""
    return ["76", str(req_id)]


def symbol_samples(
    version: int, req_id: int, found: Sequence[tuple[FakeInstrument, Sequence[str]]]
) -> list[str]:
    """symbolSamples(79): matching contracts with their derivative security types.

    From version 176 each also carries a description and an issuer id.
    """
    fields = ["79", str(req_id), str(len(found))]
    for inst, derivatives in found:
        fields += [str(inst.con_id), inst.symbol, inst.sec_type, inst.primary_exchange]
        fields += [inst.currency, str(len(derivatives)), *derivatives]
        if version >= V_BOND_ISSUERID:
            fields += ["", ""]  # description, issuerId
    return fields


def market_rule(rule_id: int, increments: Sequence[tuple[float, float]]) -> list[str]:
    """marketRule(93): price increments as ``(lowEdge, increment)`` pairs."""
    fields = ["93", str(rule_id), str(len(increments))]
    for low, step in increments:
        fields += [num(low), num(step)]
    return fields
