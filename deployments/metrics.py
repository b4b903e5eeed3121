"""Metrics: Muse's own counters, exported by Ray with Serve's, and a reader of that export for people.

The counters (``ray.serve.metrics``, tagged with deployment and replica by Serve) are exported with Serve's
own metrics on Ray's Prometheus endpoint, ``/metrics`` on the port ``muse serve --metrics-port`` sets.
``MetricsReader`` scrapes it and turns totals into rates and windowed latency percentiles between two
scrapes, for ``GET /v1/system/metrics`` and the demo's System tab. Ray exports every few seconds, so
the figures trail the traffic by that much.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import httpx
from prometheus_client.parser import text_string_to_metric_families
from ray.serve.metrics import Counter

SCRAPE_TIMEOUT_S = 5
MUSE_COUNTERS = {
    "muse_tokens_generated": "tokens generated",
    "muse_recommendations": "recommendation requests answered",
    "muse_ledger_transactions": "ledger transactions sent",
    "muse_works_explore_impressions": "works shown in the slots kept for works with few interactions",
}


@cache
def counter(name: str, tag_keys: tuple[str, ...] = ()) -> Counter:
    """One of Muse's counters (created once per process, in the replica that records it)."""
    return Counter(name, description=MUSE_COUNTERS[name], tag_keys=tag_keys)


@dataclass
class _Sample:
    at: float
    totals: dict[str, float]  # series key -> counter total
    buckets: dict[str, dict[float, float]]  # deployment -> upper bound -> cumulative count


@dataclass
class MetricsReader:
    url: str
    clock: Callable[[], float] = time.monotonic
    transport: httpx.AsyncBaseTransport | None = None  # None: the network
    _previous: _Sample | None = field(default=None, repr=False)

    async def snapshot(self) -> dict:
        """Per deployment: requests/s, errors/s and processing latency p50/p99 (ms) since the last snapshot,
        and Muse's counters as totals and rates. The first call has totals only."""
        async with httpx.AsyncClient(timeout=SCRAPE_TIMEOUT_S, transport=self.transport) as client:
            response = await client.get(self.url)
            response.raise_for_status()
        sample = _parse(response.text, self.clock())
        previous, self._previous = self._previous, sample
        window = sample.at - previous.at if previous else 0.0
        return {"window_s": round(window, 1), "deployments": _deployments(sample, previous, window),
                "muse": _muse(sample, previous, window)}


def _parse(text: str, at: float) -> _Sample:
    totals: dict[str, float] = defaultdict(float)
    buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            name, labels = s.name.removeprefix("ray_"), s.labels
            deployment = labels.get("deployment", "")
            if name in ("serve_deployment_request_counter_total", "serve_deployment_error_counter_total"):
                totals[f"{name}|{deployment}"] += s.value
            elif name == "serve_deployment_processing_latency_ms_bucket":
                buckets[deployment][float(labels["le"])] += s.value
            elif name.removesuffix("_total") in MUSE_COUNTERS and name.endswith("_total"):
                totals[f"{name.removesuffix('_total')}|{labels.get('kind', '')}"] += s.value
    return _Sample(at, dict(totals), {d: dict(b) for d, b in buckets.items()})


def _rate(sample: _Sample, previous: _Sample | None, key: str, window: float) -> float | None:
    if previous is None or window <= 0:
        return None
    return round(max(0.0, sample.totals.get(key, 0.0) - previous.totals.get(key, 0.0)) / window, 2)


def _deployments(sample: _Sample, previous: _Sample | None, window: float) -> dict[str, dict]:
    names = {key.split("|", 1)[1] for key in sample.totals if key.startswith("serve_")} | set(sample.buckets)
    out = {}
    for name in sorted(n for n in names if n):
        requests = f"serve_deployment_request_counter_total|{name}"
        errors = f"serve_deployment_error_counter_total|{name}"
        window_buckets = _difference(sample.buckets.get(name, {}), previous.buckets.get(name, {}) if previous else {})
        out[name] = {"requests_total": sample.totals.get(requests, 0.0), "errors_total": sample.totals.get(errors, 0.0),
                     "requests_per_s": _rate(sample, previous, requests, window),
                     "errors_per_s": _rate(sample, previous, errors, window),
                     "p50_ms": _quantile(window_buckets, 0.5), "p99_ms": _quantile(window_buckets, 0.99)}
    return out


def _muse(sample: _Sample, previous: _Sample | None, window: float) -> dict[str, dict]:
    return {key: {"total": value, "per_s": _rate(sample, previous, key, window)}
            for key, value in sorted(sample.totals.items()) if key.split("|", 1)[0] in MUSE_COUNTERS}


def _difference(now: dict[float, float], before: dict[float, float]) -> dict[float, float]:
    return {bound: count - before.get(bound, 0.0) for bound, count in now.items()}


def _quantile(cumulative: dict[float, float], q: float) -> float | None:
    """The upper bound of the histogram bucket holding the q-quantile (Prometheus' buckets are cumulative)."""
    bounds = sorted(cumulative)
    if not bounds or cumulative[bounds[-1]] <= 0:
        return None
    target = q * cumulative[bounds[-1]]
    bound = next(b for b in bounds if cumulative[b] >= target)
    return None if math.isinf(bound) else bound
