"""Read-only access to the ledger's index (``ledger.index``) from other processes: the recommender's replicas
follow new works, terms and licenses here, without a call to the Ledger deployment.

SQLite in WAL mode lets them read while the Ledger writes. The records that cross from the Ledger's process
to theirs are typed here. A missing index file (the Ledger not started yet) reads as empty.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

MAX_BATCH = 256


class IndexedWork(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    owner: str
    title: str
    media_type: str
    content_hash: str  # hex sha256, no 0x


class WorkTerms(BaseModel):
    model_config = ConfigDict(frozen=True)

    template: str
    fee_wei: int
    duration_s: int
    active: bool


class IndexedLicense(BaseModel):
    model_config = ConfigDict(frozen=True)

    work_id: int
    holder: str
    block: int


class IndexReader:
    """One read-only connection per thread (SQLite connections are not shared across threads here)."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection | None:
        db = getattr(self._local, "db", None)
        if db is None:
            if not self.path.exists():
                return None
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def _rows(self, sql: str, params: Iterable = ()) -> list[tuple]:
        db = self._db()
        if db is None:
            return []
        try:
            return db.execute(sql, tuple(params)).fetchall()
        except sqlite3.OperationalError:  # tables not created yet (the Ledger is starting)
            return []

    def contract(self) -> str | None:
        """The deployment the index describes: work ids only mean something together with it."""
        rows = self._rows("SELECT value FROM meta WHERE key = 'contract'")
        return rows[0][0] if rows else None

    def works_after(self, work_id: int, limit: int = MAX_BATCH) -> list[IndexedWork]:
        rows = self._rows(
            "SELECT id, owner, title, media_type, content_hash FROM works WHERE id > ? ORDER BY id LIMIT ?",
            (work_id, limit),
        )
        return [IndexedWork(id=r[0], owner=r[1], title=r[2], media_type=r[3], content_hash=r[4]) for r in rows]

    def terms(self, work_ids: list[int]) -> dict[int, WorkTerms]:
        if not work_ids:
            return {}
        rows = self._rows(
            "SELECT work_id, template, fee_wei, duration_s, active FROM terms WHERE work_id IN "
            f"({','.join('?' * len(work_ids))})",
            work_ids,
        )
        return {r[0]: WorkTerms(template=r[1], fee_wei=int(r[2]), duration_s=r[3], active=bool(r[4])) for r in rows}

    def licenses_of(self, holder: str) -> list[IndexedLicense]:
        """Every license record of ``holder`` (bought or granted; expired ones too), oldest first."""
        rows = self._rows(
            "SELECT work_id, holder, block FROM licenses WHERE holder = ? ORDER BY block, work_id", (holder,)
        )
        return [IndexedLicense(work_id=r[0], holder=r[1], block=r[2]) for r in rows]

    def held_by(self, address: str) -> frozenset[int]:
        """The works ``address`` owns or holds (or held) a license on."""
        rows = self._rows(
            "SELECT id FROM works WHERE owner = ? UNION SELECT work_id FROM licenses WHERE holder = ?",
            (address, address),
        )
        return frozenset(r[0] for r in rows)

    def all_licenses(self) -> list[tuple[str, int]]:
        """Every (holder, work id) license record."""
        return self._rows("SELECT holder, work_id FROM licenses")

    def license_counts(self) -> dict[int, int]:
        return dict(self._rows("SELECT work_id, COUNT(*) FROM licenses GROUP BY work_id"))
