"""The ``works`` catalogue: works registered on the ledger, recommended by content as soon as they exist.

Each work is one MiniLM embedding (title + text, or title + media type for other media), added while the
recommender serves: no retrain. A user's profile is the weighted mean of the embeddings of the works they
interacted with (licensed, liked, viewed); a free-text query is embedded with the same encoder. Works the
user owns or holds a license on are never recommended to them.

The catalogue is swapped whole on each change (one reference assignment), so a request scoring on one
thread never sees half an addition made on another. A request costs one matrix-vector product over the
catalogue's normalised embeddings and a partial sort; nothing loops over the catalogue in Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from models.recsys.diversity import mmr
from models.recsys.feedback import KIND_WEIGHTS
from models.recsys.ranking import top
from models.recsys.works_cf import WorksCollaborative

Encoder = Callable[[list[str]], np.ndarray]  # texts -> unit vectors, one row each
KIND_LIKE = KIND_WEIGHTS["like"]
NEW = "new on Muse"
MAX_TEXT_CHARS = 2_000
WORK_ID = re.compile(r"[0-9]{1,19}")  # a work id as text (ASCII digits only: int() takes others too)


def is_work_id(text: str) -> bool:
    return WORK_ID.fullmatch(text) is not None  # what is embedded of a work's text (MiniLM reads ~256 tokens anyway)


@dataclass(frozen=True)
class Work:
    id: int
    title: str
    creator: str  # the owner's address
    media_type: str
    text: str = ""  # the work's text, for text media; empty for other media


def work_text(work: Work) -> str:
    """What is embedded: title + text for text, title + media type for other media."""
    if work.text.strip():
        return f"{work.title}. {work.text[:MAX_TEXT_CHARS]}"
    return f"{work.title}. Media type: {work.media_type}"


@dataclass(frozen=True)
class WorksRequest:
    """``query`` text, or ``liked`` work ids, or the caller's weighted ``history``, or nothing (popular).
    ``held`` are the works the caller owns or holds a license on: never recommended."""

    query: str | None = None
    liked: tuple[int, ...] = ()
    history: tuple[tuple[int, float], ...] = ()
    held: frozenset[int] = frozenset()
    k: int = 10
    exclude_seen: bool = True
    diversity: float = 0.0


@dataclass(frozen=True)
class WorkRecommendation:
    id: int
    title: str
    creator: str
    media_type: str
    score: float
    reason: str
    explore: bool = False  # in a slot kept for works with few interactions


@dataclass(frozen=True)
class WorksPolicy:
    """How a list is made. ``explore_share`` of each list (2 of 10) is kept for works with fewer than
    ``few_interactions`` interactions, chosen by content relevance to the user, so that new creators get seen.
    ALS and content are blended per work with weight ``n / (n + blend_half)`` on ALS for n interactions."""

    explore_share: float = 0.2
    few_interactions: int = 5
    blend_half: float = 5.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.explore_share <= 1.0:
            raise ValueError("explore_share is a share of each list, from 0 to 1")
        if self.few_interactions < 0 or self.blend_half <= 0:
            raise ValueError("few_interactions must be >= 0 and blend_half > 0")


@dataclass(frozen=True)
class _Snapshot:
    works: tuple[Work, ...] = ()
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    row: dict[int, int] = field(default_factory=dict)  # work id -> row
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # interactions per row
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # work id per row


class WorksCatalogue:
    def __init__(
        self, encode: Encoder, policy: WorksPolicy = WorksPolicy(), collaborative: WorksCollaborative | None = None
    ):
        self._encode, self.policy, self.collaborative = encode, policy, collaborative
        self._snapshot = _Snapshot()

    def __len__(self) -> int:
        return len(self._snapshot.works)

    @property
    def last_id(self) -> int:
        """The highest work id in the catalogue (0 when empty)."""
        return max(self._snapshot.row, default=0)

    def ids(self) -> list[int]:
        return [w.id for w in self._snapshot.works]

    def add(self, works: list[Work]) -> None:
        """Embed ``works`` and add them (ids already present are replaced by the newer record)."""
        if not works:
            return
        vectors = np.asarray(self._encode([work_text(w) for w in works]), dtype=np.float32)
        old, new_ids = self._snapshot, {w.id for w in works}
        keep = [i for i, w in enumerate(old.works) if w.id not in new_ids]
        all_works = tuple(old.works[i] for i in keep) + tuple(works)
        embeddings = np.concatenate([old.embeddings[keep], vectors]) if len(keep) else vectors
        counts = np.concatenate([old.counts[keep], np.zeros(len(works), np.int64)])
        self._snapshot = _Snapshot(
            all_works,
            embeddings,
            {w.id: i for i, w in enumerate(all_works)},
            counts,
            np.array([w.id for w in all_works], dtype=np.int64),
        )

    def clear(self) -> None:
        self._snapshot = _Snapshot()

    def set_counts(self, counts: dict[int, int]) -> None:
        """How many users interacted with each work (for popularity when nothing is known of the user)."""
        old = self._snapshot
        values = np.array([counts.get(w.id, 0) for w in old.works], dtype=np.int64)
        self._snapshot = _Snapshot(old.works, old.embeddings, old.row, values, old.ids)

    def unknown(self, ids: Iterable[int]) -> list[int]:
        row = self._snapshot.row
        return [i for i in ids if i not in row]

    def embed(self, queries: list[str]) -> np.ndarray:
        """Query texts as unit vectors, one row each, in one encoder call (far cheaper than one call each)."""
        return np.asarray(self._encode(queries), dtype=np.float32)

    def recommend_many(self, requests: list[WorksRequest]) -> list[list[WorkRecommendation]]:
        """Every request of a batch, their queries embedded in one encoder call."""
        queries = list(dict.fromkeys(r.query for r in requests if r.query))
        vectors = dict(zip(queries, self.embed(queries))) if queries else {}
        return [self.recommend(r, vectors.get(r.query)) for r in requests]

    def recommend(self, request: WorksRequest, query_vector: np.ndarray | None = None) -> list[WorkRecommendation]:
        """``query_vector``: the query already embedded (else it is embedded here)."""
        snap = self._snapshot  # one consistent catalogue for the whole request
        if not snap.works:
            return []
        weights = dict(request.history)
        weights.update({w: KIND_LIKE for w in request.liked})
        seen = np.array([snap.row[w] for w in weights if w in snap.row], dtype=np.int64)
        excluded = np.zeros(len(snap.works), dtype=bool)
        excluded[[snap.row[w] for w in request.held if w in snap.row]] = True
        if request.exclude_seen or request.liked:
            excluded[seen] = True
        scores, relevance, reason = self._score(snap, request, weights, seen, query_vector)
        scores = np.where(excluded, -np.inf, scores)
        n_explore = min(round(request.k * self.policy.explore_share), request.k)
        order = top(scores, request.k * 5)
        order = order[np.isfinite(scores[order])]
        main = mmr(order, scores[order], snap.embeddings, request.k - n_explore, request.diversity)
        few = ~excluded & (snap.counts < self.policy.few_interactions)
        few[main] = False
        explore = top(np.where(few, relevance, -np.inf), n_explore)
        explore = explore[few[explore]]
        if len(explore) < n_explore:  # not enough new works: the main ranking fills the list
            taken = set(main.tolist()) | set(explore.tolist())
            rest = [i for i in order if i not in taken]
            main = np.concatenate([main, np.array(rest[: n_explore - len(explore)], dtype=np.int64)])
        picked = [(int(i), False) for i in main] + [(int(i), True) for i in explore]
        return [
            WorkRecommendation(
                snap.works[i].id,
                snap.works[i].title,
                snap.works[i].creator,
                snap.works[i].media_type,
                round(float(scores[i]), 4),
                _new(reason(i)) if new else reason(i),
                new,
            )
            for i, new in picked
        ]

    def _score(
        self,
        snap: _Snapshot,
        request: WorksRequest,
        weights: dict[int, float],
        seen: np.ndarray,
        query_vector: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, Callable[[int], str]]:
        """Ranking scores, content relevance (what new works are chosen by) and a reason per work."""
        n = len(snap.works)
        newness = np.arange(n) / (n + 1.0)
        if request.query:
            vector = self.embed([request.query])[0] if query_vector is None else query_vector
            content = (snap.embeddings @ vector).astype(np.float64)
            return content, content, lambda _: f"matches '{request.query}'"
        if not len(seen):  # nobody known: most interacted with, then newest
            scores = snap.counts + newness
            return scores, newness, lambda item: "popular on Muse" if snap.counts[item] else NEW
        profile = np.array([weights[int(i)] for i in snap.ids[seen]], np.float32) @ snap.embeddings[seen]
        content = (snap.embeddings @ (profile / max(float(np.linalg.norm(profile)), 1e-9))).astype(np.float64)
        cf = self.collaborative.scores(weights, snap.ids) if self.collaborative else None
        if cf is None:
            return content, content, lambda item: self._because(snap, item, seen)
        # Collaborative where a work has interactions, content where it has few: weight n / (n + half).
        trust = snap.counts / (snap.counts + self.policy.blend_half)
        scores = trust * cf / max(float(np.abs(cf).max()), 1e-9) + (1 - trust) * content
        return scores, content, lambda item: self._because(snap, item, seen)

    @staticmethod
    def _because(snap: _Snapshot, item: int, seen: np.ndarray) -> str:
        closest = seen[int(np.argmax(snap.embeddings[seen] @ snap.embeddings[item]))]
        return f"similar to {snap.works[closest].title}"


def _new(reason: str) -> str:
    return reason if reason.startswith(NEW) else f"{NEW}, {reason}"
