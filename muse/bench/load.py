"""``muse bench load``: a mixed workload against a running Muse, on a bounded ramp, with the replicas it causes.

The run, in order (every phase on a fixed schedule from the start of the run):

1. **baseline**: ``GET /healthz`` alone at concurrency 1 (the serving floor, measured in the same run, since
   machines are noisy); each kind's p50 is reported as a multiple of its p50.
2. **levels** (``--levels``, default 1,8,32,48): closed-loop clients, each sending its next request as soon as
   the previous one is answered, for ``--step-seconds`` per level. A client picks each request's kind at
   random with the weights of ``--mix``:

   - ``generate``: ``POST /v1/generate`` ``{"prompt": "ROMEO:\\n", "max_new_tokens": 32}``;
   - ``recommend``: ``POST /v1/recommend`` ``{"user_id": <random MovieLens user 1..610>, "k": 10}``;
   - ``verify``: ``GET /v1/licenses/verify?work_id=&holder=&use=commercial`` (public). With an API key the run
     registers one work first (``POST /v1/works``) and asks about it for the caller's address
     (``GET /v1/account``). Without one it asks about work 1 for ``0x00..01``: that work may not exist, and a
     404 is then the correct answer, so it counts as answered (ok), not as an error;
   - ``chat``: ``POST /v1/chat`` with a new ``thread_id`` per request, deleted afterwards, untimed (needs the API
     key; without one chat is left out of the mix). Its answer is a Server-Sent Events stream: ok when it ends with a ``message``
     event and holds no ``error`` event; its latency runs to the end of the stream.
3. **cool-down** (``--cooldown-seconds``): no load, so the replica timeline shows the deployments scale back
   (the Generator to zero after about 120 s idle in the default config).

All along, ``GET /v1/system/status`` is sampled every ``--sample-seconds`` for each deployment's RUNNING and
STARTING replicas. Outcomes: ``ok`` (2xx, and the documented 404 above), ``rejected`` (429 or 503: the
platform shedding load), ``error`` (any other status, a timeout, a connection error, a chat stream without
its ``message``). A request counts in the level it started in; a level's rate is its ok requests per second
of the level, and its latency percentiles are over its ok requests. Everything is bounded: at most
256 clients, 60 s per request (120 s for chat), and the run ends once the last request has answered.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from tqdm import tqdm

from assistant.events import parse_event
from muse.bench import LOAD_LEVELS as DEFAULT_LEVELS
from muse.bench import LOAD_MIX as DEFAULT_MIX
from muse.bench.chat import forget
from muse.bench.report import (
    percentile,
    print_table,
    require_muse,
    save_figure,
    write_json,
)
from muse.client import iter_sse

KINDS = ("generate", "recommend", "verify", "chat")
BASELINE_KIND = "healthz"
MAX_CONCURRENCY = 256
MAX_STEP_SECONDS = 600.0
MAX_COOLDOWN_SECONDS = 1800.0
TIMEOUT_S = 60.0
CHAT_TIMEOUT_S = 120.0
MOVIELENS_USERS = 610
FALLBACK_WORK_ID = 1
FALLBACK_HOLDER = "0x" + "0" * 39 + "1"
CHAT_MESSAGE = "recommend me movies like Toy Story"
REJECTED_STATUSES = (429, 503)


# ---- the workload (pure) ----------------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, float]:
    """``"generate=2,recommend=5"`` -> weights by kind; kinds left out weigh 0 and are not sent."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, weight = part.partition("=")
        kind = kind.strip()
        if not sep or kind not in KINDS:
            raise ValueError(f"--mix: {part!r} is not KIND=WEIGHT with KIND one of {', '.join(KINDS)}")
        try:
            value = float(weight)
        except ValueError:
            raise ValueError(f"--mix: the weight of {kind} is not a number: {weight!r}") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"--mix: the weight of {kind} must be a finite number >= 0")
        mix[kind] = value
    mix = {kind: weight for kind, weight in mix.items() if weight > 0}
    if not mix:
        raise ValueError("--mix: give at least one kind a weight above 0")
    return mix


def parse_levels(text: str) -> list[int]:
    """``"1,4,16,32"`` -> concurrent clients per level, each 1..256."""
    try:
        levels = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise ValueError(f"--levels: {text!r} is not a comma-separated list of whole numbers") from None
    if not levels or any(not 1 <= c <= MAX_CONCURRENCY for c in levels):
        raise ValueError(f"--levels: give one or more levels, each from 1 to {MAX_CONCURRENCY} clients")
    return levels


@dataclass(frozen=True)
class Phase:
    name: str
    start: float  # seconds from the start of the run
    end: float
    clients: int
    mix: dict[str, float]

    @property
    def seconds(self) -> float:
        return self.end - self.start


def plan_phases(
    levels: list[int], mix: dict[str, float], step_s: float, cooldown_s: float, baseline_s: float
) -> list[Phase]:
    """The schedule: the healthz baseline, one phase per level, then the cool-down without load."""
    phases = [Phase("baseline", 0.0, baseline_s, 1, {BASELINE_KIND: 1.0})]
    for clients in levels:
        start = phases[-1].end
        phases.append(Phase(f"c={clients}", start, start + step_s, clients, mix))
    phases.append(Phase("cool-down", phases[-1].end, phases[-1].end + cooldown_s, 0, {}))
    return phases


@dataclass(frozen=True)
class Target:
    """What the requests need: the API key (chat) and the work and holder that ``verify`` asks about."""

    key: str | None
    work_id: int = FALLBACK_WORK_ID
    holder: str = FALLBACK_HOLDER
    verify_404_is_answer: bool = True


@dataclass(frozen=True)
class RequestSpec:
    kind: str
    method: str
    path: str
    params: dict | None = None
    body: dict | None = None
    headers: dict | None = None
    timeout: float = TIMEOUT_S
    stream: bool = False


def build_request(kind: str, rng: random.Random, seq: int, target: Target, run_id: str) -> RequestSpec:
    """One request of ``kind``; ``seq`` numbers the run's requests (chat threads are unique by it)."""
    if kind == BASELINE_KIND:
        return RequestSpec(kind, "GET", "/healthz")
    if kind == "generate":
        return RequestSpec(kind, "POST", "/v1/generate", body={"prompt": "ROMEO:\n", "max_new_tokens": 32})
    if kind == "recommend":
        return RequestSpec(
            kind, "POST", "/v1/recommend", body={"user_id": str(rng.randint(1, MOVIELENS_USERS)), "k": 10}
        )
    if kind == "verify":
        return RequestSpec(
            kind,
            "GET",
            "/v1/licenses/verify",
            params={"work_id": target.work_id, "holder": target.holder, "use": "commercial"},
        )
    if kind == "chat":
        return RequestSpec(
            kind,
            "POST",
            "/v1/chat",
            body={"thread_id": f"load-{run_id}-{seq}", "message": CHAT_MESSAGE},
            headers={"Authorization": f"Bearer {target.key}"},
            timeout=CHAT_TIMEOUT_S,
            stream=True,
        )
    raise ValueError(f"unknown request kind {kind!r}")


def choose_kind(mix: dict[str, float], rng: random.Random) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def classify(kind: str, status: int, target: Target) -> str:
    """``ok``, ``rejected`` (429/503) or ``error`` for an HTTP status."""
    if 200 <= status < 300 or (status == 404 and kind == "verify" and target.verify_404_is_answer):
        return "ok"
    return "rejected" if status in REJECTED_STATUSES else "error"


def chat_outcome(lines: list[str]) -> tuple[str, str | None]:
    """(outcome, detail) of a chat's event stream: ok when it ends with a ``message`` and has no ``error``."""
    try:
        events = [parse_event(item) for item in iter_sse(lines)]
    except ValueError as exc:  # not JSON, or not a chat event (pydantic's ValidationError is a ValueError)
        return "error", f"bad event stream: {exc}"[:200]
    for event in events:
        if event.type == "error":
            return "error", f"error event: {event.message}"[:200]
    if not events or events[-1].type != "message":
        last = events[-1].type if events else None
        return "error", f"stream ended without a message event (last: {last})"
    return "ok", None


# ---- statistics (pure) ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    kind: str
    phase: int  # index into the phases: the one the request started in
    start: float  # seconds from the start of the run
    latency: float  # seconds
    outcome: str  # ok, error, rejected
    status: int | None = None
    detail: str | None = None

    @property
    def end(self) -> float:
        return self.start + self.latency


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def summarize(records: list[Record], seconds: float) -> dict:
    """Counts, ok requests per second and latency percentiles (ms, over ok requests) of ``records``."""
    ok = [r.latency for r in records if r.outcome == "ok"]
    causes = Counter(r.detail or f"HTTP {r.status}" for r in records if r.outcome != "ok")
    return {
        "requests": len(records),
        "ok": len(ok),
        "errors": sum(r.outcome == "error" for r in records),
        "rejected": sum(r.outcome == "rejected" for r in records),
        "rps": len(ok) / seconds if seconds > 0 else 0.0,
        **{f"p{q}_ms": _ms(percentile(ok, q)) if ok else None for q in (50, 95, 99)},
        "causes": dict(causes.most_common()),
    }


def level_stats(phases: list[Phase], records: list[Record], baseline_p50_ms: float | None) -> list[dict]:
    """Per level (the phases with clients and a workload): per kind and in total, and each p50 as a multiple
    of the baseline's."""
    rows = []
    for index, phase in enumerate(phases):
        if phase.clients == 0 or BASELINE_KIND in phase.mix:
            continue
        mine = [r for r in records if r.phase == index]
        kinds = {kind: summarize([r for r in mine if r.kind == kind], phase.seconds) for kind in phase.mix}
        for stats in kinds.values():
            p50 = stats["p50_ms"]
            stats["p50_x_baseline"] = round(p50 / baseline_p50_ms, 2) if p50 and baseline_p50_ms else None
        rows.append(
            {
                "level": phase.name,
                "clients": phase.clients,
                "start_s": phase.start,
                "end_s": phase.end,
                "kinds": kinds,
                "total": summarize(mine, phase.seconds),
            }
        )
    return rows


def peak_level(levels: list[dict]) -> dict | None:
    """The level with the highest total rate of ok requests: the peak sustained rate, with its p99."""
    if not levels:
        return None
    best = max(levels, key=lambda row: row["total"]["rps"])
    total = best["total"]
    return {
        "level": best["level"],
        "clients": best["clients"],
        "rps": total["rps"],
        "p99_ms": total["p99_ms"],
        "errors": total["errors"],
        "rejected": total["rejected"],
    }


def rate_timeline(records: list[Record], bucket_s: float, until: float) -> dict:
    """Per kind and per bucket of ``bucket_s`` (by when the requests finished): ok requests/s and p99 ms."""
    buckets = max(1, math.ceil(until / bucket_s))
    kinds = sorted({r.kind for r in records}, key=lambda k: (k != BASELINE_KIND, k))
    series = {}
    for kind in kinds:
        latencies: list[list[float]] = [[] for _ in range(buckets)]
        for r in records:
            if r.kind == kind and r.outcome == "ok":
                latencies[min(buckets - 1, int(r.end / bucket_s))].append(r.latency)
        series[kind] = {
            "rps": [round(len(b) / bucket_s, 3) for b in latencies],
            "p99_ms": [_ms(percentile(b, 99)) if b else None for b in latencies],
        }
    return {"bucket_s": bucket_s, "t": [round(i * bucket_s, 3) for i in range(buckets)], "kinds": series}


def replicas_from_status(status: dict) -> dict[str, dict]:
    """``/v1/system/status`` -> ``{"app/deployment": {"running", "starting", "status"}}``."""
    found = {}
    for app, info in (status.get("applications") or {}).items():
        for name, deployment in (info.get("deployments") or {}).items():
            states = deployment.get("replicas") or {}
            found[f"{app}/{name}"] = {
                "running": int(states.get("RUNNING", 0)),
                "starting": int(states.get("STARTING", 0)),
                "status": deployment.get("status"),
            }
    return found


def replica_series(samples: list[dict]) -> dict[str, tuple[list[float], list[float]]]:
    """Per deployment: sample times and RUNNING replicas (NaN where a sample did not show it)."""
    names = sorted({name for s in samples for name in s.get("replicas", {})})
    return {
        name: (
            [s["t"] for s in samples],
            [s["replicas"][name]["running"] if name in s.get("replicas", {}) else math.nan for s in samples],
        )
        for name in names
    }


def records_as_columns(records: list[Record]) -> dict[str, list]:
    return {
        "kind": [r.kind for r in records],
        "phase": [r.phase for r in records],
        "start_s": [round(r.start, 3) for r in records],
        "latency_ms": [_ms(r.latency) for r in records],
        "outcome": [r.outcome for r in records],
        "status": [r.status for r in records],
    }


# ---- the run (I/O) ----------------------------------------------------------------------------------------


@dataclass
class _LoadRun:
    url: str
    phases: list[Phase]
    target: Target
    sample_s: float
    rng: random.Random = field(default_factory=random.Random)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    records: list[Record] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    phase: int = 0
    seq: int = 0
    started: float = 0.0

    def now(self) -> float:
        return time.perf_counter() - self.started

    async def send(self, client: httpx.AsyncClient, spec: RequestSpec) -> tuple[str, int | None, str | None]:
        try:
            async with asyncio.timeout(spec.timeout):
                if spec.stream:
                    async with client.stream(
                        spec.method,
                        spec.path,
                        params=spec.params,
                        json=spec.body,
                        headers=spec.headers,
                        timeout=spec.timeout,
                    ) as response:
                        if not 200 <= response.status_code < 300:
                            await response.aread()
                            return classify(spec.kind, response.status_code, self.target), response.status_code, None
                        lines = [line async for line in response.aiter_lines()]
                    outcome, detail = chat_outcome(lines)
                    return outcome, response.status_code, detail
                response = await client.request(
                    spec.method,
                    spec.path,
                    params=spec.params,
                    json=spec.body,
                    headers=spec.headers,
                    timeout=spec.timeout,
                )
        except (TimeoutError, httpx.TimeoutException):
            return "error", None, "timeout"
        except httpx.HTTPError as exc:
            return "error", None, f"connection: {type(exc).__name__}"
        return classify(spec.kind, response.status_code, self.target), response.status_code, None

    async def client_loop(self, index: int, client: httpx.AsyncClient) -> None:
        """A closed-loop client: runs while the current phase has more than ``index`` clients."""
        while index < self.phases[self.phase].clients:
            phase = self.phase
            self.seq += 1
            spec = build_request(
                choose_kind(self.phases[phase].mix, self.rng), self.rng, self.seq, self.target, self.run_id
            )
            start = self.now()
            outcome, status, detail = await self.send(client, spec)
            self.records.append(Record(spec.kind, phase, start, self.now() - start, outcome, status, detail))
            if spec.kind == "chat":  # untimed: keeps the user within its threads (100 by default)
                await forget(client, self.url, self.target.key, spec.body["thread_id"])

    async def sample_replicas(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=max(5.0, self.sample_s)) as client:
            next_at = self.now()
            while True:
                t = self.now()
                try:
                    response = await client.get("/v1/system/status")
                    response.raise_for_status()
                    self.samples.append({"t": round(t, 3), "replicas": replicas_from_status(response.json())})
                except (httpx.HTTPError, ValueError, AttributeError) as exc:
                    self.samples.append({"t": round(t, 3), "error": f"{type(exc).__name__}: {exc}"[:200]})
                next_at = max(next_at + self.sample_s, self.now())
                await asyncio.sleep(next_at - self.now())

    async def show_progress(self, bar: tqdm) -> None:
        while True:
            bar.n = min(bar.total, round(self.now(), 1))
            ok = sum(r.outcome == "ok" for r in self.records)
            bar.set_postfix(phase=self.phases[self.phase].name, ok=ok, failed=len(self.records) - ok, refresh=False)
            bar.refresh()
            await asyncio.sleep(0.5)

    async def run(self, bar: tqdm) -> float:
        peak = max(p.clients for p in self.phases)
        limits = httpx.Limits(max_connections=peak, max_keepalive_connections=peak)
        clients: dict[int, asyncio.Task] = {}
        self.started = time.perf_counter()
        background = [asyncio.create_task(self.sample_replicas()), asyncio.create_task(self.show_progress(bar))]
        try:
            async with httpx.AsyncClient(base_url=self.url, limits=limits, timeout=TIMEOUT_S) as client:
                for index, phase in enumerate(self.phases):
                    self.phase = index
                    for i in range(phase.clients):  # add clients; those above the level stop by themselves
                        if i not in clients or clients[i].done():
                            clients[i] = asyncio.create_task(self.client_loop(i, client))
                    await asyncio.sleep(max(0.0, phase.end - self.now()))
                await asyncio.gather(*clients.values())  # the last requests, each bounded by its timeout
            return self.now()
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)


def prepare_target(url: str, key: str | None) -> Target:
    """With a key: register a work and ask about it for the caller's address; without: work 1 and 0x00..01,
    where a 404 is a correct answer."""
    if not key:
        return Target(None)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT_S) as client:
            work = client.post(
                "/v1/works", json={"title": "load test", "content": f"muse bench load {uuid.uuid4().hex}"}
            )
            work.raise_for_status()
            account = client.get("/v1/account")
            account.raise_for_status()
            return Target(key, int(work.json()["id"]), account.json()["address"], verify_404_is_answer=False)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise SystemExit(
            f"cannot prepare the verify workload with the API key (POST /v1/works, GET /v1/account): {exc}"
        ) from exc


def _shade_phases(axes: list[plt.Axes], phases: list[Phase]) -> None:
    for i, phase in enumerate(phases):
        color = "tab:gray" if phase.clients == 0 or BASELINE_KIND in phase.mix else ("tab:blue", "tab:orange")[i % 2]
        for ax in axes:
            ax.axvspan(phase.start, phase.end, color=color, alpha=0.07, linewidth=0)
        axes[0].annotate(
            phase.name,
            xy=((phase.start + phase.end) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=8,
        )


def plot(report: dict, phases: list[Phase], out: Path) -> Path:
    """Three panels over the run: ok requests/s and p99 latency per kind (the /healthz baseline is in the
    table, not here: its rate would flatten the others), and RUNNING replicas per deployment."""
    fig, (rates, latency, replicas) = plt.subplots(
        3, 1, figsize=(12, 10), sharex=True, gridspec_kw={"height_ratios": [2, 2, 1.5]}
    )
    timeline = report["timeline"]
    mid = [t + timeline["bucket_s"] / 2 for t in timeline["t"]]
    colors = {kind: f"C{i}" for i, kind in enumerate(KINDS)}
    for kind, series in timeline["kinds"].items():
        if kind == BASELINE_KIND:
            continue
        rates.plot(mid, series["rps"], color=colors[kind], label=kind)
        latency.plot(
            mid,
            [math.nan if v is None else v for v in series["p99_ms"]],
            color=colors[kind],
            marker=".",
            markersize=4,
            label=kind,
        )
    rates.set(ylabel="ok requests / s", title="Mixed load: request rate, p99 latency and replicas")
    latency.set(ylabel="p99 ms (log)", yscale="log")
    for ax in (rates, latency):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper right")
    styles = ("-", "--", "-.", ":")
    for n, (name, (ts, running)) in enumerate(replica_series(report["replica_samples"]).items()):
        replicas.step(ts, running, where="post", label=name, linestyle=styles[n % len(styles)], linewidth=2)
    replicas.set(xlabel="seconds since start", ylabel="RUNNING replicas")
    replicas.yaxis.get_major_locator().set_params(integer=True)
    if replicas.get_legend_handles_labels()[0]:
        replicas.legend(fontsize=8, loc="upper right")
    _shade_phases([rates, latency, replicas], phases)
    return save_figure(fig, out, "bench-load")


def _print_levels(report: dict) -> None:
    baseline = report["baseline"]
    print(
        f"baseline GET /healthz at concurrency 1: {baseline['requests']} requests, p50 {baseline['p50_ms']} ms, "
        f"p99 {baseline['p99_ms']} ms"
    )
    columns = [
        ("kind", "kind"),
        ("requests", "requests"),
        ("ok", "ok"),
        ("errors", "errors"),
        ("rejected", "rejected"),
        ("rps", "ok req/s"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("p50_x_baseline", "p50 x healthz"),
    ]
    for level in report["levels"]:
        print(f"\nlevel {level['level']} ({level['clients']} clients, {level['end_s'] - level['start_s']:.0f} s)")
        rows = [{"kind": kind, **stats} for kind, stats in level["kinds"].items()]
        rows.append({"kind": "all", **level["total"]})
        print_table([{k: "-" if v is None else v for k, v in row.items()} for row in rows], columns)
    peak = report["peak"]
    if peak:
        print(
            f"\npeak sustained rate: {peak['rps']:.1f} ok req/s at {peak['clients']} clients, p99 {peak['p99_ms']} "
            f"ms ({peak['errors']} errors, {peak['rejected']} rejected)"
        )


def run_load_bench(
    url: str,
    levels: str = DEFAULT_LEVELS,
    mix: str = DEFAULT_MIX,
    step_seconds: float = 20.0,
    cooldown_seconds: float = 150.0,
    sample_seconds: float = 1.0,
    baseline_seconds: float = 5.0,
    key: str | None = None,
    out: Path = Path("bench-results"),
    seed: int | None = None,
) -> dict:
    try:
        level_list, weights = parse_levels(levels), parse_mix(mix)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from exc
    if not (
        0 < step_seconds <= MAX_STEP_SECONDS
        and 0 <= cooldown_seconds <= MAX_COOLDOWN_SECONDS
        and 0.1 <= sample_seconds <= 60
        and 0 < baseline_seconds <= 60
    ):
        raise SystemExit(
            f"error: need 0 < --step-seconds <= {MAX_STEP_SECONDS:.0f}, 0 <= --cooldown-seconds <= "
            f"{MAX_COOLDOWN_SECONDS:.0f}, 0.1 <= --sample-seconds <= 60, 0 < --baseline-seconds <= 60"
        )
    key = key or os.environ.get("MUSE_API_KEY") or None
    if "chat" in weights and not key:
        print("note: chat needs an API key (--key or $MUSE_API_KEY); leaving it out of the mix")
        weights.pop("chat")
        if not weights:
            raise SystemExit("error: nothing left in --mix without chat")
    require_muse(url)
    target = prepare_target(url, key)
    if "verify" in weights:
        print(
            f"verify: work {target.work_id} for {target.holder}"
            + (" (a 404 counts as answered: that work may not exist)" if target.verify_404_is_answer else "")
        )
    phases = plan_phases(level_list, weights, step_seconds, cooldown_seconds, baseline_seconds)
    load = _LoadRun(url, phases, target, sample_seconds, rng=random.Random(seed))
    with tqdm(
        total=round(phases[-1].end, 1),
        desc="bench load",
        unit="s",
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s {postfix}",
    ) as bar:
        duration = asyncio.run(load.run(bar))
        bar.n = bar.total
    baseline = summarize([r for r in load.records if r.phase == 0], phases[0].seconds)
    stats = level_stats(phases, load.records, baseline["p50_ms"])
    report = {
        "meta": {
            "url": url,
            "levels": level_list,
            "mix": weights,
            "step_seconds": step_seconds,
            "cooldown_seconds": cooldown_seconds,
            "sample_seconds": sample_seconds,
            "baseline_seconds": baseline_seconds,
            "duration_s": round(duration, 2),
            "timeouts_s": {"default": TIMEOUT_S, "chat": CHAT_TIMEOUT_S},
            "verify": {
                "work_id": target.work_id,
                "holder": target.holder,
                "404_counts_as_answered": target.verify_404_is_answer,
            },
            "baseline": "GET /healthz alone at concurrency 1, before the levels",
            "counting": "a request counts in the level it started in; rps = ok requests / level seconds; "
            "percentiles over ok requests; 429/503 are 'rejected', other failures 'errors'",
            "phases": [{"name": p.name, "start_s": p.start, "end_s": p.end, "clients": p.clients} for p in phases],
        },
        "baseline": baseline,
        "levels": stats,
        "peak": peak_level(stats),
        "timeline": rate_timeline(load.records, max(1.0, min(5.0, step_seconds / 4)), duration),
        "replica_samples": load.samples,
        "requests": records_as_columns(load.records),
    }
    _print_levels(report)
    json_path = write_json(out, "bench-load", report)
    print(f"wrote {json_path} and {plot(report, phases, out)}")
    return report
