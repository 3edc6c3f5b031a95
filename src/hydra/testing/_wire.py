"""TWS socket protocol basics: framing, version negotiation, numbers and session messages.

Every builder returns the complete field list of one message. Where a layout changes with
the server version (157..178), the builder takes the negotiated ``version`` and follows
IB's own client (``ibapi/decoder.py``), which ib_async and ib_insync mirror.
"""

from __future__ import annotations

import math
import re
import struct
from typing import TYPE_CHECKING

from hydra.testing._instruments import ContractQuery

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Sequence

    from hydra.testing._model import FakeInstrument

MIN_SERVER_VERSION = 157
MAX_SERVER_VERSION = 178
HANDSHAKE_PREFIX = b"API\0"

# Versions at which a message layout changes (names as in ibapi/server_versions.py).
V_DURATION = 158
V_POST_TO_ATS = 160
V_AUTO_CANCEL_PARENT = 162
V_FRACTIONAL_SIZE = 163
V_SIZE_RULES = 164
V_ADVANCED_ORDER_REJECT = 166
V_MANUAL_ORDER_TIME = 169
V_PEGBEST_PEGMID_OFFSETS = 170
V_BOND_ISSUERID = 176
V_FA_PROFILE_DESUPPORT = 177
V_PENDING_PRICE_REVISION = 178

# IB's "unset double", which clients print as "no value" (e.g. realized P&L of an opening fill).
UNSET_DOUBLE = "1.7976931348623157E308"

# Incoming (client -> gateway) message ids.
IN_REQ_MKT_DATA = 1
IN_CANCEL_MKT_DATA = 2
IN_PLACE_ORDER = 3
IN_CANCEL_ORDER = 4
IN_REQ_OPEN_ORDERS = 5
IN_REQ_ACCOUNT_UPDATES = 6
IN_REQ_EXECUTIONS = 7
IN_REQ_IDS = 8
IN_REQ_CONTRACT_DETAILS = 9
IN_REQ_AUTO_OPEN_ORDERS = 15
IN_REQ_ALL_OPEN_ORDERS = 16
IN_REQ_MANAGED_ACCTS = 17
IN_REQ_HISTORICAL_DATA = 20
IN_CANCEL_HISTORICAL_DATA = 25
IN_REQ_CURRENT_TIME = 49
IN_REQ_GLOBAL_CANCEL = 58
IN_REQ_MARKET_DATA_TYPE = 59
IN_REQ_POSITIONS = 61
IN_REQ_ACCOUNT_SUMMARY = 62
IN_CANCEL_ACCOUNT_SUMMARY = 63
IN_CANCEL_POSITIONS = 64
IN_START_API = 71
IN_REQ_ACCOUNT_UPDATES_MULTI = 76
IN_CANCEL_ACCOUNT_UPDATES_MULTI = 77
IN_REQ_SEC_DEF_OPT_PARAMS = 78
IN_REQ_MATCHING_SYMBOLS = 81
IN_REQ_HEAD_TIMESTAMP = 87
IN_CANCEL_HEAD_TIMESTAMP = 90
IN_REQ_MARKET_RULE = 91
IN_REQ_PNL = 92
IN_CANCEL_PNL = 93
IN_REQ_PNL_SINGLE = 94
IN_CANCEL_PNL_SINGLE = 95
IN_REQ_COMPLETED_ORDERS = 99

# Requests that carry a version field before their request id (reqId is field 2);
# every other request with an id has it right after the message id (field 1).
REQ_ID_AFTER_VERSION = frozenset({1, 7, 9, 10, 21, 50, 52, 54, 55, 62, 67, 68, 74, 76})
REQ_ID_FIRST = frozenset({20, 22, 78, 79, 81, 83, 84, 86, 87, 88, 92, 94, 96, 97, 100, 101, 104})
# Cancels and settings that IB never answers.
UNANSWERED = frozenset(
    {2, 4, 11, 13, 14, 23, 25, 51, 53, 56, 57, 63, 64, 69, 70, 75, 77, 89, 90, 93, 95, 98}
)
# IB's "The TWS is out of date and must be upgraded" (UPDATE_TWS), its answer to a
# request this server does not support.
NOT_SUPPORTED_CODE = 503

# An upper bound on one frame; a larger length prefix means the stream is garbage.
MAX_FRAME = 16 * 1024 * 1024

_VERSION_RANGE = re.compile(r"v(\d+)(?:\.\.(\d+))?")


def negotiate(offer: str) -> int | None:
    """Return the highest server version both sides speak, or ``None`` when none is.

    Args:
        offer: The client's version text, ``"v157..178"`` (optionally followed by
            connect options, as ibapi sends them) or ``"v100"`` for a single version.
    """
    match = _VERSION_RANGE.match(offer.strip())
    if match is None:
        return None
    low = int(match.group(1))
    high = int(match.group(2) or low)
    best = min(high, MAX_SERVER_VERSION)
    if best < max(low, MIN_SERVER_VERSION):
        return None
    return best


def num(value: float) -> str:
    """Format a number as IB does: integral values without a decimal point."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def opt_num(value: float | None) -> str:
    """Format an optional number; ``None`` becomes the empty field."""
    return "" if value is None else num(value)


def parse_number(text: str) -> float | None:
    """Read a number field as clients send it: empty is unset; junk reads as NaN.

    ib_async writes infinity as ``"Infinite"``; Python clients write ``"inf"``/``"nan"``.
    """
    text = text.strip()
    if not text:
        return None
    if text.lower().startswith("infinit"):
        return math.inf
    try:
        return float(text)
    except ValueError:
        return math.nan


def encode(fields: Sequence[str]) -> bytes:
    """Frame one message: 4-byte big-endian length, then NUL-terminated fields."""
    payload = "".join(f"{f}\0" for f in fields).encode()
    return struct.pack(">I", len(payload)) + payload


def decode(payload: bytes) -> list[str]:
    """Split one frame's payload into its fields."""
    fields = payload.decode(errors="replace").split("\0")
    # Each field is NUL-terminated, so the split leaves one empty tail.
    if fields and fields[-1] == "":
        fields.pop()
    return fields


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """Read one length-prefixed frame.

    Raises:
        asyncio.IncompleteReadError: The peer closed the connection.
        ValueError: The length prefix is absurd (not an API client).
    """
    (length,) = struct.unpack(">I", await reader.readexactly(4))
    if length > MAX_FRAME:
        msg = f"frame of {length} bytes exceeds {MAX_FRAME}"
        raise ValueError(msg)
    return await reader.readexactly(length)


def multiplier_field(inst: FakeInstrument) -> str:
    """IB leaves the multiplier empty for stocks."""
    return "" if inst.sec_type == "STK" else num(inst.multiplier)


def contract_11(inst: FakeInstrument, exchange: str) -> list[str]:
    """The 11 contract fields most messages share (conId .. tradingClass, no primaryExchange)."""
    return [
        str(inst.con_id),
        inst.symbol,
        inst.sec_type,
        inst.expiry,  # lastTradeDateOrContractMonth
        num(inst.strike),
        inst.right,
        multiplier_field(inst),
        exchange,
        inst.currency,
        inst.key,  # localSymbol
        inst.klass,  # tradingClass
    ]


_RIGHTS = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}


def contract_query(fields: Sequence[str], at: int) -> ContractQuery:
    """Read the 12 contract fields a request carries from ``fields[at]`` on.

    conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier,
    exchange, primaryExchange, currency, localSymbol, tradingClass. Missing trailing
    fields read as unset.
    """
    part = [*fields[at : at + 12], *[""] * 12][:12]
    strike = parse_number(part[4])
    multiplier = parse_number(part[6])
    return ContractQuery(
        con_id=int(part[0]) if part[0].lstrip("-").isdigit() else 0,
        symbol=part[1],
        sec_type=part[2],
        expiry=part[3].strip(),
        strike=strike if strike is not None and math.isfinite(strike) else 0.0,
        right=_RIGHTS.get(part[5].strip().upper(), ""),
        multiplier=multiplier if multiplier is not None and math.isfinite(multiplier) else 0.0,
        currency=part[9],
        local_symbol=part[10],
        trading_class=part[11],
    )


def request_id(fields: Sequence[str]) -> int | None:
    """The request id of an incoming request, or ``None`` when it carries none."""
    try:
        msg_id = int(fields[0])
        if msg_id in REQ_ID_AFTER_VERSION:
            return int(fields[2])
        if msg_id in REQ_ID_FIRST:
            return int(fields[1])
    except (IndexError, ValueError):
        return None
    return None


# --------------------------------------------------------------------- session messages


def server_hello(version: int, conn_time: str) -> list[str]:
    """Handshake reply: exactly two fields, server version and connection time."""
    return [str(version), conn_time]


def next_valid_id(order_id: int) -> list[str]:
    """nextValidId(9)."""
    return ["9", "1", str(order_id)]


def managed_accounts(accounts: str) -> list[str]:
    """managedAccounts(15): comma-separated account codes."""
    return ["15", "1", accounts]


def error(req_id: int, code: int, message: str, version: int = MAX_SERVER_VERSION) -> list[str]:
    """The error message (4); from version 166 on it ends with advancedOrderRejectJson."""
    fields = ["4", "2", str(req_id), str(code), message]
    if version >= V_ADVANCED_ORDER_REJECT:
        fields.append("")
    return fields


def current_time(epoch_seconds: int) -> list[str]:
    """currentTime(49)."""
    return ["49", "1", str(epoch_seconds)]
