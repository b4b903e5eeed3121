"""Prometheus counters and histograms read into samples, and rates and quantiles over a sliding window of them.

A ``MetricsSample`` is one scrape: every counter series' total and every histogram series' cumulative buckets,
grouped (per deployment, or per Muse counter and kind). A ``MetricsWindow`` keeps the samples of the last
minutes; rates come from counter deltas between its newest sample and one ``over_s`` older, quantiles from the
histogram buckets' deltas over the same span, interpolated inside the bucket as Prometheus'
``histogram_quantile`` does. Deltas are taken per series, and a series whose total went down restarted (a new
replica) and counts from zero, as Prometheus' ``rate`` has it; a series that vanished (a replica gone) adds
nothing. Whoever keeps a window owns it: one per viewer, so that no one else's reading moves its span.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, Field

REQUESTS = "serve_deployment_request_counter_total"
ERRORS = "serve_deployment_error_counter_total"
LATENCY_BUCKETS = "serve_deployment_processing_latency_ms_bucket"
QUANTILES = {"p50_ms": 0.5, "p99_ms": 0.99}

Series = dict[str, float]  # series id (its labels) -> value
Buckets = dict[str, float]  # a bucket's upper bound as Prometheus writes it ("10.0", "+Inf") -> cumulative count


class MetricsSample(BaseModel):
    """One scrape, as totals per series (JSON-safe: bucket bounds stay strings, "+Inf" included)."""

    at: float  # unix seconds of the scrape
    counters: dict[str, Series] = {}  # group ("requests|Generator", "muse_tokens_generated|") -> series
    histograms: dict[str, dict[str, Buckets]] = {}  # deployment -> series id -> buckets
    replicas: dict[str, int] = {}  # deployment -> running replicas, where the reader knows them


def parse_sample(text: str, at: float, muse_counters: Iterable[str] = ()) -> MetricsSample:
    """Serve's request and error counters and processing-latency histogram per deployment, and the counters
    named in ``muse_counters`` per ``kind``, from Prometheus text (Ray's ``ray_`` prefix dropped)."""
    muse_counters = set(muse_counters)
    counters: dict[str, Series] = defaultdict(dict)
    histograms: dict[str, dict[str, Buckets]] = defaultdict(lambda: defaultdict(dict))
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            name, labels = s.name.removeprefix("ray_"), dict(s.labels)
            bound = labels.pop("le", None)
            series = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            deployment = labels.get("deployment", "")
            if name in (REQUESTS, ERRORS) and deployment:
                counters[f"{name}|{deployment}"][series] = s.value
            elif name == LATENCY_BUCKETS and deployment and bound is not None:
                histograms[deployment][series][bound] = s.value
            elif name.endswith("_total") and name.removesuffix("_total") in muse_counters:
                counters[f"{name.removesuffix('_total')}|{labels.get('kind', '')}"][series] = s.value
    return MetricsSample(
        at=at, counters=dict(counters), histograms={d: dict(series) for d, series in histograms.items()}
    )


def _increase(now: float, before: float | None) -> float:
    """A counter's increase; one that went down restarted from zero."""
    return now if before is None or now < before else now - before


def counter_increase(now: Series, before: Series) -> float:
    return sum(_increase(value, before.get(series)) for series, value in now.items())


def bucket_increase(now: dict[str, Buckets], before: dict[str, Buckets]) -> dict[float, float]:
    """The histogram's cumulative buckets over the span, summed over its series (a restarted series from zero)."""
    out: dict[float, float] = defaultdict(float)
    for series, buckets in now.items():
        old = before.get(series, {})
        restarted = buckets.get("+Inf", 0.0) < old.get("+Inf", 0.0)
        for bound, count in buckets.items():
            out[float(bound)] += count if restarted else _increase(count, old.get(bound))
    return dict(out)


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile of cumulative ``buckets`` (upper bound -> count), interpolated linearly inside the bucket
    that holds it, as Prometheus' ``histogram_quantile``: from 0 in the first bucket, and the highest finite
    bound when it falls in the +Inf bucket. None without observations."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank and count > below:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


class MetricsWindow(BaseModel):
    """The samples of the last ``span_s`` seconds, oldest first."""

    span_s: float = Field(300.0, gt=0)
    min_step_s: float = Field(1.0, ge=0)  # samples closer than this replace the newest: at most span/step kept
    samples: list[MetricsSample] = []

    def add(self, sample: MetricsSample) -> None:
        """Keep ``sample`` (one not newer than the newest kept is ignored) and drop what left the span."""
        if self.samples and sample.at <= self.samples[-1].at:
            return
        kept = self.samples
        if len(kept) >= 2 and kept[-1].at - kept[-2].at < self.min_step_s:
            kept = kept[:-1]
        self.samples = [s for s in kept if s.at >= sample.at - self.span_s] + [sample]

    def summary(self, over_s: float, at: int = -1) -> dict:
        """Rates and quantiles from sample ``at`` (the newest by default) back to the latest sample at least
        ``over_s`` older (the oldest when none is): ``window_s``, per deployment requests/errors totals and
        per second, p50/p99 latency (ms), running replicas, and Muse's counters. Rates are None with one sample."""
        now = self.samples[at]
        base = self._baseline(now, over_s)
        window = now.at - base.at if base else 0.0
        deployments = sorted(
            {key.split("|", 1)[1] for key in now.counters if key.split("|", 1)[0] in (REQUESTS, ERRORS)}
            | set(now.histograms)
            | set(now.replicas)
        )
        return {
            "window_s": round(window, 1),
            "deployments": {name: self._deployment(name, now, base, window) for name in deployments},
            "muse": {
                key: {"total": sum(series.values()), "per_s": _rate(now, base, key, window)}
                for key, series in sorted(now.counters.items())
                if key.split("|", 1)[0] not in (REQUESTS, ERRORS)
            },
        }

    def series(self, over_s: float) -> list[tuple[float, dict]]:
        """Each sample's time and its summary over ``over_s`` (for plots), oldest first."""
        return [(self.samples[i].at, self.summary(over_s, i)) for i in range(len(self.samples))]

    def _baseline(self, now: MetricsSample, over_s: float) -> MetricsSample | None:
        older = [s for s in self.samples if s.at < now.at]
        if not older:
            return None
        return next((s for s in reversed(older) if s.at <= now.at - over_s), older[0])

    @staticmethod
    def _deployment(name: str, now: MetricsSample, base: MetricsSample | None, window: float) -> dict:
        requests, errors = f"{REQUESTS}|{name}", f"{ERRORS}|{name}"
        buckets = bucket_increase(now.histograms.get(name, {}), base.histograms.get(name, {})) if base else {}
        return {
            "requests_total": sum(now.counters.get(requests, {}).values()),
            "errors_total": sum(now.counters.get(errors, {}).values()),
            "requests_per_s": _rate(now, base, requests, window),
            "errors_per_s": _rate(now, base, errors, window),
            **{key: _rounded(histogram_quantile(q, buckets)) for key, q in QUANTILES.items()},
            "replicas": now.replicas.get(name),
        }


def _rate(now: MetricsSample, base: MetricsSample | None, key: str, window: float) -> float | None:
    if base is None or window <= 0:
        return None
    return round(counter_increase(now.counters.get(key, {}), base.counters.get(key, {})) / window, 2)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
