"""Ray Serve deployments: thin adapters from HTTP and handles to ``models/`` and ``ledger/``."""
