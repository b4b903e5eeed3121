"""``GET /v1/system/status``: applications, deployments and replica counts (for people, tests and the demo)."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["system"])


@router.get("/v1/system/status")
async def system_status(request: Request) -> dict:
    """Per deployment: its status and how many replicas are in each state (RUNNING, STARTING, ...)."""
    return request.app.state.status()
