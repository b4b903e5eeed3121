"""The gateway's FastAPI application, built from plain service objects so it can be tested without Serve."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from deployments.api import generation, openai_compat, recommendations, system
from deployments.errors import install_error_handlers
from deployments.text_service import TextService
from models.recsys.feedback import FeedbackStore
from muse import __version__
from muse.users import Users


def create_api(text: TextService, recommender: Any, status: Callable[[], dict], db: sqlite3.Connection) -> FastAPI:
    """``recommender`` is a handle to the Recommender deployment (or anything with its methods)."""
    api = FastAPI(
        title="Muse",
        version=__version__,
        description="Generate, recommend and license creative work. Errors come as "
        '`{"error": {"message", "type", "param"}}`.',
    )
    api.state.text = text
    api.state.status = status
    api.state.recommender = recommender
    api.state.users = Users(db)
    api.state.feedback = FeedbackStore(db)
    install_error_handlers(api)

    @api.get("/healthz", tags=["system"], summary="Ready when the application is up")
    async def healthz() -> dict:
        return {"status": "ok"}

    api.include_router(generation.router)
    api.include_router(openai_compat.router)
    api.include_router(recommendations.router)
    api.include_router(system.router)
    return api
