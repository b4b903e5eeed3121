"""``muse bench recommend``: requests/s and latency of ``/v1/recommend`` over HTTP, per concurrency, for the
movies catalogue (a random MovieLens user) and, with an API key, the works catalogue side by side in the same
run: a few hundred works registered first, then a mix of query, liked-works and user-history requests
(``muse.bench.works_seed``). The works/movies ratios of req/s and p99 are what compare across machines.

Two references measured in the same run:
- the **floor** of the serving path: ``GET /healthz`` through the same proxy and gateway, doing no work;
- the **in-process** batched call: ``RecommenderService.recommend_many`` on batches of the same size,
  with no HTTP or Serve at all.
Each level is a closed loop: ``concurrency`` clients of one ``httpx.AsyncClient`` each send their next request
as soon as the previous one is answered, for ``--seconds``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from tqdm import tqdm

from muse.bench.report import percentile, print_table, require_muse, save_figure, write_json
from muse.bench.works_seed import Call, SeededWorks, seed_works, works_requests


async def closed_loop(url: str, concurrency: int, seconds: float, request: Callable[[], tuple], bar: tqdm) -> dict:
    """Run ``concurrency`` clients for ``seconds``; ``request()`` gives a ``Call`` (or its first fields: method,
    path, json body). With several kinds of call, ``by_kind`` has the latency of each."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            call = Call(*request())
            started = time.perf_counter()
            try:
                response = await client.request(call.method, f"{url}{call.path}", json=call.body, headers=call.headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies[call.kind].append(time.perf_counter() - started)
            else:
                errors += 1

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    bar.update(1)
    every = [x for kind in latencies.values() for x in kind]
    row = {
        "concurrency": concurrency,
        "requests": len(every),
        "errors": errors,
        "rps": len(every) / wall,
        **_latency(every),
    }
    if len(latencies) > 1:
        row["by_kind"] = {kind: {"requests": len(xs), **_latency(xs)} for kind, xs in sorted(latencies.items())}
    return row


def _latency(seconds: list[float]) -> dict:
    ms = [x * 1000 for x in seconds] or [float("nan")]
    return {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)}


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
    works = [r for r in rows if "works_rps" in r]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(levels, [r["rps"] for r in rows], marker="o", label="movies /v1/recommend over HTTP")
    if works:
        left.plot(levels, [r["works_rps"] for r in works], marker="o", label="works (query, liked, history)")
    left.plot(levels, [r["floor_rps"] for r in rows], marker="o", linestyle="--", label="floor: /healthz over HTTP")
    left.plot(levels, [r["in_process_rps"] for r in rows], marker="o", linestyle=":", label="in-process batched call")
    left.set(xscale="log", yscale="log", xlabel="concurrent clients", ylabel="requests / s", title="Throughput")
    left.legend()
    right.plot(levels, [r["p50_ms"] for r in rows], marker="o", label="movies p50")
    right.plot(levels, [r["p99_ms"] for r in rows], marker="o", label="movies p99")
    if works:
        right.plot(levels, [r["works_p50_ms"] for r in works], marker="s", label="works p50")
        right.plot(levels, [r["works_p99_ms"] for r in works], marker="s", label="works p99")
    right.plot(levels, [r["floor_p99_ms"] for r in rows], marker="o", linestyle="--", label="floor p99")
    right.axhline(100, color="gray", linestyle=":", label="100 ms")
    right.set(xscale="log", xlabel="concurrent clients", ylabel="ms", title="Latency")
    right.legend()
    return save_figure(fig, out, "bench-recommend")


def _works_columns(works: dict) -> dict:
    row = {f"works_{name}": works[name] for name in ("rps", "p50_ms", "p99_ms", "errors")}
    for kind, stats in works.get("by_kind", {}).items():
        row[f"works_{kind}_p99_ms"] = stats["p99_ms"]
    return row


def run_recommend_bench(
    url: str, levels: list[int], seconds: float, out: Path, keys: list[str] = (), works: int = 240
) -> list[dict]:
    """``keys``: the first registers ``works`` works (none: movies only); every further key is a reader whose
    own history is asked for."""
    require_muse(url)
    user_ids = [str(u) for u in range(1, 672)]
    seeded: SeededWorks | None = seed_works(url, list(keys), works) if keys else None
    works_request = works_requests(seeded) if seeded else None

    def movies_request() -> Call:
        return Call("POST", "/v1/recommend", {"user_id": random.choice(user_ids), "k": 10})

    def floor_request() -> Call:
        return Call("GET", "/healthz")

    async def over_http(bar: tqdm) -> list[dict]:
        await closed_loop(url, 4, 1.0, movies_request, bar)  # warm-up
        if works_request:
            await closed_loop(url, 4, 1.0, works_request, bar)
        rows = []
        for c in levels:  # floor, movies and works back to back at each level, so all see the same machine
            floor = await closed_loop(url, c, seconds, floor_request, bar)
            row = await closed_loop(url, c, seconds, movies_request, bar)
            row |= {
                "floor_rps": floor["rps"],
                "floor_p99_ms": floor["p99_ms"],
                "of_floor": row["rps"] / floor["rps"] if floor["rps"] else float("nan"),
            }
            if works_request:
                row |= _works_columns(await closed_loop(url, c, seconds, works_request, bar))
                row["works_over_movies_rps"] = row["works_rps"] / row["rps"] if row["rps"] else float("nan")
                row["works_over_movies_p99"] = row["works_p99_ms"] / row["p99_ms"]
            rows.append(row)
        return rows

    per_level = 3 if works_request else 2
    with tqdm(total=(per_level + 1) * len(levels) + per_level - 1, desc="bench recommend", unit="level") as bar:
        rows = asyncio.run(over_http(bar))
        in_process = in_process_rps(levels, seconds / 2, user_ids, bar)
    for row in rows:
        row["in_process_rps"] = in_process[row["concurrency"]]
    print_table(
        rows,
        [
            ("concurrency", "clients"),
            ("rps", "req/s"),
            ("p50_ms", "p50 ms"),
            ("p99_ms", "p99 ms"),
            ("floor_rps", "floor req/s"),
            ("of_floor", "of floor"),
            ("in_process_rps", "in-process req/s"),
            ("errors", "errors"),
        ],
    )
    if seeded:
        kinds = [k for k in ("query", "liked", "history") if f"works_{k}_p99_ms" in rows[0]]
        print(
            f"\nworks catalogue: {seeded.registered} works registered, {seeded.granted} licenses granted, "
            f"{len(seeded.readers)} readers with a history; requests: {', '.join(kinds)}"
        )
        print_table(
            rows,
            [
                ("concurrency", "clients"),
                ("rps", "movies req/s"),
                ("p99_ms", "movies p99 ms"),
                ("works_rps", "works req/s"),
                ("works_p50_ms", "works p50 ms"),
                ("works_p99_ms", "works p99 ms"),
                ("works_over_movies_rps", "works/movies req/s"),
                ("works_over_movies_p99", "works/movies p99"),
                *[(f"works_{k}_p99_ms", f"{k} p99 ms") for k in kinds],
                ("works_errors", "works errors"),
            ],
        )
    meta = {
        "url": url,
        "seconds_per_level": seconds,
        "floor": "GET /healthz",
        "k": 10,
        "works": None
        if seeded is None
        else {
            "registered": seeded.registered,
            "licenses_granted": seeded.granted,
            "refused": seeded.refused,
            "readers": len(seeded.readers),
            "requests": "query, liked, history (with readers) in equal shares",
        },
    }
    print(f"wrote {write_json(out, 'bench-recommend', {'meta': meta, 'levels': rows})} and {plot(rows, out)}")
    return rows
