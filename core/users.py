"""Muse's users and their API keys: one SQLite table in the data directory, shared by every service.

Only a SHA-256 of each key is stored; the key itself is shown once, when the user is created or the key
rotated. Each user also has an EVM account on the ledger: its address is here, its key in the keystore
(``ledger.keystore``), encrypted with the user's API key. Every request looks its key up here (no cache), so a
rotated or revoked key is refused at once by every replica.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from core.paths import muse_home

KEY_PREFIX = "muse_"
PLATFORM_ID_PREFIX = "muse:"  # a platform user's id in the recommender; catalogue (MovieLens) ids are numbers
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    address TEXT,
    revoked_at REAL
)
"""
COLUMNS = "id, name, is_admin, address, created_at, revoked_at"
# Re-encrypts an account's key: (address, current API key, new API key); the new key is recorded inside the block.
Rekey = Callable[[str, str, str], AbstractContextManager]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool
    address: str | None = None  # the user's ledger account
    created_at: float = 0.0
    revoked_at: float | None = None  # a revoked user's key is refused everywhere

    @property
    def platform_id(self) -> str:
        """The id under which this user's interactions enter the recommender (apart from catalogue users)."""
        return f"{PLATFORM_ID_PREFIX}{self.id}"


def is_platform_id(user_id: str) -> bool:
    """Whether a recommender user id names a platform user (whose history is private to them)."""
    return user_id.strip().lower().startswith(PLATFORM_ID_PREFIX)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _user(row: tuple) -> User:
    return User(row[0], row[1], bool(row[2]), row[3], row[4], row[5])


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (and create) the platform database, ``$MUSE_HOME/muse.db``."""
    db = sqlite3.connect(path or muse_home() / "muse.db", timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    return db


class Users:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        db.execute(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(users)")}
        for column, kind in (("address", "TEXT"), ("revoked_at", "REAL")):  # data directories of older versions
            if column not in columns:
                with contextlib.suppress(sqlite3.OperationalError):  # added meanwhile by another process
                    db.execute(f"ALTER TABLE users ADD COLUMN {column} {kind}")

    def add(
        self, name: str, admin: bool = False, create_account: Callable[[str], str] | None = None
    ) -> tuple[User, str]:
        """Create a user; returns it with its new API key (never stored in clear).

        ``create_account(api_key)`` makes the user's ledger account and returns its address.
        """
        if not name or len(name) > 64:
            raise ValueError("a user name has 1 to 64 characters")
        if self.db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise ValueError(f"a user named '{name}' already exists")
        key = _new_key()
        address = create_account(key) if create_account else None
        created_at = time.time()
        try:
            cursor = self.db.execute(
                "INSERT INTO users (name, key_hash, is_admin, created_at, address) VALUES (?, ?, ?, ?, ?)",
                (name, _hash(key), int(admin), created_at, address),
            )
        except sqlite3.IntegrityError as exc:  # created at the same moment by another process
            raise ValueError(f"a user named '{name}' already exists") from exc
        return User(cursor.lastrowid, name, admin, address, created_at), key

    def by_key(self, key: str) -> User | None:
        """The active user whose API key this is (read from the table on every call: nothing is cached)."""
        row = self.db.execute(
            f"SELECT {COLUMNS} FROM users WHERE key_hash = ? AND revoked_at IS NULL", (_hash(key),)
        ).fetchone()
        return _user(row) if row else None

    def all(self) -> list[User]:
        return [_user(row) for row in self.db.execute(f"SELECT {COLUMNS} FROM users ORDER BY id")]

    def by_name(self, name: str) -> User:
        row = self.db.execute(f"SELECT {COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ValueError(f"no user named '{name}'")
        return _user(row)

    def revoke(self, name: str) -> User:
        """Refuse the user's key from now on, for good. Their ledger account stays on the chain, its key
        encrypted with the revoked API key: no one can sign for it any more."""
        user = self.by_name(name)
        if user.revoked_at is not None:
            raise ValueError(f"user '{name}' is already revoked")
        self.db.execute("UPDATE users SET revoked_at = ? WHERE id = ?", (time.time(), user.id))
        return self.by_name(name)

    def rotate(self, name: str, current_key: str, rekey: Rekey | None = None) -> tuple[User, str]:
        """Give the user a new API key in place of ``current_key`` (needed: it is what decrypts their ledger
        account, which ``rekey`` re-encrypts under the new key). The account, and so their works, stay theirs."""
        user = self.by_name(name)
        if user.revoked_at is not None:
            raise ValueError(f"user '{name}' is revoked; a revoked user cannot get a new key")
        stored = self.db.execute("SELECT key_hash FROM users WHERE id = ?", (user.id,)).fetchone()[0]
        if not hmac.compare_digest(stored, _hash(current_key)):
            raise ValueError(f"the key given is not the current API key of {name}")
        key = _new_key()
        with rekey(user.address, current_key, key) if rekey and user.address else contextlib.nullcontext():
            changed = self.db.execute(
                "UPDATE users SET key_hash = ? WHERE id = ? AND key_hash = ? AND revoked_at IS NULL",
                (_hash(key), user.id, stored),
            ).rowcount
            if changed != 1:
                raise ValueError(f"the key of {name} was rotated or revoked meanwhile; nothing changed")
        return user, key
