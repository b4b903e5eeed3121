"""The demo's System tab as data: replicas per deployment, request rates and latency quantiles over the viewer's
own window of metric samples (``common/metric_window.py``), and the series its plots draw."""

from __future__ import annotations

from typing import Any

import pandas as pd

from common.metric_window import MetricsSample, MetricsWindow
from muse.client import MuseClient, MuseError

REPLICA_HEADERS = ["application", "deployment", "status", "replicas"]
METRIC_HEADERS = ["deployment", "replicas", "requests/s", "errors/s", "p50 ms", "p99 ms", "requests (total)"]
PLOT_SPAN_S = 300.0  # the plots show the last 5 minutes of the viewer's samples
RATE_WINDOW_S = 60.0  # the table's rates and quantiles span a minute
PLOT_RATE_S = 15.0  # each plotted rate spans the 15 s before its point
REFRESH_S = 5.0


def new_window() -> MetricsWindow:
    """A viewer's own window (one per browser session)."""
    return MetricsWindow(span_s=PLOT_SPAN_S)


def replica_rows(status: dict) -> list[list[str]]:
    rows = []
    for app_name, app in sorted(status.get("applications", {}).items()):
        for name, deployment in sorted(app.get("deployments", {}).items()):
            replicas = ", ".join(f"{state}: {n}" for state, n in sorted(deployment.get("replicas", {}).items()))
            rows.append([app_name, name, deployment.get("status", ""), replicas or "none"])
    return rows


def metric_rows(summary: dict) -> list[list[Any]]:
    return [
        [name, d["replicas"], d["requests_per_s"], d["errors_per_s"], d["p50_ms"], d["p99_ms"], d["requests_total"]]
        for name, d in summary["deployments"].items()
    ]


def plot_frames(window: MetricsWindow) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Running replicas and requests/s per deployment at each sample (long format: time, deployment, value)."""
    replicas, rates = [], []
    for at, summary in window.series(PLOT_RATE_S):
        time = pd.Timestamp(at, unit="s")
        for name, d in summary["deployments"].items():
            if d["replicas"] is not None:
                replicas.append((time, name, d["replicas"]))
            if d["requests_per_s"] is not None:
                rates.append((time, name, d["requests_per_s"]))
    return (
        pd.DataFrame(replicas, columns=["time", "deployment", "replicas"]),
        pd.DataFrame(rates, columns=["time", "deployment", "requests/s"]),
    )


def refresh(client: MuseClient, window: MetricsWindow) -> tuple[list, list, str, pd.DataFrame, pd.DataFrame]:
    """Read Muse's status and one metrics sample into ``window``: the replicas table, the metrics table, a
    caption, and the two plots' frames."""
    replicas = replica_rows(client.system_status())
    try:
        metrics = client.system_metrics()
    except MuseError as exc:
        return replicas, [], f"Request metrics: not available ({exc.message})", *plot_frames(window)
    if metrics is None:
        return replicas, [], "Request metrics: not available on this Muse", *plot_frames(window)
    window.add(MetricsSample.model_validate(metrics["sample"]))
    summary = window.summary(RATE_WINDOW_S)
    caption = (
        f"Request rates and latency over the last {summary['window_s']} s of this page's samples"
        if summary["window_s"]
        else "Request rates: collecting (a second sample is needed)"
    )
    return replicas, metric_rows(summary), caption, *plot_frames(window)
