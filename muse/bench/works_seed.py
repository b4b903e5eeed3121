"""The works catalogue ``muse bench recommend`` measures, seeded over HTTP, and the mix of requests sent to it.

Seeding, with the first API key (the creator): ``--works`` works registered (the market simulation's seeded
topic texts, ``muse.bench.market``), terms set on some and licenses granted on those to synthetic holders (rows of
the works' ALS) and to the readers; with every further key (a reader): a few likes on works of one topic, so the
reader has a history.

The requests mix three kinds in equal shares: a free-text ``query`` (three topic words in one of a few phrasings,
so that nearly every query of a run is new and is embedded, not found in a cache), ``liked`` work ids, and a
reader's own ``history`` (no query, no liked items; only with reader keys). Requests carry a reader's key when
there is one, so what the reader owns or licensed is looked up and left out, as for any signed-in caller.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import httpx

from muse.bench.market import TOPICS, MarketConfig, make_world

REGISTER_CLIENTS = 4  # registrations in flight (the ledger's per-caller rate limit paces them anyway)
GRANT_HOLDERS = 24  # synthetic addresses, each granted licenses on works of one topic
GRANTS_EACH = 3
READER_LIKES = 4
TERMS = {"template": "commercial_use", "fee_wei": 10**15}
SEEN_WITHIN_S = 120.0  # registered works reach the replicas' catalogue within about a second
PHRASINGS = [
    "{a} and {b} with {c}",
    "a story of {a}, {b} and {c}",
    "{a} {b} {c}",
    "poems about {a}, {b}, {c}",
    "something like {a} meets {b} in the {c}",
]


class Call(NamedTuple):
    """One request of a closed loop: ``kind`` groups latencies in the report."""

    method: str
    path: str
    body: dict | None = None
    headers: dict | None = None
    kind: str = ""


@dataclass(frozen=True)
class SeededWorks:
    by_topic: dict[str, list[int]]  # work ids per topic
    readers: list[str]  # API keys of users with a history
    registered: int
    granted: int
    refused: int  # writes answered other than 201 (once rate limiting is waited out)


def _auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def _write(client: httpx.AsyncClient, path: str, key: str, body: dict, method: str = "POST") -> httpx.Response:
    """A ledger write, waiting out 429 (ledger writes are rate-limited per caller)."""
    while True:
        response = await client.request(method, path, json=body, headers=_auth(key))
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after", 1)))


async def _register(client: httpx.AsyncClient, key: str, n: int, seed: int) -> dict[str, list[int]]:
    world = make_world(MarketConfig(works=n, initial_works=n, seed=seed))
    names = list(TOPICS)
    topics = [names[int(t)] for t in world.topic.argmax(axis=1)]
    run = time.time_ns()  # identical bytes are refused: a rerun against the same server registers new texts
    by_topic: dict[str, list[int]] = {name: [] for name in names}
    pending = iter(range(n))

    async def worker() -> None:
        for w in pending:
            response = await _write(
                client, "/v1/works", key, {"title": world.titles[w], "content": f"{world.texts[w]} (bench {run}-{w})"}
            )
            if response.status_code == 201:
                by_topic[topics[w]].append(response.json()["id"])

    await asyncio.gather(*(worker() for _ in range(REGISTER_CLIENTS)))
    return by_topic


async def _wait_until_recommended(client: httpx.AsyncClient, work_id: int) -> None:
    """Until the replicas know ``work_id`` (a liked work they do not know is a 404)."""
    deadline = time.monotonic() + SEEN_WITHIN_S
    body = {"catalogue": "works", "liked_items": [str(work_id)], "k": 1}
    while (await client.post("/v1/recommend", json=body)).status_code == 404:
        if time.monotonic() > deadline:
            raise SystemExit(f"work {work_id} was registered but never reached the works catalogue")
        await asyncio.sleep(0.2)


async def _seed(url: str, keys: list[str], n: int, seed: int) -> SeededWorks:
    rng = random.Random(seed)
    creator, readers = keys[0], keys[1:]
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        by_topic = await _register(client, creator, n, seed)
        ids = [w for works in by_topic.values() for w in works]
        if not ids:
            raise SystemExit("no work could be registered with the first --key")
        topics = [t for t, works in by_topic.items() if works]
        grants: list[tuple[str, int]] = []  # (holder address, work id)
        for h in range(GRANT_HOLDERS):
            works = by_topic[topics[h % len(topics)]]
            holder = "0x" + hashlib.sha256(f"bench holder {seed} {h} {time.time_ns()}".encode()).hexdigest()[:40]
            grants += [(holder, w) for w in rng.sample(works, min(GRANTS_EACH, len(works)))]
        for reader in readers:
            account = await client.get("/v1/account", headers=_auth(reader))
            account.raise_for_status()
            works = by_topic[rng.choice(topics)]
            grants.append((account.json()["address"], rng.choice(works)))
            for w in rng.sample(works, min(READER_LIKES, len(works))):
                liked = await client.post(
                    "/v1/interactions",
                    headers=_auth(reader),
                    json={"catalogue": "works", "item_id": str(w), "kind": "like"},
                )
                liked.raise_for_status()
        terms = 0  # a grant is on the work's current terms: a work needs some first
        for w in dict.fromkeys(w for _, w in grants):
            response = await _write(client, f"/v1/works/{w}/terms", creator, TERMS, "PUT")
            terms += response.status_code == 200
        granted = 0
        for holder, w in grants:
            response = await _write(client, f"/v1/works/{w}/licenses", creator, {"grant_to": holder})
            granted += response.status_code == 201
        await _wait_until_recommended(client, max(ids))
    writes = n + len(set(w for _, w in grants)) + len(grants)
    return SeededWorks(by_topic, readers, len(ids), granted, writes - len(ids) - terms - granted)


def seed_works(url: str, keys: list[str], n: int, seed: int = 0) -> SeededWorks:
    """Register ``n`` works as ``keys[0]``, grant licenses, give every further key a history (see the module)."""
    return asyncio.run(_seed(url, keys, n, seed))


def works_requests(seeded: SeededWorks, seed: int = 0) -> Callable[[], Call]:
    """A generator of mixed works requests: query, liked works and (with reader keys) a reader's history."""
    rng = random.Random(seed)
    topics = [t for t, works in seeded.by_topic.items() if works]
    kinds = ["query", "liked"] + (["history"] if seeded.readers else [])

    def request() -> Call:
        kind, topic = rng.choice(kinds), rng.choice(topics)
        body: dict = {"catalogue": "works", "k": 10}
        if kind == "query":
            a, b, c = rng.sample(TOPICS[topic], 3)
            body["query"] = rng.choice(PHRASINGS).format(a=a, b=b, c=c)
        elif kind == "liked":
            works = seeded.by_topic[topic]
            body["liked_items"] = [str(w) for w in rng.sample(works, min(rng.randint(1, 3), len(works)))]
        headers = _auth(rng.choice(seeded.readers)) if seeded.readers else None
        return Call("POST", "/v1/recommend", body, headers, kind)

    return request
