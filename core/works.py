"""The ``works`` catalogue as the Recommender runs it: followed from the ledger's index, answered per caller.

``WorksFeed.sync`` adds the works registered since its last call (their text from ``core.work_texts``) and
refreshes how many users interacted with each work; a replica calls it every ``SYNC_INTERVAL_S``. A replica that
starts (or restarts) begins from an empty catalogue and so rebuilds it from the index. A new ledger deployment
(another contract in the index) empties the catalogue first: its work ids name other works.

``WorksFeed.request`` turns a caller into a ``WorksRequest``: their history is their interactions on works plus
every license the ledger's events recorded for their address (bought or granted), and the works they own or
hold a license on are excluded.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass

import numpy as np

from core.users import Users
from core.work_texts import WorkTexts
from ledger.index_reader import IndexReader
from models.recsys.errors import UnknownItem
from models.recsys.feedback import KIND_WEIGHTS, WORKS, FeedbackStore
from models.recsys.works import Work, WorksCatalogue, WorksRequest, is_work_id

log = logging.getLogger(__name__)

SYNC_INTERVAL_S = 0.5
RETRAIN_INTERVAL_S = 60.0  # the works' ALS is refitted at most this often, when interactions changed


@dataclass(frozen=True)
class WorksAsk:
    """A caller's works recommendation as it crosses to a Recommender replica (the assistant's, through a handle):
    who asks (their history and holdings are read beside the catalogue), and ``query`` or ``liked`` work ids."""

    platform_id: str | None
    address: str | None
    query: str | None = None
    liked: tuple[int, ...] = ()
    k: int = 10


class WorksFeed:
    def __init__(self, catalogue: WorksCatalogue, index: IndexReader, db: sqlite3.Connection):
        self.catalogue, self.index = catalogue, index
        self.texts, self.feedback, self.users = WorkTexts(db), FeedbackStore(db, WORKS), Users(db)
        self._contract: str | None = None
        self._trained: tuple[float, int] = (float("-inf"), -1)  # when, on how many interactions

    def sync(self) -> int:
        """Add the works registered since the last call; returns how many."""
        contract = self.index.contract()
        if contract != self._contract:
            if self._contract is not None:
                log.info("the ledger's contract changed (%s -> %s): works catalogue rebuilt", self._contract, contract)
            self.catalogue.clear()
            self._contract = contract
        added = 0
        while batch := self.index.works_after(self.catalogue.last_id):
            texts = self.texts.texts([w.content_hash for w in batch])
            self.catalogue.add(
                [Work(w.id, w.title, w.owner, w.media_type, texts.get(w.content_hash, "")) for w in batch]
            )
            added += len(batch)
        counts = self.index.license_counts()
        for item, users in self.feedback.user_counts().items():
            if is_work_id(item):
                counts[int(item)] = counts.get(int(item), 0) + users
        self.catalogue.set_counts(counts)
        self._retrain_if_due()
        return added

    def interactions(self) -> list[tuple[str, int, float]]:
        """Every (user, work id, weight): interactions sent, and licenses under their holder's platform id."""
        platform_id = {u.address: u.platform_id for u in self.users.all() if u.address}
        rows = [
            (user, int(item), weight)
            for user, item, weight, _ in self.feedback.as_frame().itertuples(index=False)
            if is_work_id(item)
        ]
        license_weight = KIND_WEIGHTS["license"]
        return rows + [
            (platform_id.get(holder, holder), work, license_weight) for holder, work in self.index.all_licenses()
        ]

    def _retrain_if_due(self) -> None:
        collaborative = self.catalogue.collaborative
        last_time, last_count = self._trained
        if collaborative is None or time.monotonic() - last_time < RETRAIN_INTERVAL_S:
            return
        interactions = self.interactions()
        if len(interactions) != last_count:
            collaborative.fit(interactions)
            log.info("works ALS refitted on %d interactions", len(interactions))
        self._trained = (time.monotonic(), len(interactions))

    def history(self, platform_id: str, address: str | None) -> list[tuple[int, float]]:
        """The caller's works with a weight each: their interactions, and licenses from the ledger's events."""
        weights = {int(item): weight for item, weight in self.feedback.history(platform_id) if is_work_id(item)}
        for lic in self.index.licenses_of(address) if address else ():
            weights[lic.work_id] = max(weights.get(lic.work_id, 0.0), KIND_WEIGHTS["license"])
        return list(weights.items())

    def request(
        self,
        platform_id: str | None,
        address: str | None,
        query: str | None = None,
        liked: tuple[int, ...] = (),
        k: int = 10,
        exclude_seen: bool = True,
        diversity: float = 0.0,
    ) -> WorksRequest:
        history = tuple(self.history(platform_id, address)) if platform_id and not (query or liked) else ()
        held = self.index.held_by(address) if address else frozenset()
        return WorksRequest(query, liked, history, held, k, exclude_seen, diversity)

    def answer(self, request: WorksRequest, query_vector: np.ndarray | None = None) -> dict:
        """``{"items": [...]}``, each with the work's current ``terms`` (None without an offer); ``UnknownItem``
        for liked works not in the catalogue (yet). ``query_vector``: the request's query already embedded (else
        it is embedded here)."""
        self.require_known(request)
        recs = self.catalogue.recommend(request, query_vector)
        terms = self.index.terms([r.id for r in recs])
        return {"items": [{**vars(r), "terms": t.model_dump() if (t := terms.get(r.id)) else None} for r in recs]}

    def require_known(self, request: WorksRequest) -> None:
        """``UnknownItem`` for liked works not in the catalogue (yet)."""
        if unknown := self.catalogue.unknown(request.liked):
            raise UnknownItem(map(str, unknown))
