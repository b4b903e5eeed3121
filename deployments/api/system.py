"""``GET /v1/system/status`` (applications, deployments, replica counts) and ``GET /v1/system/metrics``
(request rates, errors and latency per deployment, Muse's own counters): for people, tests and the demo."""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request

from common.request_ids import hidden_failure
from deployments.errors import ApiError

log = logging.getLogger("ray.serve")
router = APIRouter(tags=["system"])


@router.get("/v1/system/status")
async def system_status(request: Request) -> dict:
    """Per deployment: its status and how many replicas are in each state (RUNNING, STARTING, ...)."""
    return request.app.state.status()


def running_replicas(status: dict) -> dict[str, int]:
    """Running replicas per deployment, from ``GET /v1/system/status``'s answer."""
    return {
        name: deployment["replicas"].get("RUNNING", 0)
        for app in status["applications"].values()
        for name, deployment in app["deployments"].items()
    }


@router.get("/v1/system/metrics")
async def system_metrics(request: Request) -> dict:
    """From Ray's Prometheus export, over this replica's scrapes of the last minute (``window_s``, whoever
    called): per deployment requests/s, errors/s, processing latency p50/p99 (interpolated in the histogram's
    buckets) and running replicas; Muse's tokens, recommendations and ledger transactions. ``sample`` is the
    scrape's totals, for a client that computes rates over a window of its own. Ray exports every few
    seconds, so figures trail the traffic a little."""
    reader = getattr(request.app.state, "metrics", None)
    if reader is None:
        raise ApiError(
            503,
            "metrics are not available: Muse was started without a metrics endpoint "
            "(set MUSE_METRICS_URL to Ray's Prometheus /metrics URL)",
            kind="service_unavailable",
        )
    try:
        return await reader.snapshot(running_replicas(request.app.state.status()))
    except httpx.HTTPError as exc:
        raise ApiError(503, hidden_failure(log, "cannot read the metrics", exc), kind="service_unavailable") from exc
