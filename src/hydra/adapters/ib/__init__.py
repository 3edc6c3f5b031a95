"""The ib_async adapter: BrokerGateway and the converters at its boundary.

Names load on first use (PEP 562): importing a submodule (``hydra.adapters.ib.config``,
which ``hydra.settings`` reads) does not load the adapter itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES = {
    "BrokerGateway": ".gateway",
    "ClientIdInUseError": ".gateway",
    "IBOrderHandle": ".orders",
    "LIVE_CONFIRMATION": ".live",
    "LIVE_CONFIRMATION_ENV": ".live",
    "LIVE_PORTS": ".live",
    "PAPER_PORTS": ".live",
    "fill_from_ib": ".convert",
    "instrument_from_ib": ".convert",
    "live_opted_in": ".live",
    "order_request_from_ib": ".convert",
    "position_from_ib": ".convert",
    "require_live_opt_in": ".live",
    "status_from_trade": ".convert",
    "to_ib_contract": ".convert",
    "to_ib_order": ".convert",
}


__getattr__ = lazy_exports(__name__, _HOMES)
