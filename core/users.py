"""Muse's users and their API keys: one SQLite table in the data directory, shared by every service.

Only a SHA-256 of each key is stored; the key itself is shown once, when the user is created.
Each user also has an EVM account on the ledger: its address is here, its key in the keystore
(``ledger.keystore``), encrypted with the user's API key.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.paths import muse_home

KEY_PREFIX = "muse_"
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    address TEXT
)
"""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool
    address: str | None = None  # the user's ledger account

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
        if "address" not in {row[1] for row in db.execute("PRAGMA table_info(users)")}:  # a data dir from 0.1
            db.execute("ALTER TABLE users ADD COLUMN address TEXT")

    def add(self, name: str, admin: bool = False,
            create_account: Callable[[str], str] | None = None) -> tuple[User, str]:
        """Create a user; returns it with its new API key (never stored in clear).

        ``create_account(api_key)`` makes the user's ledger account and returns its address.
        """
        if not name or len(name) > 64:
            raise ValueError("a user name has 1 to 64 characters")
        if self.db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise ValueError(f"a user named '{name}' already exists")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        address = create_account(key) if create_account else None
        try:
            cursor = self.db.execute(
                "INSERT INTO users (name, key_hash, is_admin, created_at, address) VALUES (?, ?, ?, ?, ?)",
                (name, _hash(key), int(admin), time.time(), address))
        except sqlite3.IntegrityError as exc:  # created at the same moment by another process
            raise ValueError(f"a user named '{name}' already exists") from exc
        return User(cursor.lastrowid, name, admin, address), key

    def by_key(self, key: str) -> User | None:
        row = self.db.execute("SELECT id, name, is_admin, address FROM users WHERE key_hash = ?",
                              (_hash(key),)).fetchone()
        return User(row[0], row[1], bool(row[2]), row[3]) if row else None
