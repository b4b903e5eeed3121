"""Muse's metrics from the real application: after some traffic, ``GET /v1/system/metrics`` shows Serve's
per-deployment request counts and rates and Muse's own counters, read from Ray's Prometheus export."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

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


def test_serve_status_and_the_dashboard_work_against_muse_serve(server):
    """Ray's own tools see Muse's applications: `serve status` talks to the dashboard on 127.0.0.1."""
    serve_cli = Path(sys.executable).with_name("serve")
    out = subprocess.run(
        [str(serve_cli), "status", "-a", f"http://127.0.0.1:{server.dashboard_port}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )
    assert out.returncode == 0, out.stderr
    status = yaml.safe_load(out.stdout)
    assert {"muse", "muse-recommend"} <= set(status["applications"])
    assert all(status["applications"][name]["status"] == "RUNNING" for name in ("muse", "muse-recommend"))
    assert "Generator" in status["applications"]["muse"]["deployments"]


def test_healthz_is_ok_once_both_applications_run(server):
    answer = httpx.get(f"{server.url}/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
