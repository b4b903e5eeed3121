"""Recommendation and catalogue routes: ``/v1/recommend`` (see ``create_recommend_api``), ``/v1/items``,
``/v1/interactions`` and the admin retrain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.paths import ledger_index_path
from core.users import User, is_platform_id
from ledger.index_reader import IndexReader
from deployments.api.ledger import MAX_WORK_ID
from deployments.api.auth import Caller, RequiredCaller
from deployments.errors import ApiError
from models.recsys.feedback import KIND_WEIGHTS, KINDS, FeedbackStore
from models.recsys.service import MAX_K, RecommendRequest
from models.recsys.works import is_work_id

RECOMMEND_PATH = "/v1/recommend"  # the muse-recommend application's route prefix (serve_config.yaml)
MAX_LIKED_ITEMS = 100
MAX_QUERY_CHARS = 500
MAX_INTERACTIONS_PAGE = 100
Catalogue = Literal["movies", "works"]
ItemId = Annotated[str, Path(min_length=1, max_length=64)]

router = APIRouter(tags=["recommendations"])


class RecommendBody(BaseModel):
    """Give at most one of ``user_id``, ``liked_items`` or ``query``. With none, an authenticated caller
    gets recommendations from their own interactions, anyone else popular items."""

    model_config = ConfigDict(extra="forbid")

    catalogue: Catalogue = Field("movies", description="movies (MovieLens) or works (registered on the ledger)")
    user_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="a MovieLens user, e.g. '1'; or the caller's own platform id, 'muse:{id}'",
    )
    liked_items: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, min_length=1, max_length=MAX_LIKED_ITEMS
    )
    query: str | None = Field(None, min_length=1, max_length=MAX_QUERY_CHARS, description="free text")
    k: int = Field(10, ge=1, le=MAX_K)
    exclude_seen: bool = True
    diversity: float = Field(0.0, ge=0.0, le=1.0, description="0: by relevance only; 1: most varied")
    genre: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_source(self) -> RecommendBody:
        given = [name for name in ("user_id", "liked_items", "query") if getattr(self, name)]
        if len(given) > 1:
            raise ValueError(f"give at most one of user_id, liked_items, query (got {', '.join(given)})")
        if self.catalogue == "works":
            if self.genre is not None:
                raise ValueError("genre applies to the movies catalogue only")
            if self.user_id is not None and not is_platform_id(self.user_id):
                raise ValueError("in the works catalogue user_id can only be your own platform id ('muse:{id}')")
            if self.liked_items and not all(map(is_work_id, self.liked_items)):
                raise ValueError("in the works catalogue liked_items are work ids (numbers)")
        return self


class RecommendedItem(BaseModel):
    id: str
    title: str
    score: float
    reason: str


class OfferedTerms(BaseModel):
    template: str
    fee_wei: int
    duration_s: int = Field(description="license lifetime; 0 = perpetual")
    active: bool = Field(description="on sale (the owner can grant licenses either way)")


class RecommendedWork(BaseModel):
    id: int = Field(description="the work's id on the ledger")
    title: str
    creator: str = Field(description="the owner's address")
    media_type: str
    terms: OfferedTerms | None = Field(description="the current offer, or null without one")
    score: float
    reason: str
    explore: bool = Field(description="shown in a slot kept for works with few interactions (new creators)")


class RecommendResponse(BaseModel):
    items: list[RecommendedWork] | list[RecommendedItem]


def _recommender(request: Request):
    return request.app.state.recommender


class InteractionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catalogue: Catalogue = Field(
        "movies", description="works: item_id is a work id; licenses of works are recorded from the ledger, not sent"
    )
    item_id: str = Field(min_length=1, max_length=64)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    value: float | None = Field(None, ge=0.5, le=5.0, description="stars, for kind=rate")


def _ledger_index(request: Request) -> IndexReader:
    """The ledger's index in the data directory, opened on first use (or the one a test put in the state)."""
    if getattr(request.app.state, "ledger_index", None) is None:
        request.app.state.ledger_index = IndexReader(ledger_index_path())
    return request.app.state.ledger_index


def _feedback(request: Request) -> FeedbackStore:
    return request.app.state.feedback


def _require_own_history(user_id: str, caller: User | None) -> None:
    """A platform user's id (``muse:{id}``) reads their history: only they may ask for it."""
    if caller is None:
        raise ApiError(
            401,
            f"user_id '{user_id}' is a platform user's history: only that user may ask for it, "
            "with their API key (Authorization: Bearer <key>); MovieLens user ids such as '1' are public",
            param="user_id",
            kind="authentication_error",
        )
    if user_id.strip().lower() != caller.platform_id:
        raise ApiError(
            403,
            f"user_id '{user_id}' is another platform user's history: ask for your own "
            f"('{caller.platform_id}', or leave user_id out)",
            param="user_id",
            kind="permission_error",
        )


async def recommend(body: RecommendBody, request: Request, caller: Caller):
    """Recommendations with a reason each. Unknown users get the cold-start path (popular items)."""
    if body.user_id is not None and is_platform_id(body.user_id):
        _require_own_history(body.user_id, caller)
    if body.catalogue == "works":
        return await _recommend_works(body, request, caller)
    payload = body.model_dump(exclude_none=True, exclude={"catalogue"})
    if "liked_items" in payload:
        payload["liked_items"] = tuple(payload["liked_items"])
    if body.user_id is not None and is_platform_id(body.user_id):
        del payload["user_id"]  # the caller's own: their live history, as without a user_id
    wanted = RecommendRequest(**payload)
    if caller is not None:
        wanted = wanted.for_caller(lambda: _feedback(request).history(caller.platform_id))
    return await _recommender(request).recommend(wanted)


async def _recommend_works(body: RecommendBody, request: Request, caller: User | None):
    """The works catalogue: the caller's history includes their licenses; what they own or hold is left out."""
    recommender = _recommender(request)
    works_request = recommender.works.request(
        caller and caller.platform_id,
        caller and caller.address,
        body.query,
        tuple(int(i) for i in body.liked_items or ()),
        body.k,
        body.exclude_seen,
        body.diversity,
    )
    return await recommender.recommend_works(works_request)


@router.get("/v1/items")
async def search_items(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=MAX_K)] = 20,
) -> dict:
    """Catalogue items whose title, genre or tag contains ``q``, most interacted first."""
    return {"items": await _recommender(request).search.remote(q, limit)}


@router.get("/v1/items/{item_id}")
async def get_item(item_id: ItemId, request: Request) -> dict:
    item = await _recommender(request).item.remote(item_id)
    if item is None:
        raise ApiError(404, f"no item '{item_id}'", param="item_id", kind="not_found_error")
    return item


@router.get("/v1/items/{item_id}/similar", response_model=RecommendResponse)
async def similar_items(item_id: ItemId, request: Request, k: Annotated[int, Query(ge=1, le=MAX_K)] = 10):
    items = await _recommender(request).similar.remote(item_id, k)
    if items is None:
        raise ApiError(404, f"no item '{item_id}'", param="item_id", kind="not_found_error")
    return {"items": items}


@router.post("/v1/interactions", status_code=201)
async def add_interaction(body: InteractionBody, request: Request, caller: RequiredCaller) -> dict:
    """Record that the caller viewed, liked, rated (``value`` 0.5-5) or licensed an item. It counts in
    the caller's very next recommendations."""
    if body.kind == "rate" and body.value is None:
        raise ApiError(422, "a rating needs a value from 0.5 to 5", param="value")
    if body.catalogue == "works":
        await _require_work(request, body)
        store = request.app.state.work_feedback
    else:
        if await _recommender(request).item.remote(body.item_id) is None:
            raise ApiError(404, f"no item '{body.item_id}'", param="item_id", kind="not_found_error")
        store = _feedback(request)
    stored = store.add(caller.platform_id, body.item_id, body.kind, body.value)
    return {
        "catalogue": body.catalogue,
        "item_id": stored.item_id,
        "kind": stored.kind,
        "weight": stored.weight,
        "created_at": stored.created_at,
    }


async def _require_work(request: Request, body: InteractionBody) -> None:
    if body.kind == "license":
        raise ApiError(
            422,
            "licenses of works are recorded from the ledger when they are bought or granted: "
            "POST /v1/works/{id}/licenses",
            param="kind",
        )
    if not is_work_id(body.item_id) or not 1 <= int(body.item_id) <= MAX_WORK_ID:
        raise ApiError(422, "in the works catalogue item_id is a work id (a number from 1)", param="item_id")
    await request.app.state.ledger.work.remote(int(body.item_id))  # NotFound: a 404 naming the work


@router.get("/v1/interactions")
async def list_interactions(
    request: Request,
    caller: RequiredCaller,
    catalogue: Catalogue = "movies",
    limit: Annotated[int, Query(ge=1, le=MAX_INTERACTIONS_PAGE)] = 50,
) -> dict:
    """The caller's own interactions, newest first. In the works catalogue these include every license the
    ledger recorded for the caller's account (bought or granted), as ``kind: license``."""
    store = _feedback(request) if catalogue == "movies" else request.app.state.work_feedback
    items = [
        {"item_id": i.item_id, "kind": i.kind, "weight": i.weight, "created_at": i.created_at}
        for i in store.records(caller.platform_id, limit)
    ]
    if catalogue == "movies":
        return {"items": items}
    licenses = _ledger_index(request).licenses_of(caller.address) if caller.address else []
    items += [
        {"item_id": str(lic.work_id), "kind": "license", "weight": KIND_WEIGHTS["license"], "block": lic.block}
        for lic in reversed(licenses)
    ]
    return {"items": items[:limit]}


@router.post("/v1/admin/retrain", tags=["admin"])
async def retrain(request: Request, caller: RequiredCaller) -> dict:
    """Retrain the recommender on the catalogue plus every platform interaction (admin key). Replicas keep
    serving and swap the new model in when it is ready."""
    if not caller.is_admin:
        raise ApiError(403, "retraining needs an admin key (muse users add NAME --admin)", kind="permission_error")
    return {"retrained": await _recommender(request).retrain.remote()}
