"""The Recommender deployment: concurrent requests are folded into one batched scoring call."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ray import serve
from threadpoolctl import threadpool_limits

from models.recsys.service import RecommenderService, RecommendRequest
from muse.paths import MOVIELENS, muse_home

MAX_BATCH = 32


def resolve_catalogue(catalogue: str) -> Path:
    """``bundled`` means MovieLens latest-small shipped in the repository."""
    return MOVIELENS if catalogue == "bundled" else Path(catalogue)


@serve.deployment(name="Recommender")
class Recommender:
    """Its methods are ``async`` although they compute: each takes well under a millisecond, and Serve
    would otherwise hand every call to a thread pool, which costs more than the work."""

    def __init__(self, catalogue: str = "bundled"):
        threadpool_limits(1)  # implicit and BLAS threads fight on small machines (see README)
        self._service = RecommenderService.train(resolve_catalogue(catalogue), muse_home() / "recsys")

    async def recommend(self, request: dict) -> dict:
        """``{"items": [...]}``, or ``{"unknown_items": [...]}`` when liked items are not in the catalogue."""
        history = tuple((item, float(weight)) for item, weight in request.get("history", ()))
        unknown = self._service.unknown_items(list(request.get("liked_items", ())) + [i for i, _ in history])
        if unknown:
            return {"unknown_items": unknown}
        return {"items": await self._recommend_batch(RecommendRequest(**{**request, "history": history}))}

    # No waiting for a batch to fill: whatever queued while the previous batch was scored goes together.
    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=0.0)
    async def _recommend_batch(self, requests: list[RecommendRequest]) -> list[list[dict]]:
        return [[asdict(r) for r in recs] for recs in self._service.recommend_many(requests)]

    async def item(self, item_id: str) -> dict | None:
        return self._service.item(item_id) if not self._service.unknown_items([item_id]) else None

    async def similar(self, item_id: str, k: int) -> list[dict] | None:
        if self._service.unknown_items([item_id]):
            return None
        return [asdict(r) for r in self._service.similar(item_id, k)]

    async def search(self, text: str, limit: int) -> list[dict]:
        return self._service.search(text, limit)
