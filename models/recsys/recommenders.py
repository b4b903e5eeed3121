"""Recommenders with one interface: ``fit(user_items)`` and ``recommend(users, user_items, k)``.

``user_items`` is the users x items confidence matrix (``Matrix.matrix``); ``recommend`` returns
``(items, scores)`` arrays of shape ``(len(users), k)`` ranked best first, never recommending an item
the user already has in ``user_items``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from implicit.als import AlternatingLeastSquares
from implicit.nearest_neighbours import CosineRecommender
from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class AlsParams:
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 5.0  # confidence = alpha x weight (implicit's convention)
    iterations: int = 15
    seed: int = 0


class AlsRecommender:
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) through ``implicit``."""

    name = "als"

    def __init__(self, params: AlsParams = AlsParams()):
        self.params = params
        self.model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.seed,
        )

    def fit(self, user_items: csr_matrix, progress: bool = False) -> None:
        self.model.fit(user_items, show_progress=progress)

    def recommend(self, users: np.ndarray, user_items: csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.model.recommend(users, user_items[users], N=k, filter_already_liked_items=True)


class ItemKnnRecommender:
    """Item-item cosine nearest neighbours: the classic collaborative-filtering baseline."""

    name = "item-knn"

    def __init__(self, neighbours: int = 50):
        self.model = CosineRecommender(K=neighbours)

    def fit(self, user_items: csr_matrix, progress: bool = False) -> None:
        with warnings.catch_warnings():  # implicit converts its own normalised copy from COO and warns
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            self.model.fit(user_items, show_progress=progress)

    def recommend(self, users: np.ndarray, user_items: csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.model.recommend(users, user_items[users], N=k, filter_already_liked_items=True)


class PopularityRecommender:
    """The most-interacted items the user has not seen yet."""

    name = "popularity"

    def fit(self, user_items: csr_matrix, progress: bool = False) -> None:
        self.counts = np.asarray((user_items > 0).sum(axis=0)).ravel().astype(np.float32)

    def recommend(self, users: np.ndarray, user_items: csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.tile(self.counts, (len(users), 1))
        seen = user_items[users]
        scores[seen.nonzero()] = -np.inf
        items = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return items, np.take_along_axis(scores, items, axis=1)
