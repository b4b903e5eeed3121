"""``muse bench chat``: assistant turns per second and per-turn overhead over HTTP, per concurrency.

Each level is a closed loop of ``concurrency`` clients, each sending its next one-step turn ("Recommend me
movies like Toy Story.") as soon as the previous turn's stream ends, for ``--seconds``. A turn's **overhead** is
its time minus the time its tool calls took (from each ``step_started`` to its ``step_finished`` event, as the
client sees them): what planning, checkpointing, graph steps and streaming cost around the work itself. The
floor, ``GET /healthz`` through the same proxy and gateway, is measured at each level in the same run.

Every client chats in a thread of its own, so turns never wait for each other's conversation lock, and moves
to a new thread every ``TURNS_PER_THREAD`` turns (deleting the old one, untimed), so the run stays within the
server's bounds on messages per thread and threads per user.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from tqdm import tqdm

from assistant.events import parse_event
from muse.bench.recommend import closed_loop
from muse.bench.report import percentile, print_table, require_muse, save_figure, write_json

TURN = "Recommend me movies like Toy Story."
TURN_TIMEOUT_S = 120
FORGET_TRIES = 20
TURNS_PER_THREAD = 40  # a one-step turn adds 4 messages: 160 of the 200 a thread may hold


@dataclass
class Turns:
    """What one level's clients measured."""

    seconds: list[float] = field(default_factory=list)
    tool_seconds: list[float] = field(default_factory=list)
    errors: int = 0


async def one_turn(client: httpx.AsyncClient, url: str, key: str, thread_id: str) -> tuple[float, float]:
    """Send one chat turn and read its events to the end: (turn seconds, seconds inside tool calls)."""
    started = time.perf_counter()
    step_started: dict[str, float] = {}
    in_tools = 0.0
    async with client.stream(
        "POST",
        f"{url}/v1/chat",
        headers={"Authorization": f"Bearer {key}"},
        json={"thread_id": thread_id, "message": TURN},
    ) as response:
        if response.status_code != 200:
            raise httpx.HTTPStatusError(
                f"chat answered {response.status_code}", request=response.request, response=response
            )
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = parse_event(json.loads(line[6:]))
            if event.type == "step_started":
                step_started[event.id] = time.perf_counter()
            elif event.type == "step_finished" and event.id in step_started:
                in_tools += time.perf_counter() - step_started.pop(event.id)
            elif event.type == "error":
                raise RuntimeError(event.message)
    return time.perf_counter() - started, in_tools


async def forget(client: httpx.AsyncClient, url: str, key: str, thread_id: str) -> None:
    """Delete a finished thread, so a bench leaves no conversations behind and stays within the threads a user
    may have. A turn's task can still be saving for a moment after its stream ends (409): try again briefly."""
    for _ in range(FORGET_TRIES):
        response = await client.delete(f"{url}/v1/chat/{thread_id}", headers={"Authorization": f"Bearer {key}"})
        if response.status_code != 409:
            return
        await asyncio.sleep(0.05)


async def chat_level(url: str, key: str, concurrency: int, seconds: float, bar: tqdm) -> dict:
    turns = Turns()
    deadline = time.perf_counter() + seconds
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient, index: int) -> None:
        done = 0
        thread_id = f"bench-{run}-{concurrency}-{index}-0"
        while time.perf_counter() < deadline:
            try:
                took, in_tools = await one_turn(client, url, key, thread_id)
            except (httpx.HTTPError, RuntimeError):
                turns.errors += 1
                continue
            turns.seconds.append(took)
            turns.tool_seconds.append(in_tools)
            done += 1
            if done % TURNS_PER_THREAD == 0:
                await forget(client, url, key, thread_id)
                thread_id = f"bench-{run}-{concurrency}-{index}-{done}"
        await forget(client, url, key, thread_id)

    async with httpx.AsyncClient(timeout=TURN_TIMEOUT_S, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client, i) for i in range(concurrency)))
        wall = time.perf_counter() - started
    bar.update(1)
    ms = [s * 1000 for s in turns.seconds] or [float("nan")]
    overhead = [(s - t) * 1000 for s, t in zip(turns.seconds, turns.tool_seconds)] or [float("nan")]
    return {
        "concurrency": concurrency,
        "turns": len(turns.seconds),
        "errors": turns.errors,
        "turns_per_s": len(turns.seconds) / wall,
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "overhead_p50_ms": percentile(overhead, 50),
        "tools_p50_ms": percentile([t * 1000 for t in turns.tool_seconds] or [float("nan")], 50),
    }


def plot(rows: list[dict], out: Path) -> Path:
    levels = [r["concurrency"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(levels, [r["turns_per_s"] for r in rows], marker="o", label="chat turns / s")
    left.plot(levels, [r["floor_rps"] for r in rows], marker="o", linestyle="--", label="floor: /healthz req / s")
    left.set(xscale="log", yscale="log", xlabel="concurrent clients", ylabel="per second", title="Throughput")
    left.legend()
    right.plot(levels, [r["p50_ms"] for r in rows], marker="o", label="turn p50")
    right.plot(levels, [r["p99_ms"] for r in rows], marker="o", label="turn p99")
    right.plot(levels, [r["overhead_p50_ms"] for r in rows], marker="o", linestyle=":", label="overhead p50")
    right.set(xscale="log", yscale="log", xlabel="concurrent clients", ylabel="ms", title="Turn latency")
    right.legend()
    return save_figure(fig, out, "bench-chat")


def run_chat_bench(url: str, key: str, levels: list[int], seconds: float, out: Path) -> list[dict]:
    require_muse(url)

    async def measure(bar: tqdm) -> list[dict]:
        await chat_level(url, key, 1, 2.0, bar)  # warm-up: planner, graph and handles on every path
        rows = []
        for c in levels:
            floor = await closed_loop(url, c, seconds / 2, lambda: ("GET", "/healthz", None), bar)
            row = await chat_level(url, key, c, seconds, bar)
            rows.append({**row, "floor_rps": floor["rps"]})
        return rows

    with tqdm(total=2 * len(levels) + 1, desc="bench chat", unit="level") as bar:
        rows = asyncio.run(measure(bar))
    print_table(
        rows,
        [
            ("concurrency", "clients"),
            ("turns_per_s", "turns/s"),
            ("p50_ms", "p50 ms"),
            ("p99_ms", "p99 ms"),
            ("tools_p50_ms", "tools p50 ms"),
            ("overhead_p50_ms", "overhead p50 ms"),
            ("floor_rps", "floor req/s"),
            ("errors", "errors"),
        ],
    )
    meta = {"url": url, "seconds_per_level": seconds, "turn": TURN, "floor": "GET /healthz"}
    print(f"wrote {write_json(out, 'bench-chat', {'meta': meta, 'levels': rows})} and {plot(rows, out)}")
    return rows
