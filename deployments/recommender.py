"""The Recommender deployment: concurrent requests are folded into one batched scoring call.

It is the ingress of its own Serve application, ``muse-recommend`` at ``/v1/recommend``: the proxy sends
that route straight to these replicas, so a recommendation costs one hop, as a request to the gateway
does. The gateway reaches the other methods (items, similar, search, retrain, and ``embed`` for
``POST /v1/embeddings``) through a handle.

A full retrain (``muse train-recs`` or ``POST /v1/admin/retrain``) writes a new model file; every
replica checks the file during its health checks and swaps the new model in, serving throughout.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import asdict
from pathlib import Path

import numpy as np
from fastapi import FastAPI
from ray import serve
from threadpoolctl import threadpool_limits

from deployments.api import create_recommend_api
from deployments.api.limits import RequestLimits
from deployments.metrics import counter
from models.recsys.content import Embeddings, embed_many
from models.recsys.errors import UnknownItem
from models.recsys.service import RecommenderService, RecommendRequest
from core.paths import MOVIELENS
from core.paths import ledger_index_path
from core.recs_model import load_or_train, model_path, train_and_save
from core.users import connect
from core.works import SYNC_INTERVAL_S, WorksAsk, WorksFeed
from ledger.index_reader import IndexReader
from models.recsys.works import WorksCatalogue, WorksPolicy, WorksRequest
from models.recsys.query_vectors import QueryVectors
from models.recsys.works_cf import WorksCollaborative

log = logging.getLogger("ray.serve")

MAX_BATCH = 32
MAX_EMBED_BATCH = 8  # embedding requests per encoder pass: each may hold up to 128 texts, and all wait for the pass


def resolve_catalogue(catalogue: str) -> Path:
    """``bundled`` means MovieLens latest-small shipped in the repository."""
    return MOVIELENS if catalogue == "bundled" else Path(catalogue)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


@serve.deployment(name="Recommender")
@serve.ingress()
class Recommender:
    """Its methods are ``async`` although they compute: each takes well under a millisecond, and Serve
    would otherwise hand every call to a thread pool, which costs more than the work."""

    def __init__(
        self,
        catalogue: str = "bundled",
        limits: RequestLimits = RequestLimits(),
        works_policy: WorksPolicy = WorksPolicy(),
    ):
        threadpool_limits(1)  # implicit and BLAS threads fight on small machines (see README)
        self._catalogue = resolve_catalogue(catalogue)
        self._service: RecommenderService = load_or_train(self._catalogue)
        self._loaded_mtime = _mtime(model_path())
        self._reloading: asyncio.Task | None = None
        catalogue = WorksCatalogue(
            lambda texts: self._service.content.encode(texts), works_policy, WorksCollaborative()
        )
        self.works = WorksFeed(catalogue, IndexReader(ledger_index_path()), connect())
        self._queries = QueryVectors()
        self._stopping = threading.Event()
        threading.Thread(target=self._follow_works, name="works-feed", daemon=True).start()
        self._api = create_recommend_api(self, connect(), limits)

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self._api

    async def recommend(self, request: RecommendRequest) -> dict:
        """``{"items": [...]}``; ``UnknownItem`` when liked items (or items of the history) are not in the
        catalogue."""
        if unknown := self._service.unknown_items([*request.liked_items, *(i for i, _ in request.history)]):
            raise UnknownItem(unknown)
        return {"items": await self._recommend_batch(request)}

    # No waiting for a batch to fill: whatever queued while the previous batch was scored goes together.
    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=0.0)
    async def _recommend_batch(self, requests: list[RecommendRequest]) -> list[list[dict]]:
        counter("muse_recommendations").inc(len(requests))
        return [[asdict(r) for r in recs] for recs in self._service.recommend_many(requests)]

    async def recommend_works(self, request: WorksRequest) -> dict:
        """``{"items": [...]}``; ``UnknownItem`` when liked works are not in the catalogue (yet). Scored right
        here (well under a millisecond); only the query's embedding, the one costly step, is batched with
        concurrent requests' queries, and skipped for a query embedded recently."""
        self.works.require_known(request)  # before embedding: an unknown work costs nothing
        vector = await self._query_vector(request.query) if request.query else None
        answer = self.works.answer(request, vector)
        counter("muse_recommendations").inc()
        if explored := sum(item["explore"] for item in answer.get("items", ())):
            counter("muse_works_explore_impressions").inc(explored)
        return answer

    async def _query_vector(self, text: str) -> np.ndarray:
        vector = self._queries.get(text)
        if vector is None:
            vector = await self._embed_queries(text)
            self._queries.put(text, vector)
        return vector

    async def recommend_works_for(self, ask: WorksAsk) -> dict:
        """``recommend_works`` for a caller named in ``ask``: their history and holdings are read here."""
        return await self.recommend_works(self.works.request(ask.platform_id, ask.address, ask.query, ask.liked, ask.k))

    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=0.0)
    async def _embed_queries(self, texts: list[str]) -> list[np.ndarray]:
        """The new queries of concurrent requests through MiniLM in one call. On the event loop, not in a worker
        thread: measured at 10 clients, a thread starved for the GIL by the busy loop (query p99 315 ms)."""
        unique = list(dict.fromkeys(texts))
        vectors = dict(zip(unique, self.works.catalogue.embed(unique)))
        return [vectors[text] for text in texts]

    async def embed(self, texts: list[str]) -> Embeddings:
        """``POST /v1/embeddings``: the MiniLM vectors of ``texts``, from the encoder the recommendations use (held
        here, so no second copy of the model and the same vectors)."""
        return await self._embed_batch(texts)

    @serve.batch(max_batch_size=MAX_EMBED_BATCH, batch_wait_timeout_s=0.0)
    async def _embed_batch(self, requests: list[list[str]]) -> list[Embeddings]:
        """Concurrent requests' texts in one encoder pass, on a worker thread: torch releases the GIL, so this
        replica's recommendations go on meanwhile (``ContentIndex.embed`` takes the encoder a chunk at a time)."""
        return await asyncio.to_thread(embed_many, self._service.content, requests)

    def _follow_works(self) -> None:
        """Add newly registered works to the catalogue every ``SYNC_INTERVAL_S``, for the replica's lifetime."""
        while not self._stopping.wait(SYNC_INTERVAL_S):
            try:
                if added := self.works.sync():
                    log.info("works catalogue: %d new works (%d in all)", added, len(self.works.catalogue))
            except Exception:  # a damaged or locked index must not end the loop: log and try again
                log.exception("works catalogue: sync failed")

    async def item(self, item_id: str) -> dict | None:
        return self._service.item(item_id) if not self._service.unknown_items([item_id]) else None

    async def similar(self, item_id: str, k: int) -> list[dict] | None:
        if self._service.unknown_items([item_id]):
            return None
        return [asdict(r) for r in self._service.similar(item_id, k)]

    async def search(self, text: str, limit: int) -> list[dict]:
        return self._service.search(text, limit)

    async def retrain(self) -> dict:
        """Full retrain in a worker thread; this replica keeps serving the old model until it is done."""
        service, stats = await asyncio.to_thread(train_and_save, self._catalogue)
        self._service, self._loaded_mtime = service, _mtime(model_path())
        return stats

    def __del__(self) -> None:
        self._stopping.set()

    async def check_health(self) -> None:
        """Also the hook that picks up a model another process wrote (loaded off the event loop)."""
        if self._reloading is None and _mtime(model_path()) > self._loaded_mtime:
            self._reloading = asyncio.create_task(self._reload())

    async def _reload(self) -> None:
        mtime = _mtime(model_path())
        try:
            self._service = await asyncio.to_thread(load_or_train, self._catalogue)
            self._loaded_mtime = mtime
            log.info("recommender model reloaded from %s", model_path())
        finally:
            self._reloading = None
