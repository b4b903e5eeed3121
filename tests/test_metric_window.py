"""Rates and quantiles over a sliding window of Prometheus samples (common.metric_window)."""

from __future__ import annotations

import pytest

from common.metric_window import MetricsSample, MetricsWindow, bucket_increase, histogram_quantile, parse_sample

EXPORT = """# TYPE ray_serve_deployment_request_counter_total counter
ray_serve_deployment_request_counter_total{deployment="Gateway",replica="a"} 10
ray_serve_deployment_request_counter_total{deployment="Gateway",replica="b"} 5
# TYPE ray_serve_deployment_processing_latency_ms histogram
ray_serve_deployment_processing_latency_ms_bucket{deployment="Gateway",replica="a",le="10.0"} 4
ray_serve_deployment_processing_latency_ms_bucket{deployment="Gateway",replica="a",le="+Inf"} 10
ray_serve_deployment_processing_latency_ms_count{deployment="Gateway",replica="a"} 10
ray_serve_deployment_processing_latency_ms_sum{deployment="Gateway",replica="a"} 300.0
# TYPE ray_muse_tokens_generated_total counter
ray_muse_tokens_generated_total{deployment="Generator",replica="g",kind="text"} 42
# TYPE ray_other_total counter
ray_other_total{deployment="Gateway"} 7
"""


def sample(
    at: float, requests: dict[str, float], buckets: dict[str, dict[str, float]] | None = None, replicas: int = 1
) -> MetricsSample:
    """Gateway's request totals per replica, its latency buckets per replica, its running replicas."""
    return MetricsSample(
        at=at,
        counters={"serve_deployment_request_counter_total|Gateway": requests},
        histograms={"Gateway": buckets or {}},
        replicas={"Gateway": replicas},
    )


def test_parse_groups_series_by_deployment_and_keeps_bucket_bounds_as_written():
    parsed = parse_sample(EXPORT, 5.0, ["muse_tokens_generated"])
    assert parsed.counters["serve_deployment_request_counter_total|Gateway"] == {
        "deployment=Gateway,replica=a": 10,
        "deployment=Gateway,replica=b": 5,
    }
    assert parsed.histograms["Gateway"] == {"deployment=Gateway,replica=a": {"10.0": 4, "+Inf": 10}}
    assert parsed.counters["muse_tokens_generated|text"] == {"deployment=Generator,kind=text,replica=g": 42}
    assert not any(key.startswith("other") for key in parsed.counters)
    assert MetricsSample.model_validate_json(parsed.model_dump_json()) == parsed  # JSON-safe, +Inf included


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.5, 150.0),  # rank 50: 40 at or below 100 ms, then 10 of the 20 in (100, 200]
        (0.2, 50.0),  # rank 20 in the first bucket: interpolated from 0
        (0.9, 350.0),  # rank 90: 30 of the 40 in (200, 400]
    ],
)
def test_histogram_quantile_interpolates_inside_the_bucket(q, expected):
    buckets = {100.0: 40, 200.0: 60, 400.0: 100, float("inf"): 100}
    assert histogram_quantile(q, buckets) == pytest.approx(expected)


def test_histogram_quantile_in_the_inf_bucket_is_the_highest_finite_bound_and_none_without_data():
    assert histogram_quantile(0.99, {10.0: 50, 100.0: 90, float("inf"): 100}) == 100.0
    assert histogram_quantile(0.5, {10.0: 0, float("inf"): 0}) is None
    assert histogram_quantile(0.5, {}) is None


def test_rates_span_the_window_and_restarted_or_vanished_replicas_do_not_go_negative():
    window = MetricsWindow()
    window.add(sample(0, {"a": 100, "b": 50}))
    window.add(sample(10, {"a": 130, "c": 20}))  # b gone (adds nothing), c new (counts from zero)
    summary = window.summary(over_s=60)
    assert summary["window_s"] == 10.0
    assert summary["deployments"]["Gateway"]["requests_per_s"] == 5.0  # (30 + 20) / 10
    assert summary["deployments"]["Gateway"]["requests_total"] == 150
    window.add(sample(20, {"a": 5, "c": 20}))  # a restarted: its 5 are new
    assert window.summary(over_s=5)["deployments"]["Gateway"]["requests_per_s"] == 0.5


def test_window_quantiles_use_only_the_observations_inside_the_window():
    window = MetricsWindow()
    window.add(sample(0, {"a": 100}, {"a": {"10.0": 100, "100.0": 100, "+Inf": 100}}))
    window.add(sample(30, {"a": 160}, {"a": {"10.0": 100, "100.0": 160, "+Inf": 160}}))
    gateway = window.summary(over_s=60)["deployments"]["Gateway"]
    assert gateway["p50_ms"] == 55.0 and gateway["p99_ms"] == 99.1  # all 60 new ones in (10, 100]
    assert bucket_increase({"a": {"10.0": 3, "+Inf": 4}}, {"a": {"10.0": 90, "+Inf": 100}}) == {
        10.0: 3,
        float("inf"): 4,
    }


def test_two_viewers_windows_are_independent():
    """One viewer reading often does not shorten the other's span, nor change its figures."""
    first, second = MetricsWindow(), MetricsWindow()
    first.add(sample(0, {"a": 0}))
    for at in range(10, 121, 10):
        second.add(sample(at, {"a": at}))
    first.add(sample(120, {"a": 120 * 3}))
    assert first.summary(over_s=60)["window_s"] == 120.0
    assert first.summary(over_s=60)["deployments"]["Gateway"]["requests_per_s"] == 3.0
    assert second.summary(over_s=60)["window_s"] == 60.0
    assert second.summary(over_s=60)["deployments"]["Gateway"]["requests_per_s"] == 1.0


def test_the_window_forgets_what_left_its_span_and_thins_close_samples():
    window = MetricsWindow(span_s=100, min_step_s=1)
    for at in (0, 50, 100, 100.2, 100.4, 150):
        window.add(sample(at, {"a": at}))
    window.add(sample(149, {"a": 0}))  # older than the newest: ignored
    assert [s.at for s in window.samples] == [50, 100, 150]  # 100.2 and 100.4 were each replaced by the next
    assert window.summary(over_s=1000)["window_s"] == 100.0  # the oldest kept when none is old enough
    assert window.summary(over_s=60)["deployments"]["Gateway"]["replicas"] == 1


def test_series_gives_each_sample_its_summary_for_plots():
    window = MetricsWindow()
    for at, requests, replicas in ((0, 0, 1), (10, 20, 1), (20, 80, 2)):
        window.add(sample(at, {"a": requests}, replicas=replicas))
    points = window.series(over_s=10)
    assert [at for at, _ in points] == [0, 10, 20]
    assert [p["deployments"]["Gateway"]["requests_per_s"] for _, p in points] == [None, 2.0, 6.0]
    assert [p["deployments"]["Gateway"]["replicas"] for _, p in points] == [1, 1, 2]
