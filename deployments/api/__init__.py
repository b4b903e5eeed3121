"""The gateway's FastAPI application, built from plain service objects so it can be tested without Serve."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from common.request_ids import RequestIds
from deployments.api import embeddings, generation, openai_compat, recommendations, system
from deployments.api import chat as chat_routes
from deployments.api import ledger as ledger_routes
from deployments.api.body_limits import BodyLimits
from deployments.api.limits import GatewayLimits, RequestLimits
from deployments.api.rate_limits import rate_limited, rate_limits
from deployments.errors import ERROR_RESPONSES, install_error_handlers
from deployments.text_service import TextService
from models.recsys.feedback import WORKS, FeedbackStore
from core import __version__
from core.users import Users
from core.work_texts import WorkTexts


HEALTH_RECHECK_S = 5.0
UPLOAD_PATHS = ("/v1/works",)  # bodies up to max_upload_bytes


def _base_api(
    title: str,
    db: sqlite3.Connection,
    limits: RequestLimits,
    upload_paths: tuple[str, ...] = (),
    max_upload_bytes: int | None = None,
) -> FastAPI:
    """What every Muse HTTP app shares: callers from the users table, interactions, the error shape, request
    ids and body limits."""
    api = FastAPI(
        title=title,
        version=__version__,
        description="Generate, recommend and license creative work. Errors come as "
        '`{"error": {"message", "type", "param"}}`.',
        responses=ERROR_RESPONSES,
    )
    api.state.users = Users(db)
    api.state.feedback = FeedbackStore(db)
    api.state.work_feedback = FeedbackStore(db, WORKS)
    api.state.work_texts = WorkTexts(db)
    install_error_handlers(api)
    api.add_middleware(
        BodyLimits,
        max_body_bytes=limits.max_body_bytes,
        max_json_depth=limits.max_json_depth,
        max_upload_bytes=max_upload_bytes,
        upload_paths=upload_paths,
    )
    api.add_middleware(RequestIds)  # outermost: every answer, a refused body's too, has its request id
    return api


def create_api(
    text: TextService,
    recommender: Any,
    ledger: Any,
    status: Callable[[], dict],
    db: sqlite3.Connection,
    chat: chat_routes.ChatService | None = None,
    limits: GatewayLimits = GatewayLimits(),
    ready_apps: Sequence[str] = (),
) -> FastAPI:
    """The gateway's app. ``recommender`` and ``ledger`` are handles to those deployments (or anything with
    their ``method.remote(...)``); ``/v1/recommend`` itself is served by the Recommender replicas
    (``create_recommend_api``). ``chat`` is the assistant (its routes are left out without it). The demo at
    ``/ui`` is an application of its own (``muse/demo_app.py``). ``/healthz`` answers 503 until every
    application in ``ready_apps`` runs."""
    api = _base_api("Muse", db, limits, UPLOAD_PATHS, limits.max_upload_bytes)
    api.state.rate_limits = rate_limits(limits)
    api.state.text = text
    api.state.status = status
    api.state.recommender = recommender
    api.state.ledger = ledger
    api.state.chat = chat

    @api.get(
        "/healthz",
        tags=["system"],
        summary="200 when every Muse application serves, else 503",
        responses={503: {"description": "an application is still starting (or failed)"}},
    )
    async def healthz() -> JSONResponse:
        """Serve's status is read at most every ``HEALTH_RECHECK_S`` once all is well: this route is also the
        serving floor the benchmarks compare against, and a status read asks Serve's controller."""
        if ready_apps and time.monotonic() - checked_ok[0] > HEALTH_RECHECK_S:
            apps = status()["applications"]
            waiting = {
                name: apps[name]["status"] if name in apps else "NOT_STARTED"
                for name in ready_apps
                if apps.get(name, {}).get("status") != "RUNNING"
            }
            if waiting:
                return JSONResponse(
                    {"status": "starting", "applications": waiting}, status_code=503, headers={"Retry-After": "2"}
                )
            checked_ok[0] = time.monotonic()
        return JSONResponse({"status": "ok"})

    checked_ok = [float("-inf")]

    api.include_router(generation.router, dependencies=[rate_limited("generation")])
    api.include_router(openai_compat.router, dependencies=[rate_limited("generation")])
    api.include_router(embeddings.router, dependencies=[rate_limited("generation")])
    api.include_router(recommendations.router)
    api.include_router(ledger_routes.router, dependencies=[rate_limited("ledger_writes")])
    if chat is not None:
        api.include_router(chat_routes.router, dependencies=[rate_limited("chat")])
        chat.app = api  # a planner model served here is reached through this app, in-process
    api.include_router(system.router)
    _document_recommend_app(api)
    return api


def create_recommend_api(recommender: Any, db: sqlite3.Connection, limits: RequestLimits = RequestLimits()) -> FastAPI:
    """``POST /v1/recommend``, served by the Recommender replicas themselves as their own Serve application
    (route prefix ``/v1/recommend``): the hottest route then costs no hop from the gateway to them.
    ``recommender`` has an awaitable ``recommend(request: dict) -> dict``."""
    api = _base_api("Muse recommendations", db, limits)
    api.state.recommender = recommender
    _recommend_routes(api, "")  # relative to the application's route prefix, RECOMMEND_PATH
    return api


def _recommend_routes(api: FastAPI | APIRouter, prefix: str) -> None:
    """What the ``muse-recommend`` application serves, under ``prefix``."""
    api.post(
        prefix,
        response_model=recommendations.RecommendResponse,
        tags=["recommendations"],
        summary="Recommendations with a reason each",
    )(recommendations.recommend)


def _document_recommend_app(api: FastAPI) -> None:
    """The gateway's ``/openapi.json`` (and so ``/docs``) also documents the routes of ``muse-recommend``, at its
    route prefix: one schema for the whole HTTP API. They are documented only: Serve's proxy sends that prefix to
    the Recommender replicas, never to the gateway."""
    elsewhere = APIRouter(responses=ERROR_RESPONSES)  # as the app it documents gives every route
    _recommend_routes(elsewhere, recommendations.RECOMMEND_PATH)

    def openapi() -> dict:
        if api.openapi_schema is None:
            api.openapi_schema = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=[*api.routes, *elsewhere.routes],
            )
        return api.openapi_schema

    api.openapi = openapi
