"""Idempotent ledger changes: the first answer to a (caller, key) pair is the answer to every repeat.

A client that lost the answer to a change (a dropped connection, a crash, the assistant's graph running a
tool call again) sends it again with the same key and gets the first answer back, with no second transaction.
Answers are kept in SQLite beside the chain, so they survive restarts, for ``ttl_s`` (default 7 days).

- Only answers are kept: a refusal (not the owner, cannot pay, ...) changed nothing, so its repeat runs again.
- One lock per key in use: a repeat that arrives while the first call runs waits for it and returns its answer.
- A key belongs to one kind of change: reusing it for another is refused, since it is almost surely a bug.
- The one window left: a crash after the chain accepted the transaction and before its answer is stored. The
  chain commits first, so a repeat after that crash runs again.
"""

from __future__ import annotations

import functools
import inspect
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from common.locks import KeyedLocks
from ledger.errors import InvalidRequest

MAX_KEY_CHARS = 200
DEFAULT_TTL_S = 7 * 86_400
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    caller TEXT NOT NULL, key TEXT NOT NULL, change TEXT NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX IF NOT EXISTS answers_by_age ON answers (at);
"""


class IdempotencyStore:
    def __init__(self, path: Path, ttl_s: int = DEFAULT_TTL_S):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl_s = ttl_s
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._db_lock = threading.Lock()  # one connection, used from the service's thread pool
        self._keys = KeyedLocks()

    def close(self) -> None:
        self._db.close()

    def once(self, caller: str, key: str | None, change: str, act: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``act()``'s answer, run at most once per ``(caller, key)``; without a key, simply ``act()``."""
        if key is None:
            return act()
        if not 1 <= len(key) <= MAX_KEY_CHARS:
            raise InvalidRequest(
                f"an idempotency key has at most {MAX_KEY_CHARS} characters (and at least 1), not {len(key)}"
            )
        with self._keys.hold((caller, key)):
            stored = self._answer(caller, key)
            if stored is not None:
                kind, answer = stored
                if kind != change:
                    raise InvalidRequest(f"idempotency key {key!r} was used for {kind}; use a new key for {change}")
                return answer
            answer = act()
            self._keep(caller, key, change, answer)
            return answer

    def _answer(self, caller: str, key: str) -> tuple[str, dict[str, Any]] | None:
        with self._db_lock:
            row = self._db.execute(
                "SELECT change, answer FROM answers WHERE caller = ? AND key = ? AND at >= ?",
                (caller, key, time.time() - self.ttl_s),
            ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def _keep(self, caller: str, key: str, change: str, answer: dict[str, Any]) -> None:
        now = time.time()
        with self._db_lock, self._db:
            self._db.execute("DELETE FROM answers WHERE at < ?", (now - self.ttl_s,))
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)", (caller, key, change, json.dumps(answer), now)
            )


class _Changing(Protocol):
    answers: IdempotencyStore

    def _signer(self, caller: Any) -> Any: ...


def idempotent(change: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """For the ledger service's changing methods ``(self, caller, ...)``: adds the keyword-only
    ``idempotency_key``. A repeat must come from the same caller, with its key: the caller's keystore is
    unlocked before any stored answer is returned."""

    @functools.wraps(change)
    def method(
        self: _Changing, caller: Any, *args: Any, idempotency_key: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if idempotency_key is not None:
            self._signer(caller)
        return self.answers.once(
            caller.address, idempotency_key, change.__name__, lambda: change(self, caller, *args, **kwargs)
        )

    signature = inspect.signature(change)
    key = inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="str | None")
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), key]
    )
    return method
