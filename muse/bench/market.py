"""``muse bench market``: a marketplace simulation that puts recommendation policies side by side.

Users have hidden tastes over topics; creators publish works (short texts from a small seeded generator, one
topic each, embedded with the offline MiniLM) over time, half of the creators joining in the second half. At
each step a random user asks for ``k`` works; they like each shown work with a probability that grows with their
hidden affinity for it, and license some of what they like, paying its creator. Every policy faces the same
users, works, schedule and coins (the same seed), in one run:

- **popularity**: most liked first (ties: oldest first);
- **ALS**: implicit ALS on likes and licenses (refitted every ``--retrain-every`` requests, the user folded in
  per request); users it knows nothing of get popularity;
- **muse**: the works catalogue the Recommender serves (``models.recsys.works``): ALS blended with content,
  2 of 10 slots for works with few interactions.

The policies are driven in process (no Ray, no HTTP): the run takes a few minutes on 2 cores.
Reported: hit rate (shown works the user likes), the Gini coefficient of impressions across works, requests
from a work's publication to its first impression (median; never shown counts as never), and the share of
royalties reaching creators who joined in the second half.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from models.recsys.works import Work, WorksCatalogue, WorksRequest, work_text
from models.recsys.works_cf import WorksCollaborative
from muse.bench.report import print_table, save_figure, write_json

TOPICS = {
    "sea": ["tide", "harbor", "sailors", "storm", "lighthouse", "whales", "salt", "waves", "anchor", "coral"],
    "space": ["rocket", "orbit", "astronaut", "nebula", "moon", "starship", "comet", "galaxy", "gravity", "robots"],
    "love": ["heart", "kiss", "longing", "wedding", "letters", "lovers", "embrace", "promise", "desire", "romance"],
    "war": ["battle", "soldiers", "siege", "cannons", "general", "trenches", "victory", "armor", "banners", "ruin"],
    "garden": ["roses", "orchard", "seeds", "blossom", "harvest", "bees", "soil", "meadow", "tulips", "rain"],
    "city": ["subway", "neon", "traffic", "skyscraper", "crowds", "alley", "taxi", "market", "sirens", "rooftop"],
    "crime": ["detective", "murder", "clues", "alibi", "suspect", "heist", "police", "evidence", "shadow", "verdict"],
    "music": ["melody", "guitar", "choir", "rhythm", "drums", "concert", "song", "violin", "chorus", "jazz"],
}
TEMPLATES = [
    "The {a} and the {b}.",
    "Under the {a}, {b} wait for {c}.",
    "A story of {a}, {b} and {c}.",
    "Nobody forgets the {a} of {b}.",
    "When {a} meet {b}, the {c} begins.",
]
LIKE_SHARPNESS, LIKE_CENTRE = 10.0, 0.45  # P(like) = sigmoid(sharpness * (affinity - centre))
LICENSE_SHARE = 0.3  # of likes that become a paid license
LIKE_WEIGHT, LICENSE_WEIGHT = 4.0, 5.0


@dataclass(frozen=True)
class MarketConfig:
    users: int = 300
    creators: int = 60
    initial_works: int = 60
    works: int = 360
    requests: int = 6000
    k: int = 10
    retrain_every: int = 200
    seed: int = 0


@dataclass
class World:
    """What the simulation knows and the policies do not: tastes, topics, quality, who published what when."""

    taste: np.ndarray  # users x topics
    topic: np.ndarray  # works x topics
    quality: np.ndarray  # works
    creator: np.ndarray  # works -> creator
    published_at: np.ndarray  # works -> request index from which it is in the catalogue
    late_creator: np.ndarray  # creators -> joined in the second half
    fee: np.ndarray  # works -> fee
    titles: list[str]
    texts: list[str]
    askers: np.ndarray  # request -> user

    def affinity(self, user: int, works: np.ndarray) -> np.ndarray:
        return self.topic[works] @ self.taste[user] + self.quality[works]


def make_world(config: MarketConfig) -> World:
    rng = np.random.default_rng(config.seed)
    names = list(TOPICS)
    taste = rng.dirichlet(np.full(len(names), 0.3), config.users)
    main = rng.integers(len(names), size=config.works)
    topic = np.full((config.works, len(names)), 0.05)
    topic[np.arange(config.works), main] = 1.0
    late = np.arange(config.creators) >= config.creators // 2
    early_creators, late_creators = np.flatnonzero(~late), np.flatnonzero(late)
    published = np.zeros(config.works, dtype=np.int64)
    later = config.works - config.initial_works
    published[config.initial_works :] = np.sort(rng.integers(1, config.requests, size=later))
    half = config.requests // 2
    creator = np.array(
        [
            rng.choice(early_creators) if at < half or rng.random() < 0.3 else rng.choice(late_creators)
            for at in published
        ]
    )
    titles, texts = [], []
    for w in range(config.works):
        words = TOPICS[names[main[w]]]
        picks = lambda: {k: rng.choice(words) for k in "abc"}  # noqa: E731
        titles.append(" ".join(str(rng.choice(words)).capitalize() for _ in range(2)) + f" No. {w + 1}")
        texts.append(" ".join(rng.choice(TEMPLATES).format(**picks()) for _ in range(3)))
    return World(
        taste,
        topic,
        rng.normal(0.0, 0.1, config.works),
        creator,
        published,
        late,
        rng.integers(1, 6, config.works).astype(float),
        titles,
        texts,
        rng.integers(config.users, size=config.requests),
    )


@dataclass
class Outcome:
    impressions: np.ndarray
    first_seen: np.ndarray  # request index of each work's first impression, -1 if never
    likes: int = 0
    shown: int = 0
    royalties: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per creator


# A policy: (request index, user, catalogue ids published so far, the user's history, liked counts) -> work ids
Policy = Callable[[int, int, list[int], dict[int, float], np.ndarray], list[int]]


def simulate(
    world: World,
    config: MarketConfig,
    policy: Policy,
    on_publish: Callable[[list[int]], None],
    on_step: Callable[[int, list[tuple[int, int, float]]], None],
    bar: tqdm,
) -> Outcome:
    rng = np.random.default_rng(config.seed + 1)  # the same coins for every policy
    n = len(world.quality)
    outcome = Outcome(np.zeros(n, np.int64), np.full(n, -1), royalties=np.zeros(len(world.late_creator)))
    history: list[dict[int, float]] = [{} for _ in range(config.users)]
    interactions: list[tuple[int, int, float]] = []
    liked_counts = np.zeros(n, np.int64)
    published = 0
    for step, user in enumerate(world.askers):
        newly = [w for w in range(published, n) if world.published_at[w] <= step]
        if newly:
            on_publish(newly)
            published += len(newly)
        shown = np.array(policy(step, int(user), list(range(published)), history[user], liked_counts), np.int64)
        coins, license_coins = rng.random(config.k), rng.random(config.k)
        if len(shown):
            outcome.impressions[shown] += 1
            fresh = shown[outcome.first_seen[shown] < 0]
            outcome.first_seen[fresh] = step
            p_like = 1 / (1 + np.exp(-LIKE_SHARPNESS * (world.affinity(int(user), shown) - LIKE_CENTRE)))
            for work, coin, license_coin, p in zip(shown, coins, license_coins, p_like):
                if coin < p:
                    outcome.likes += 1
                    liked_counts[work] += 1
                    weight = LIKE_WEIGHT
                    if license_coin < LICENSE_SHARE:
                        weight = LICENSE_WEIGHT
                        outcome.royalties[world.creator[work]] += world.fee[work]
                    history[user][int(work)] = weight
                    interactions.append((int(user), int(work), weight))
        outcome.shown += len(shown)
        on_step(step, interactions)
        bar.update(1)
    return outcome


def gini(values: np.ndarray) -> float:
    """0 when every work got the same exposure, towards 1 when a few got all of it."""
    v = np.sort(values.astype(float))
    if v.sum() == 0:
        return 0.0
    n = len(v)
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))


def summarise(name: str, world: World, config: MarketConfig, outcome: Outcome) -> dict:
    new = np.flatnonzero(world.published_at > 0)
    waits = [outcome.first_seen[w] - world.published_at[w] if outcome.first_seen[w] >= 0 else float("inf") for w in new]
    late = world.late_creator
    return {
        "policy": name,
        "hit_rate": outcome.likes / max(outcome.shown, 1),
        "likes": outcome.likes,
        "gini": gini(outcome.impressions),
        "median_first_impression": statistics.median(waits),
        "new_seen_within_300": float(np.mean([w <= 300 for w in waits])),
        "new_never_seen": float(np.mean([w == float("inf") for w in waits])),
        "late_creator_royalties": float(outcome.royalties[late].sum() / max(outcome.royalties.sum(), 1e-9)),
    }


def _by_likes(liked: np.ndarray, available: list[int], exclude: dict[int, float], k: int) -> list[int]:
    order = sorted((w for w in available if w not in exclude), key=lambda w: (-liked[w], w))
    return order[:k]


def popularity_policy(config: MarketConfig) -> tuple[Policy, Callable, Callable]:
    return (
        lambda step, user, available, history, liked: _by_likes(liked, available, history, config.k),
        lambda works: None,
        lambda step, interactions: None,
    )


def _refit(cf: WorksCollaborative, config: MarketConfig, first_id: int = 0) -> Callable[[int, list], None]:
    """The periodic retrain: every ``retrain_every`` requests, on every interaction so far."""

    def on_step(step: int, interactions: list[tuple[int, int, float]]) -> None:
        if step % config.retrain_every == config.retrain_every - 1:
            cf.fit((str(u), w + first_id, weight) for u, w, weight in interactions)

    return on_step


def als_policy(config: MarketConfig) -> tuple[Policy, Callable, Callable]:
    cf = WorksCollaborative()

    def policy(step: int, user: int, available: list[int], history: dict[int, float], liked: np.ndarray) -> list[int]:
        scores = cf.scores(history, available)
        if scores is None:
            return _by_likes(liked, available, history, config.k)
        ranked = sorted((w for w in available if w not in history), key=lambda w: (-scores[w], -liked[w], w))
        return ranked[: config.k]

    return policy, lambda works: None, _refit(cf, config)


def muse_policy(config: MarketConfig, world: World, encode) -> tuple[Policy, Callable, Callable]:
    catalogue = WorksCatalogue(encode, collaborative=WorksCollaborative())

    def publish(works: list[int]) -> None:
        catalogue.add(
            [Work(w + 1, world.titles[w], f"creator-{world.creator[w]}", "text/plain", world.texts[w]) for w in works]
        )

    def policy(step: int, user: int, available: list[int], history: dict[int, float], liked: np.ndarray) -> list[int]:
        catalogue.set_counts({w + 1: int(liked[w]) for w in available if liked[w]})
        request = WorksRequest(history=tuple((w + 1, weight) for w, weight in history.items()), k=config.k)
        return [r.id - 1 for r in catalogue.recommend(request)]

    return policy, publish, _refit(catalogue.collaborative, config, first_id=1)


def cached_encoder(texts: list[str]) -> Callable[[list[str]], np.ndarray]:
    """The offline MiniLM, run once over every text of the simulation (then looked up)."""
    from models.recsys.content import load_encoder

    encoder = load_encoder()
    vectors = encoder.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    table = dict(zip(texts, vectors))
    return lambda batch: np.stack(
        [
            table[t] if t in table else encoder.encode([t], normalize_embeddings=True, convert_to_numpy=True)[0]
            for t in batch
        ]
    )


def run_market_bench(config: MarketConfig, out_dir: Path, plot: Path) -> list[dict]:
    threadpool_limits(1)
    world = make_world(config)
    encode = cached_encoder(
        [work_text(Work(w + 1, world.titles[w], "", "text/plain", world.texts[w])) for w in range(config.works)]
    )
    policies = {
        "popularity": popularity_policy(config),
        "ALS": als_policy(config),
        "muse": muse_policy(config, world, encode),
    }
    rows = []
    with tqdm(total=config.requests * len(policies), desc="market", unit="req") as bar:
        for name, (policy, publish, on_step) in policies.items():
            rows.append(summarise(name, world, config, simulate(world, config, policy, publish, on_step, bar)))
    base = rows[0]
    for row in rows:
        row["hit_rate_x_popularity"] = row["hit_rate"] / max(base["hit_rate"], 1e-9)
        row["gini_x_popularity"] = row["gini"] / max(base["gini"], 1e-9)
    print_table(
        rows,
        [
            ("policy", "policy"),
            ("hit_rate", "hit rate"),
            ("hit_rate_x_popularity", "x pop"),
            ("gini", "exposure Gini"),
            ("gini_x_popularity", "x pop"),
            ("median_first_impression", "median reqs to 1st impression"),
            ("new_seen_within_300", "new seen <=300"),
            ("new_never_seen", "never seen"),
            ("late_creator_royalties", "royalties to late creators"),
        ],
    )
    write_json(out_dir, "bench-market", {"config": config.__dict__, "results": rows})
    _plot(rows, plot)
    return rows


def _plot(rows: list[dict], path: Path) -> None:
    metrics = [
        ("hit_rate", "hit rate (higher is better)"),
        ("gini", "exposure Gini (lower is better)"),
        ("new_seen_within_300", "new works seen within 300 requests"),
        ("late_creator_royalties", "royalty share of late creators"),
    ]
    fig, axes = plt.subplots(1, len(metrics), figsize=(14, 3.4))
    names = [r["policy"] for r in rows]
    for ax, (key, title) in zip(axes, metrics):
        ax.bar(names, [r[key] for r in rows], color=["#999999", "#4c72b0", "#dd8452"])
        ax.set_title(title, fontsize=9)
    fig.suptitle("muse bench market: popularity, ALS and Muse's policy on the same simulated marketplace")
    save_figure(fig, path.parent, path.stem)
