"""Lines that the layers below log (``ledger``, ``assistant``) go to the replica's own Serve log file."""

from __future__ import annotations

import logging


def log_to_replica(name: str, level: int = logging.INFO) -> None:
    """Send logger ``name``'s records to Serve's handlers in this replica (and only there)."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    logger.handlers, logger.propagate = list(logging.getLogger("ray.serve").handlers), False
