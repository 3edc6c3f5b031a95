"""Adapters: the simulator and the ib_async BrokerGateway, both behind the BrokerPort."""
