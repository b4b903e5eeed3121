"""Reading Ray's Prometheus export into rates and windowed latency percentiles (deployments.metrics)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from deployments.metrics import MetricsReader

LABELS = 'application="muse",deployment="Generator",replica="r1"'


def export(requests: int, errors: int, fast: int, slow: int, tokens: int) -> str:
    """A scrape in Ray's format: Serve's counters and latency histogram (cumulative buckets), Muse's counter."""
    return f"""# TYPE ray_serve_deployment_request_counter_total counter
ray_serve_deployment_request_counter_total{{{LABELS}}} {requests}
# TYPE ray_serve_deployment_error_counter_total counter
ray_serve_deployment_error_counter_total{{{LABELS}}} {errors}
# TYPE ray_serve_deployment_processing_latency_ms histogram
ray_serve_deployment_processing_latency_ms_bucket{{{LABELS},le="10.0"}} {fast}
ray_serve_deployment_processing_latency_ms_bucket{{{LABELS},le="100.0"}} {fast + slow}
ray_serve_deployment_processing_latency_ms_bucket{{{LABELS},le="+Inf"}} {fast + slow}
ray_serve_deployment_processing_latency_ms_count{{{LABELS}}} {fast + slow}
ray_serve_deployment_processing_latency_ms_sum{{{LABELS}}} 1.0
# TYPE ray_muse_tokens_generated_total counter
ray_muse_tokens_generated_total{{{LABELS}}} {tokens}
"""


def test_rates_and_percentiles_cover_the_window_between_scrapes():
    scrapes = iter([export(100, 1, 90, 10, 1000), export(160, 1, 90, 70, 4000)])
    clock = iter([0.0, 10.0])
    reader = MetricsReader(
        "http://metrics.invalid/metrics",
        clock=lambda: next(clock),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, text=next(scrapes))),
    )

    first = asyncio.run(reader.snapshot())
    assert first["deployments"]["Generator"]["requests_total"] == 100
    assert first["deployments"]["Generator"]["requests_per_s"] is None  # no window yet

    second = asyncio.run(reader.snapshot())
    generator = second["deployments"]["Generator"]
    assert second["window_s"] == 10.0
    assert generator["requests_per_s"] == pytest.approx(6.0) and generator["errors_per_s"] == 0
    # In the window all 60 requests were slow (the fast bucket did not grow): both quantiles are interpolated
    # inside the 10-100 ms bucket, not its upper bound.
    assert generator["p50_ms"] == 55.0 and generator["p99_ms"] == 99.1
    assert second["muse"]["muse_tokens_generated|"] == {"total": 4000, "per_s": pytest.approx(300.0)}
    assert second["sample"]["at"] == 10.0  # the scrape itself, for clients with windows of their own
    assert second["sample"]["counters"]["serve_deployment_request_counter_total|Generator"] == {
        "application=muse,deployment=Generator,replica=r1": 160
    }


def test_another_callers_snapshot_does_not_reset_the_window():
    """Three callers a few seconds apart: the last one's rates still span the minute, not the 1 s since the
    second call."""
    scrapes = iter([export(0, 0, 0, 0, 0), export(600, 0, 600, 0, 0), export(601, 0, 601, 0, 0)])
    clock = iter([0.0, 60.0, 61.0])
    reader = MetricsReader(
        "http://metrics.invalid/metrics",
        clock=lambda: next(clock),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, text=next(scrapes))),
    )
    for _ in range(2):
        asyncio.run(reader.snapshot())
    third = asyncio.run(reader.snapshot({"Generator": 2}))
    assert third["window_s"] == 61.0  # back to the latest scrape at least a minute older (t=0), not t=60
    assert third["deployments"]["Generator"]["requests_per_s"] == pytest.approx(601 / 61, abs=0.01)
    assert third["deployments"]["Generator"]["replicas"] == 2
