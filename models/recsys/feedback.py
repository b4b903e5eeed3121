"""Interactions from platform users (view, like, rate, license), kept durably in SQLite.

Each kind maps to a confidence weight on the same scale as MovieLens stars, so that platform
interactions and the catalogue's ratings can be trained on together.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

import pandas as pd

KIND_WEIGHTS = {"view": 1.0, "like": 4.0, "license": 5.0}  # "rate" uses its value (0.5 to 5 stars)
KINDS = (*KIND_WEIGHTS, "rate")
SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    weight REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS {table}_by_user ON {table} (user_id);
"""


@dataclass(frozen=True)
class Interaction:
    user_id: str
    item_id: str
    kind: str
    weight: float
    created_at: float


def weight_of(kind: str, value: float | None) -> float:
    if kind == "rate":
        if value is None or not 0.5 <= value <= 5.0:
            raise ValueError("a rating needs a value from 0.5 to 5")
        return float(value)
    if kind not in KIND_WEIGHTS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    return KIND_WEIGHTS[kind]


MOVIES, WORKS = "interactions", "work_interactions"  # one table per catalogue: item ids are the catalogue's own


class FeedbackStore:
    def __init__(self, db: sqlite3.Connection, table: str = MOVIES):
        if table not in (MOVIES, WORKS):
            raise ValueError(f"no interactions table {table!r}")
        self.db, self.table = db, table
        db.executescript(SCHEMA.format(table=table))

    def add(self, user_id: str, item_id: str, kind: str, value: float | None = None) -> Interaction:
        interaction = Interaction(user_id, item_id, kind, weight_of(kind, value), time.time())
        self.db.execute(
            f"INSERT INTO {self.table} (user_id, item_id, kind, weight, created_at) VALUES (?, ?, ?, ?, ?)",
            (user_id, item_id, kind, interaction.weight, interaction.created_at),
        )
        return interaction

    def history(self, user_id: str) -> list[tuple[str, float]]:
        """The user's items with the strongest weight each had (a like outranks an earlier view)."""
        rows = self.db.execute(
            f"SELECT item_id, MAX(weight) FROM {self.table} WHERE user_id = ? GROUP BY item_id ORDER BY MIN(id)",
            (user_id,),
        ).fetchall()
        return [(item, float(weight)) for item, weight in rows]

    def as_frame(self) -> pd.DataFrame:
        """Every (user, item) pair at its strongest weight, in the columns of ``load_interactions``."""
        rows = self.db.execute(
            "SELECT user_id, item_id, MAX(weight), CAST(MAX(created_at) AS INTEGER) "
            f"FROM {self.table} GROUP BY user_id, item_id"
        ).fetchall()
        return pd.DataFrame(rows, columns=["user", "item", "weight", "timestamp"])

    def records(self, user_id: str, limit: int) -> list[Interaction]:
        """The user's latest ``limit`` interactions, newest first."""
        rows = self.db.execute(
            f"SELECT user_id, item_id, kind, weight, created_at FROM {self.table} "
            "WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [Interaction(*row) for row in rows]

    def user_counts(self) -> dict[str, int]:
        """How many users interacted with each item."""
        return dict(self.db.execute(f"SELECT item_id, COUNT(DISTINCT user_id) FROM {self.table} GROUP BY item_id"))
