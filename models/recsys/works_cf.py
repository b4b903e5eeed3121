"""Collaborative signal for the works catalogue: the same implicit ALS as for movies, over (user, work) weights.

``fit`` is the periodic retrain (all interactions so far); ``scores`` folds a user's history in at request time
(``recalculate_user``, the trained works held fixed), so a like or a license counts in the very next list.
Works registered after the last fit have no factors yet and score 0 here: content carries them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix

from models.recsys.recommenders import AlsParams, AlsRecommender

# Few users and works: a small model, quick to fit (milliseconds to a second for thousands of interactions).
WORKS_ALS = AlsParams(factors=16, regularization=0.1, alpha=2.0, iterations=10)


class WorksCollaborative:
    def __init__(self, params: AlsParams = WORKS_ALS):
        self.params = params
        # The fitted model and its columns' work ids (ascending: column i is the i-th smallest id), swapped
        # together by a retrain.
        self._model: tuple[AlsRecommender, np.ndarray] | None = None

    @property
    def fitted(self) -> bool:
        return self._model is not None

    def fit(self, interactions: Iterable[tuple[str, int, float]]) -> None:
        """Retrain on every ``(user, work id, weight)``; the strongest weight of a pair counts."""
        pairs: dict[tuple[str, int], float] = {}
        for user, work, weight in interactions:
            pairs[(user, work)] = max(pairs.get((user, work), 0.0), weight)
        users = {u: i for i, u in enumerate(sorted({u for u, _ in pairs}))}
        works = {w: i for i, w in enumerate(sorted({w for _, w in pairs}))}
        if len(users) < 2 or len(works) < 2:
            self._model = None
            return
        rows, cols = [users[u] for u, _ in pairs], [works[w] for _, w in pairs]
        matrix = csr_matrix((np.array(list(pairs.values()), np.float32), (rows, cols)), shape=(len(users), len(works)))
        als = AlsRecommender(self.params)
        als.fit(matrix)
        self._model = (als, np.array(list(works), dtype=np.int64))

    def scores(self, history: dict[int, float], work_ids: np.ndarray) -> np.ndarray | None:
        """ALS scores of ``work_ids`` for a user with ``history`` (work id -> weight); None when the model knows
        none of the history (nothing to fold in)."""
        if self._model is None:
            return None
        als, fitted_ids = self._model
        given = np.fromiter(history, np.int64, len(history))
        columns, known = _columns(fitted_ids, given)
        if not known.any():
            return None
        weights = np.fromiter(history.values(), np.float32, len(history))[known]
        row = csr_matrix((weights, (np.zeros(len(weights), int), columns[known])), shape=(1, len(fitted_ids)))
        fitted = als.model.item_factors @ als.model.recalculate_user(0, row)
        columns, known = _columns(fitted_ids, np.asarray(work_ids, dtype=np.int64))
        return np.where(known, fitted[columns], 0.0).astype(np.float32)


def _columns(fitted_ids: np.ndarray, work_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each work's column in the model (0 where it has none) and whether it has one."""
    columns = np.minimum(np.searchsorted(fitted_ids, work_ids), len(fitted_ids) - 1)
    return columns, fitted_ids[columns] == work_ids
