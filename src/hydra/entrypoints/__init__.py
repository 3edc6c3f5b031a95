"""The outer ring: the ``hydra`` command, the operator's client, the demo and the trader host.

Entrypoints receive wired objects from the container and never build adapters themselves.
"""
