"""The recommender as the rest of Muse uses it: catalogue ids in, explained recommendations out.

It combines ALS (users with history, or a list of liked items folded in on the fly), content
embeddings (free-text queries, items nobody has interacted with), popularity (nobody known) and
optional MMR diversity. ``recommend_many`` scores a batch of requests with one matrix product.
"""

from __future__ import annotations

import itertools

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from common.files import replacing
from models.recsys.content import ContentIndex
from models.recsys.data import Matrix, load_catalogue, load_interactions
from models.recsys.diversity import mmr
from models.recsys.errors import UnknownItem
from models.recsys.feedback import KIND_WEIGHTS
from models.recsys.npz import UnreadableFile, read_npz
from models.recsys.ranking import top
from models.recsys.recommenders import AlsParams, AlsRecommender

log = logging.getLogger(__name__)

MAX_K = 100
CANDIDATE_FACTOR = 5  # candidates scored per requested item, for genre filters and diversity
MIN_INTERACTIONS_FOR_CF_SIMILARITY = 5
CONTENT_CACHE = "content-index.npz"  # in the cache folder, beside the model
SAVED_ARRAYS = ("user_factors", "item_factors", "user_ids", "item_ids", "data", "indices", "indptr", "params")
# Chosen on the validation split by `muse eval-recs` (see bench-results/eval-recs.json).
DEFAULT_ALS = AlsParams(factors=16, regularization=0.1, alpha=1.0)


@dataclass(frozen=True)
class RecommendRequest:
    """One of: a catalogue ``user_id``; ``liked_items``; a platform user's weighted ``history``
    (from the feedback store); a free-text ``query``; or nothing (popular items)."""

    user_id: str | None = None
    liked_items: tuple[str, ...] = ()
    history: tuple[tuple[str, float], ...] = ()
    query: str | None = None
    k: int = 10
    exclude_seen: bool = True
    diversity: float = 0.0
    genre: str | None = None

    def for_caller(self, history: Callable[[], Iterable[tuple[str, float]]]) -> RecommendRequest:
        """The request a platform user makes: when it names no basis (user, liked items or query), their own
        weighted ``history`` (read only then) is its basis."""
        if self.user_id or self.liked_items or self.query:
            return self
        return replace(self, history=tuple((item, float(weight)) for item, weight in history()))


@dataclass(frozen=True)
class Recommendation:
    id: str
    title: str
    score: float
    reason: str


@dataclass
class _Profile:
    """What a request knows about its user: interacted item indices and, if any, an ALS vector."""

    seen: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    vector: np.ndarray | None = None


class RecommenderService:
    def __init__(self, catalogue: pd.DataFrame, matrix: Matrix, als: AlsRecommender, content: ContentIndex):
        self.catalogue, self.matrix, self.als, self.content = catalogue, matrix, als, content
        self.item_ids = matrix.item_ids
        counts = np.asarray((matrix.matrix > 0).sum(axis=0)).ravel()
        self.interaction_counts = counts
        self.popular = np.argsort(-counts, kind="stable")
        self.titles = np.array([catalogue.at[i, "title"] if i in catalogue.index else i for i in self.item_ids])
        self.genres = [catalogue.at[i, "genres"] if i in catalogue.index else [] for i in self.item_ids]
        self.tags = [list(catalogue.at[i, "tags"]) if i in catalogue.index else [] for i in self.item_ids]
        # What ``search`` looks in, per item in popularity order: one lowercase string, fields apart by a NUL
        # (no query holds one, so a match never spans two fields). Built once: a scan of these is ~1 ms.
        self._searchable = [
            (int(i), "\0".join([str(self.titles[i]), *self.genres[i], *self.tags[i]]).lower()) for i in self.popular
        ]

    @classmethod
    def train(
        cls,
        data_dir: Path,
        cache_dir: Path,
        params: AlsParams = DEFAULT_ALS,
        extra_interactions: pd.DataFrame | None = None,
        progress: bool = False,
    ) -> "RecommenderService":
        """Fit ALS on the catalogue's interactions plus ``extra_interactions`` (platform users').

        Content embeddings are cached in ``cache_dir`` (slow to build)."""
        catalogue = load_catalogue(data_dir / "movies.csv", data_dir / "tags.csv")
        interactions = load_interactions(data_dir / "ratings.csv")
        if extra_interactions is not None and len(extra_interactions):
            interactions = pd.concat([interactions, extra_interactions], ignore_index=True)
        item_ids = np.array(sorted(set(catalogue.index) | set(interactions["item"])))
        matrix = Matrix.build(interactions, item_ids)
        als = AlsRecommender(params)
        als.fit(matrix.matrix, progress=progress)
        content = ContentIndex.cached(cache_dir / CONTENT_CACHE, catalogue, item_ids, progress)
        return cls(catalogue, matrix, als, content)

    def save(self, path: Path) -> None:
        """Write the trained model to ``path`` (an .npz) atomically, under a unique temporary name: readers
        never see half a file, and concurrent savers never mix theirs."""
        m = self.matrix.matrix
        with replacing(path) as temp, temp.open("wb") as file:
            np.savez(
                file,
                user_factors=self.als.model.user_factors,
                item_factors=self.als.model.item_factors,
                user_ids=self.matrix.user_ids,
                item_ids=self.matrix.item_ids,
                data=m.data,
                indices=m.indices,
                indptr=m.indptr,
                params=np.array([json.dumps(asdict(self.als.params))]),
            )

    @classmethod
    def load(cls, path: Path, data_dir: Path, cache_dir: Path) -> "RecommenderService":
        """The model saved at ``path``; ``UnreadableFile`` if it is damaged or inconsistent."""
        saved = read_npz(path, SAVED_ARRAYS)
        item_ids = saved["item_ids"]
        shape = (len(saved["user_ids"]), len(item_ids))
        try:
            matrix = Matrix(
                csr_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=shape), saved["user_ids"], item_ids
            )
            als = AlsRecommender(AlsParams(**json.loads(str(saved["params"][0]))))
            if saved["user_factors"].shape[0] != shape[0] or saved["item_factors"].shape[0] != shape[1]:
                raise ValueError("factor matrices do not match the user and item ids")
        except (ValueError, TypeError, IndexError) as exc:
            raise UnreadableFile(f"{path} is inconsistent: {exc}") from exc
        als.model.user_factors, als.model.item_factors = saved["user_factors"], saved["item_factors"]
        catalogue = load_catalogue(data_dir / "movies.csv", data_dir / "tags.csv")
        return cls(catalogue, matrix, als, ContentIndex.cached(cache_dir / CONTENT_CACHE, catalogue, item_ids))

    # ----------------------------------------------------------------------------------- lookups
    def item_index(self, item_id: str) -> int:
        index = self.matrix.item_index.get(item_id)
        if index is None:
            raise UnknownItem([item_id])
        return index

    def unknown_items(self, item_ids: list[str]) -> list[str]:
        return [i for i in item_ids if i not in self.matrix.item_index]

    def item(self, item_id: str) -> dict:
        return self._item_view(self.item_index(item_id))

    def _item_view(self, index: int) -> dict:
        return {
            "id": str(self.item_ids[index]),
            "title": str(self.titles[index]),
            "genres": self.genres[index],
            "tags": self.tags[index],
            "interactions": int(self.interaction_counts[index]),
        }

    # --------------------------------------------------------------------------- recommendations
    def recommend(self, request: RecommendRequest) -> list[Recommendation]:
        return self.recommend_many([request])[0]

    def recommend_many(self, requests: list[RecommendRequest]) -> list[list[Recommendation]]:
        """Score every collaborative request of the batch with one matrix product."""
        profiles = [self._profile(r) for r in requests]
        with_vectors = [i for i, p in enumerate(profiles) if p.vector is not None and not requests[i].query]
        scores = {}
        if with_vectors:
            users = np.stack([profiles[i].vector for i in with_vectors])
            for i, row in zip(with_vectors, users @ self.als.model.item_factors.T):
                scores[i] = row
        return [self._finish(r, p, scores.get(i)) for i, (r, p) in enumerate(zip(requests, profiles))]

    def _profile(self, request: RecommendRequest) -> _Profile:
        weighted = dict(request.history)
        weighted.update({item: KIND_WEIGHTS["like"] for item in request.liked_items})
        if weighted:  # fold the items in: solve for this user's ALS vector, the trained items held fixed
            items = np.array([self.item_index(i) for i in weighted])
            row = csr_matrix(
                (np.array(list(weighted.values()), np.float32), (np.zeros(len(items), int), items)),
                shape=(1, len(self.item_ids)),
            )
            return _Profile(items, self.als.model.recalculate_user(0, row))
        user = self.matrix.user_index.get(request.user_id) if request.user_id is not None else None
        if user is None:
            return _Profile()
        return _Profile(self.matrix.matrix[user].indices, self.als.model.user_factors[user])

    def _finish(self, request: RecommendRequest, profile: _Profile, scores: np.ndarray | None):
        n_candidates = min(len(self.item_ids), request.k * CANDIDATE_FACTOR)
        exclude = profile.seen if request.exclude_seen else np.array([], dtype=np.int64)
        if request.query:
            wanted = len(self.item_ids) if request.genre else n_candidates
            candidates, values = self.content.search(request.query, wanted, exclude)
            reason = lambda _: f"matches '{request.query}'"  # noqa: E731
        elif scores is not None:
            scores = scores.copy()
            scores[exclude] = -np.inf
            candidates = top(scores, len(scores) if request.genre else n_candidates)
            values = scores[candidates]
            reason = lambda item: self._because(item, profile.seen)  # noqa: E731
        else:
            candidates = self.popular[~np.isin(self.popular, exclude)]
            values = self.interaction_counts[candidates].astype(np.float32)
            reason = lambda _: "popular with viewers"  # noqa: E731
        if request.genre:
            keep = np.array(
                [request.genre.lower() in (g.lower() for g in self.genres[c]) for c in candidates], dtype=bool
            )
            candidates, values = candidates[keep], values[keep]
        candidates, values = candidates[:n_candidates], values[:n_candidates]
        picked = mmr(candidates, values, self.content.embeddings, request.k, request.diversity)
        score_of = dict(zip(candidates.tolist(), values.tolist()))
        return [
            Recommendation(str(self.item_ids[i]), str(self.titles[i]), round(float(score_of[i]), 4), reason(i))
            for i in picked
        ]

    def _because(self, item: int, seen: np.ndarray) -> str:
        """Name the seen item closest to ``item`` in ALS item space."""
        if not len(seen):
            return "recommended for you"
        factors = self.als.model.item_factors
        closest = seen[int(np.argmax(factors[seen] @ factors[item]))]
        return f"because you liked {self.titles[closest]}"

    def similar(self, item_id: str, k: int = 10) -> list[Recommendation]:
        """Collaborative neighbours for items with enough interactions, content neighbours otherwise."""
        index = self.item_index(item_id)
        if self.interaction_counts[index] >= MIN_INTERACTIONS_FOR_CF_SIMILARITY:
            ids, scores = self.als.model.similar_items(index, N=k + 1)
            pairs = [(i, s) for i, s in zip(ids, scores) if i != index][:k]
            reason = f"viewers of {self.titles[index]} also liked it"
        else:
            ids, scores = self.content.similar(index, k)
            pairs = list(zip(ids, scores))
            reason = f"similar in content to {self.titles[index]}"
        return [
            Recommendation(str(self.item_ids[i]), str(self.titles[i]), round(float(s), 4), reason) for i, s in pairs
        ]

    def search(self, text: str, k: int = 20) -> list[dict]:
        """Items whose title, genres or tags contain ``text`` (case-insensitive), most interacted first."""
        needle = text.lower()
        hits = (index for index, haystack in self._searchable if needle in haystack)
        return [self._item_view(index) for index in itertools.islice(hits, k)]
