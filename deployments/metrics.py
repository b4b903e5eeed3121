"""Metrics: Muse's own counters, exported by Ray with Serve's, and a reader of that export for people.

The counters (``ray.serve.metrics``, tagged with deployment and replica by Serve) are exported with Serve's
own metrics on Ray's Prometheus endpoint, ``/metrics`` on the port ``muse serve --metrics-port`` sets.
``MetricsReader`` scrapes it for ``GET /v1/system/metrics``: the scrape itself (for clients with windows of
their own, as the demo's System tab) and rates and latency quantiles over the replica's last minute of scrapes
(``common/metric_window.py``). Ray exports every few seconds, so the figures trail the traffic by that much.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import httpx
from ray.serve.metrics import Counter

from common.metric_window import MetricsWindow, parse_sample

SCRAPE_TIMEOUT_S = 5
RATE_WINDOW_S = 60.0  # rates and quantiles of GET /v1/system/metrics span the last minute of scrapes
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
class MetricsReader:
    """Scrapes Ray's export into a window of this replica's own: its rates span the last ``over_s`` seconds
    of scrapes, whoever asked for them, rather than the time since the previous caller's."""

    url: str
    clock: Callable[[], float] = time.time
    transport: httpx.AsyncBaseTransport | None = None  # None: the network
    over_s: float = RATE_WINDOW_S
    _window: MetricsWindow = field(default_factory=MetricsWindow, repr=False)

    async def snapshot(self, replicas: dict[str, int] | None = None) -> dict:
        """Per deployment: requests/s, errors/s and processing latency p50/p99 (ms) over this replica's last
        ``over_s`` seconds of scrapes, and Muse's counters as totals and rates (rates are None on the first
        call); ``sample`` is the scrape itself (with the running ``replicas`` per deployment when the caller
        knows them), for a client that keeps a window of its own."""
        async with httpx.AsyncClient(timeout=SCRAPE_TIMEOUT_S, transport=self.transport) as client:
            response = await client.get(self.url)
            response.raise_for_status()
        sample = parse_sample(response.text, self.clock(), MUSE_COUNTERS).model_copy(
            update={"replicas": replicas or {}}
        )
        self._window.add(sample)
        return {**self._window.summary(self.over_s), "sample": sample.model_dump()}
