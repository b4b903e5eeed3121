"""Interactions and the item catalogue, and their sparse user x item matrix.

Interactions come from a CSV with ``user, item, weight, timestamp`` columns (MovieLens
``ratings.csv`` is read with its own names). The catalogue has titles, genres and tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

MOVIELENS_COLUMNS = {"userId": "user", "movieId": "item", "rating": "weight", "timestamp": "timestamp"}


def load_interactions(path: Path) -> pd.DataFrame:
    """Columns ``user``, ``item`` (strings), ``weight`` (float), ``timestamp`` (int).

    A (user, item) pair that occurs more than once keeps only its latest row (a re-rating replaces
    the earlier rating).
    """
    frame = pd.read_csv(path, dtype={"userId": str, "movieId": str, "user": str, "item": str})
    frame = frame.rename(columns=MOVIELENS_COLUMNS)
    missing = {"user", "item", "weight", "timestamp"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks columns {sorted(missing)}")
    frame = frame[["user", "item", "weight", "timestamp"]].astype(
        {"user": str, "item": str, "weight": "float32", "timestamp": "int64"}
    )
    latest = frame.sort_values("timestamp", kind="stable").drop_duplicates(["user", "item"], keep="last")
    return latest.sort_index().reset_index(drop=True)


def load_catalogue(movies: Path, tags: Path | None = None) -> pd.DataFrame:
    """Indexed by item id: ``title``, ``genres`` (list), ``tags`` (list, most used first)."""
    frame = pd.read_csv(movies, dtype={"movieId": str}).rename(columns={"movieId": "item"})
    frame["genres"] = (
        frame["genres"].fillna("").map(lambda g: [x for x in g.split("|") if x and x != "(no genres listed)"])
    )
    frame = frame.set_index("item")
    frame["tags"] = [[] for _ in range(len(frame))]
    if tags is not None and tags.exists():
        tag_rows = pd.read_csv(tags, dtype={"movieId": str})
        counted = tag_rows.assign(tag=tag_rows["tag"].astype(str).str.strip().str.lower())
        by_item = counted.groupby("movieId")["tag"].agg(lambda t: list(t.value_counts().index))
        known = by_item.index.intersection(frame.index)
        frame.loc[known, "tags"] = by_item.loc[known]
    return frame[["title", "genres", "tags"]]


@dataclass
class Matrix:
    """A users x items CSR matrix of confidence weights with the id <-> index maps."""

    matrix: csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray

    def __post_init__(self) -> None:
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {it: i for i, it in enumerate(self.item_ids)}

    @classmethod
    def build(cls, interactions: pd.DataFrame, item_ids: np.ndarray, user_ids: np.ndarray | None = None) -> "Matrix":
        """Sum each (user, item) pair's weights; items outside ``item_ids`` are dropped."""
        users = np.array(sorted(interactions["user"].unique())) if user_ids is None else user_ids
        user_pos = pd.Index(users).get_indexer(interactions["user"])
        item_pos = pd.Index(item_ids).get_indexer(interactions["item"])
        keep = (user_pos >= 0) & (item_pos >= 0)
        matrix = csr_matrix(
            (interactions["weight"].to_numpy(np.float32)[keep], (user_pos[keep], item_pos[keep])),
            shape=(len(users), len(item_ids)),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        return cls(matrix, np.asarray(users), np.asarray(item_ids))
