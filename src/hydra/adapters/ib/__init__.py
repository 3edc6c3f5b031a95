"""The ib_async adapter: BrokerGateway and the converters at its boundary."""

from __future__ import annotations

from hydra.adapters.ib.convert import (
    fill_from_ib,
    instrument_from_ib,
    order_request_from_ib,
    position_from_ib,
    status_from_trade,
    to_ib_contract,
    to_ib_order,
)
from hydra.adapters.ib.gateway import BrokerGateway, ClientIdInUseError
from hydra.adapters.ib.live import (
    LIVE_CONFIRMATION,
    LIVE_CONFIRMATION_ENV,
    LIVE_PORTS,
    PAPER_PORTS,
    live_opted_in,
    require_live_opt_in,
)
from hydra.adapters.ib.orders import IBOrderHandle

__all__ = [
    "LIVE_CONFIRMATION",
    "LIVE_CONFIRMATION_ENV",
    "LIVE_PORTS",
    "PAPER_PORTS",
    "BrokerGateway",
    "ClientIdInUseError",
    "IBOrderHandle",
    "fill_from_ib",
    "instrument_from_ib",
    "live_opted_in",
    "order_request_from_ib",
    "position_from_ib",
    "require_live_opt_in",
    "status_from_trade",
    "to_ib_contract",
    "to_ib_order",
]
