"""``muse bench recommend``: requests/s and latency of ``/v1/recommend`` over HTTP, per concurrency, for the
movies catalogue (a random MovieLens user) and the works catalogue (a free-text query, embedded per request)
in the same run. With an API key, a few works are registered first so that the works catalogue is not empty.

Two references measured in the same run:
- the **floor** of the serving path: ``GET /healthz`` through the same proxy and gateway, doing no work;
- the **in-process** batched call: ``RecommenderService.recommend_many`` on batches of the same size,
  with no HTTP or Serve at all.
Each level is a closed loop: ``concurrency`` clients each send their next request as soon as the
previous one is answered, for ``--seconds``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from tqdm import tqdm

from muse.bench.report import percentile, print_table, require_muse, save_figure, write_json


async def closed_loop(url: str, concurrency: int, seconds: float, request: Callable[[], tuple[str, str, dict | None]],
                      bar: tqdm) -> dict:
    """Run ``concurrency`` clients for ``seconds``; ``request()`` gives (method, path, json body)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            method, path, body = request()
            started = time.perf_counter()
            try:
                response = await client.request(method, f"{url}{path}", json=body)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    bar.update(1)
    ms = [x * 1000 for x in latencies] or [float("nan")]
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors,
            "rps": len(latencies) / wall, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)}


def in_process_rps(levels: list[int], seconds: float, user_ids: list[str], bar: tqdm) -> dict[int, float]:
    """Requests/s of the batched call itself, batch size = concurrency."""
    from models.recsys.service import RecommendRequest
    from core.paths import MOVIELENS
    from core.recs_model import load_or_train

    service = load_or_train(MOVIELENS)  # the model the server saved, when it shares $MUSE_HOME
    rates = {}
    for c in levels:
        done, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            service.recommend_many([RecommendRequest(user_id=random.choice(user_ids)) for _ in range(c)])
            done += c
        rates[c] = done / (time.perf_counter() - started)
        bar.update(1)
    return rates


def plot(rows: list[dict], out: Path) -> Path:
    levels = [r["concurrency"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(levels, [r["rps"] for r in rows], marker="o", label="/v1/recommend over HTTP")
    left.plot(levels, [r["works_rps"] for r in rows], marker="o", label="/v1/recommend, works by query")
    left.plot(levels, [r["floor_rps"] for r in rows], marker="o", linestyle="--", label="floor: /healthz over HTTP")
    left.plot(levels, [r["in_process_rps"] for r in rows], marker="o", linestyle=":", label="in-process batched call")
    left.set(xscale="log", yscale="log", xlabel="concurrent clients", ylabel="requests / s", title="Throughput")
    left.legend()
    right.plot(levels, [r["p50_ms"] for r in rows], marker="o", label="recommend p50")
    right.plot(levels, [r["p99_ms"] for r in rows], marker="o", label="recommend p99")
    right.plot(levels, [r["works_p99_ms"] for r in rows], marker="o", label="works p99")
    right.plot(levels, [r["floor_p99_ms"] for r in rows], marker="o", linestyle="--", label="floor p99")
    right.axhline(100, color="gray", linestyle=":", label="100 ms")
    right.set(xscale="log", xlabel="concurrent clients", ylabel="ms", title="Latency")
    right.legend()
    return save_figure(fig, out, "bench-recommend")


WORKS_QUERIES = ["storm at sea", "robots in orbit", "a love letter", "detective in the rain", "jazz at night",
                 "a garden in spring", "soldiers coming home", "neon city streets"]
SEEDED_WORKS = 24


def seed_works(url: str, key: str) -> int:
    """Register ``SEEDED_WORKS`` short texts as the key's user (one per query topic and more); returns how many."""
    made = 0
    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
        for i in range(SEEDED_WORKS):
            topic = WORKS_QUERIES[i % len(WORKS_QUERIES)]
            response = client.post("/v1/works", json={"title": f"Bench {topic} {i} {time.time_ns()}",
                                                      "content": f"A short piece about {topic}, number {i}."})
            made += response.status_code == 201
    return made


def run_recommend_bench(url: str, levels: list[int], seconds: float, out: Path, key: str | None = None) -> list[dict]:
    require_muse(url)
    user_ids = [str(u) for u in range(1, 672)]
    seeded = seed_works(url, key) if key else 0

    def recommend_request():
        return "POST", "/v1/recommend", {"user_id": random.choice(user_ids), "k": 10}

    def works_request():
        return "POST", "/v1/recommend", {"catalogue": "works", "query": random.choice(WORKS_QUERIES), "k": 10}

    def floor_request():
        return "GET", "/healthz", None

    async def over_http(bar: tqdm) -> list[dict]:
        await closed_loop(url, 4, 1.0, recommend_request, bar)  # warm-up
        rows = []
        for c in levels:  # floor and recommend back to back at each level, so both see the same machine
            floor = await closed_loop(url, c, seconds, floor_request, bar)
            rec = await closed_loop(url, c, seconds, recommend_request, bar)
            works = await closed_loop(url, c, seconds, works_request, bar)
            rows.append({**rec, "floor_rps": floor["rps"], "floor_p99_ms": floor["p99_ms"],
                         **{f"works_{name}": works[name] for name in ("rps", "p50_ms", "p99_ms", "errors")},
                         "of_floor": rec["rps"] / floor["rps"] if floor["rps"] else float("nan")})
        return rows

    if seeded:
        time.sleep(2)  # replicas add new works within ~0.5 s
    with tqdm(total=4 * len(levels) + 1, desc="bench recommend", unit="level") as bar:
        rows = asyncio.run(over_http(bar))
        in_process = in_process_rps(levels, seconds / 2, user_ids, bar)
    for row in rows:
        row["in_process_rps"] = in_process[row["concurrency"]]
    print_table(rows, [("concurrency", "clients"), ("rps", "req/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
                       ("floor_rps", "floor req/s"), ("of_floor", "of floor"), ("in_process_rps", "in-process req/s"),
                       ("errors", "errors"), ("works_rps", "works req/s"), ("works_p50_ms", "works p50 ms"),
                       ("works_p99_ms", "works p99 ms"), ("works_errors", "works errors")])
    meta = {"url": url, "seconds_per_level": seconds, "floor": "GET /healthz", "k": 10,
            "works": f"catalogue=works, a query from {len(WORKS_QUERIES)}", "works_registered_first": seeded}
    print(f"wrote {write_json(out, 'bench-recommend', {'meta': meta, 'levels': rows})} and {plot(rows, out)}")
    return rows
