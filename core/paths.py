"""Where Muse keeps things: the repository's bundled assets and the data directory.

Everything that must survive a restart lives under one data directory,
``MUSE_HOME`` (default: ``.muse`` in the current working directory).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# What ships with Muse. In a checkout, core/shipped/ links to the repository's serve_config.yaml, data/ and
# deploy/profiles/; in an installed wheel it holds copies of them.
SHIPPED = Path(__file__).resolve().parent / "shipped"
BUNDLED_TEXT_MODEL = REPO_ROOT / "models" / "text" / "bundled"
SHAKESPEARE_CORPUS = SHIPPED / "data" / "tinyshakespeare" / "input.txt"
SERVE_CONFIG = SHIPPED / "serve_config.yaml"
MOVIELENS = SHIPPED / "data" / "movielens-latest-small"
PROFILES_DIR = SHIPPED / "profiles"
METRICS_URL_ENV = "MUSE_METRICS_URL"  # where replicas find Ray's Prometheus endpoint (muse serve sets it)
INTERNAL_URL_ENV = "MUSE_INTERNAL_URL"  # how replicas reach Muse's own HTTP API (muse serve sets it)
DEFAULT_INTERNAL_URL = "http://127.0.0.1:8000"  # serve_config.yaml's address, when nothing set it


def muse_home() -> Path:
    """The data directory (created on first use)."""
    home = Path(os.environ.get("MUSE_HOME", ".muse")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def ledger_index_path() -> Path:
    """The ledger's off-chain index (written by the Ledger; read by the recommender's replicas too)."""
    return muse_home() / "ledger" / "index.sqlite3"
