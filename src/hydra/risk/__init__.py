"""The seed's public import path for risk rules (``hydra.risk.circuit_breakers``)."""
