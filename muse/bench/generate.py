"""``muse bench generate``: streamed generation over HTTP at several concurrency levels.

The first level (1 by default) is the sequential baseline: one request at a time,
same model, same run. Every level reports total generated tokens per second, its
ratio to the baseline, and time to first token (TTFT) p50/p95.

Small shared machines are noisy, so the levels run in several interleaved rounds
(1, 4, 16, 32, then again): a level's throughput is its median over the rounds, and
its TTFT percentiles pool every request of that level.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from tqdm import tqdm

from muse.bench.report import percentile, print_table, save_figure, write_json

PROMPTS = [
    "ROMEO:\n",
    "JULIET:\nO ",
    "KING HENRY:\n",
    "First Citizen:\n",
    "HAMLET:\nTo ",
    "LADY MACBETH:\n",
    "DUKE VINCENTIO:\n",
    "MERCUTIO:\nWhy, ",
]


@dataclass
class RequestResult:
    ttft_s: float
    tokens: int
    error: str | None = None


async def stream_once(client: httpx.AsyncClient, url: str, prompt: str, max_new_tokens: int) -> RequestResult:
    body = {"prompt": prompt, "max_new_tokens": max_new_tokens, "stream": True}
    started = time.perf_counter()
    ttft, tokens = None, 0
    try:
        async with client.stream("POST", f"{url}/v1/generate", json=body) as response:
            if response.status_code != 200:
                return RequestResult(0.0, 0, f"HTTP {response.status_code}")
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                payload = json.loads(line[6:])
                if "error" in payload:
                    return RequestResult(0.0, 0, payload["error"]["message"])
                if ttft is None and payload.get("tokens"):
                    ttft = time.perf_counter() - started
                if "usage" in payload:
                    tokens = payload["usage"]["completion_tokens"]
    except httpx.HTTPError as exc:
        return RequestResult(0.0, 0, f"{type(exc).__name__}: {exc}")
    return RequestResult(ttft or 0.0, tokens)


def requests_for(concurrency: int, requests: int | None) -> int:
    """Default: two waves of the concurrency, and at least 16 requests."""
    return requests if requests else max(16, 2 * concurrency)


async def run_level(
    url: str, concurrency: int, requests: int, max_new_tokens: int, bar: tqdm
) -> tuple[float, list[RequestResult]]:
    """Tokens per second of one level's run, and each request's result."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    results: list[RequestResult] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            results.append(await stream_once(client, url, PROMPTS[i % len(PROMPTS)], max_new_tokens))
            bar.update(1)

    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return sum(r.tokens for r in results if r.error is None) / wall, results


def generator_replicas(url: str) -> int:
    """Running Generator replicas right after a level (-1 if the status route did not answer)."""
    try:
        status = httpx.get(f"{url}/v1/system/status", timeout=10).json()
        return status["applications"]["muse"]["deployments"]["Generator"]["replicas"].get("RUNNING", 0)
    except (httpx.HTTPError, KeyError, ValueError):
        return -1


def summarize(concurrency: int, rates: list[float], results: list[RequestResult]) -> dict:
    ok = [r for r in results if r.error is None]
    ttfts = [r.ttft_s * 1000 for r in ok] or [float("nan")]
    return {
        "concurrency": concurrency,
        "requests": len(results),
        "errors": len(results) - len(ok),
        "tokens_per_s": statistics.median(rates),
        "tokens_per_s_rounds": [round(r, 1) for r in rates],
        "ttft_p50_ms": percentile(ttfts, 50),
        "ttft_p95_ms": percentile(ttfts, 95),
        "first_error": next((r.error for r in results if r.error), None),
    }


async def _run(url: str, levels: list[int], requests: int | None, max_new_tokens: int, rounds: int) -> list[dict]:
    rates: dict[int, list[float]] = {c: [] for c in levels}
    results: dict[int, list[RequestResult]] = {c: [] for c in levels}
    total = rounds * sum(requests_for(c, requests) for c in levels) + 2
    replicas: dict[int, list[int]] = {c: [] for c in levels}
    peak = max(levels)
    total = rounds * sum(requests_for(c, requests) for c in levels) + 2 * peak
    with tqdm(total=total, desc="bench generate", unit="req") as bar:
        # Warm-up at the peak concurrency: wakes the generator if it scaled to zero and lets Serve's
        # autoscaler settle, so the first round is not measured on a cold or half-scaled deployment.
        await run_level(url, peak, 2 * peak, 32, bar)
        for _ in range(rounds):
            for c in levels:
                rate, level_results = await run_level(url, c, requests_for(c, requests), max_new_tokens, bar)
                rates[c].append(rate)
                results[c].extend(level_results)
                replicas[c].append(generator_replicas(url))
    rows = [{**summarize(c, rates[c], results[c]), "generator_replicas": replicas[c]} for c in levels]
    baseline = rows[0]["tokens_per_s"] or float("nan")
    for row in rows:
        row["speedup"] = row["tokens_per_s"] / baseline
    return rows


def plot(rows: list[dict], out: Path) -> Path:
    levels = [f"c={r['concurrency']}" for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.bar(levels, [r["tokens_per_s"] for r in rows], color="tab:blue")
    left.axhline(rows[0]["tokens_per_s"], color="gray", linestyle="--", label="sequential baseline")
    for i, r in enumerate(rows):
        left.annotate(f"{r['speedup']:.1f}x", (i, r["tokens_per_s"]), ha="center", va="bottom")
    left.set(xlabel="concurrent requests", ylabel="generated tokens / s", title="Throughput")
    left.legend()
    right.plot(levels, [r["ttft_p50_ms"] for r in rows], marker="o", label="p50")
    right.plot(levels, [r["ttft_p95_ms"] for r in rows], marker="o", label="p95")
    right.set(xlabel="concurrent requests", ylabel="ms", title="Time to first token")
    right.legend()
    return save_figure(fig, out, "bench-generate")


def run_generate_bench(
    url: str, levels: list[int], requests: int | None, max_new_tokens: int, rounds: int, out: Path
) -> list[dict]:
    try:
        httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise SystemExit(f"Muse is not answering at {url} ({exc}); start it with `muse serve`") from exc
    rows = asyncio.run(_run(url, levels, requests, max_new_tokens, rounds))
    print_table(
        rows,
        [
            ("concurrency", "concurrency"),
            ("requests", "requests"),
            ("tokens_per_s", "tokens/s"),
            ("speedup", "x baseline"),
            ("ttft_p50_ms", "TTFT p50 ms"),
            ("ttft_p95_ms", "TTFT p95 ms"),
            ("errors", "errors"),
            ("generator_replicas", "replicas per round"),
        ],
    )
    meta = {
        "url": url,
        "max_new_tokens": max_new_tokens,
        "rounds": rounds,
        "baseline": "first level (sequential)",
        "throughput": "median over rounds",
    }
    json_path = write_json(out, "bench-generate", {"meta": meta, "levels": rows})
    print(f"wrote {json_path} and {plot(rows, out)}")
    return rows
