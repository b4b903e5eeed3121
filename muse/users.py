"""Muse's users and their API keys: one SQLite table in the data directory, shared by every service.

Only a SHA-256 of each key is stored; the key itself is shown once, when the user is created.
The ledger adds each user's EVM account to the same table.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from muse.paths import muse_home

KEY_PREFIX = "muse_"
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool

    @property
    def platform_id(self) -> str:
        """The id under which this user's interactions enter the recommender (apart from catalogue users)."""
        return f"muse:{self.id}"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (and create) the platform database, ``$MUSE_HOME/muse.db``."""
    db = sqlite3.connect(path or muse_home() / "muse.db", timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    return db


class Users:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        db.execute(SCHEMA)

    def add(self, name: str, admin: bool = False) -> tuple[User, str]:
        """Create a user; returns it with its new API key (never stored in clear)."""
        if not name or len(name) > 64:
            raise ValueError("a user name has 1 to 64 characters")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            cursor = self.db.execute("INSERT INTO users (name, key_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
                                     (name, _hash(key), int(admin), time.time()))
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"a user named '{name}' already exists") from exc
        return User(cursor.lastrowid, name, admin), key

    def by_key(self, key: str) -> User | None:
        row = self.db.execute("SELECT id, name, is_admin FROM users WHERE key_hash = ?", (_hash(key),)).fetchone()
        return User(row[0], row[1], bool(row[2])) if row else None
