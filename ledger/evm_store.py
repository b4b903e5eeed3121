"""A durable key-value store for py-evm's chain database, kept in SQLite.

py-evm keeps everything (headers, bodies, receipts, state trie nodes, indexes) in
one key-value database. Backing it with SQLite makes the embedded chain durable:
writes collect in memory and become one SQLite transaction per mined block, so the
file on disk always holds a whole chain up to some block, never half of one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from eth.db.backends.base import BaseDB


class SqliteStore(BaseDB):
    """py-evm database whose writes stay pending until `commit()`; reads see them."""

    def __init__(self, path: Path) -> None:
        # Calls are serialised by the chain's lock but may come from several threads.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed block survives a power cut, not only a killed process.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
        self._pending: dict[bytes, bytes | None] = {}  # None: to delete

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._pending:
            value = self._pending[key]
        else:
            row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
            value = row[0] if row else None
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._pending[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._pending[key] = None

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def commit(self) -> None:
        """Write all pending changes to disk in one transaction."""
        if not self._pending:
            return
        items = self._pending.items()
        with self._db:  # one transaction: commits on success, rolls back on error
            self._db.executemany(
                "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", [(k, v) for k, v in items if v is not None]
            )
            self._db.executemany("DELETE FROM kv WHERE k = ?", [(k,) for k, v in items if v is None])
        self._pending.clear()

    def close(self) -> None:
        self.commit()
        self._db.close()
