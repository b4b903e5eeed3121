"""Muse's metrics from the real application: after some traffic, ``GET /v1/system/metrics`` shows Serve's
per-deployment request counts and rates and Muse's own counters, read from Ray's Prometheus export."""

from __future__ import annotations

import time

import httpx

EXPORT_WAIT_S = 90  # Ray exports metrics every few seconds


def test_metrics_show_requests_per_deployment_and_tokens_generated(server):
    client = httpx.Client(base_url=server.url, timeout=120)
    for _ in range(3):
        assert client.post("/v1/generate", json={"prompt": "ROMEO:\n", "max_new_tokens": 8}).status_code == 200
    deadline = time.monotonic() + EXPORT_WAIT_S
    while True:
        metrics = client.get("/v1/system/metrics").json()
        tokens = sum(v["total"] for k, v in metrics.get("muse", {}).items() if k.startswith("muse_tokens_generated"))
        generator = metrics.get("deployments", {}).get("Generator", {})
        if tokens >= 24 and generator.get("requests_total", 0) >= 3:
            break
        assert time.monotonic() < deadline, f"metrics never showed the traffic: {metrics}"
        time.sleep(2)
    assert {"Gateway", "Generator"} <= set(metrics["deployments"])
    assert metrics["window_s"] > 0 and generator["requests_per_s"] is not None
