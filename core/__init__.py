"""Muse's foundation: what every layer above shares and nothing below needs.

- ``core.paths``: the bundled assets and the data directory (``MUSE_HOME``);
- ``core.users``: users, their hashed API keys and ledger addresses;
- ``core.recs_model``: where the trained recommender is kept, and the full retrain that replaces it.

``deployments/``, ``assistant/`` and the applications in ``muse/`` import it; it imports only ``models/``.
"""

__version__ = "0.1.0"
