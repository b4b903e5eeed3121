"""``muse bench nearcopy``: how well the near-copy check catches edited copies and lets distinct works through,
per shingle size and threshold, and what it costs a registration. Standalone and seeded: nothing runs but
this process, and everything it writes lives in a temporary folder (and the report in ``--out``).

- **Works**: texts from the bundled model (``TextGenerator`` directly, several seeds per theme: they all sound
  alike) and speeches from the bundled Shakespeare corpus. Half are registered; the other half, on the same
  themes, are the distinct works that must not be refused.
- **Copies**: each registered work edited one way per kind (``EDITS``): case, punctuation (ASCII and Chinese),
  whitespace, one word changed, two words changed, lines reordered, and all of case, punctuation, spacing and
  one word together.
- **Cost**: the check alone (fingerprint + index query) with 0 and ``--works`` works indexed, and a
  registration through ``LedgerService`` without the check (as before), with it on an empty index, and with
  it next to ``--works`` indexed works, interleaved in one run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.paths import BUNDLED_TEXT_MODEL, REPO_ROOT
from core.users import Users, connect
from ledger.metadata import Metadata
from ledger.nearcopies import NearCopyIndex
from ledger.service import Credentials, LedgerService, LedgerSettings, keystore_for
from ledger.similarity import SimilaritySettings, fingerprint, jaccard, normalise, shingles
from muse.bench.report import percentile, print_table, write_json

SHAKESPEARE = REPO_ROOT / "data" / "tinyshakespeare" / "input.txt"
THEMES = ("autumn", "love", "the sea", "a king", "death", "the night", "war", "spring")
WORDS = ("gold", "river", "crown", "shadow", "summer", "heart", "sword", "tears", "honour", "moon", "bread", "horse")
ZH_PUNCT = str.maketrans({",": "，", ".": "。", "!": "！", "?": "？", ";": "；", ":": "："})


def _case(text: str, rng: random.Random) -> str:
    return rng.choice([str.upper, str.lower, str.title, str.swapcase])(text)


def _punctuation(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text.translate(ZH_PUNCT)
    stripped = "".join(ch for ch in text if ch.isalnum() or ch.isspace())
    return " ".join(word + rng.choice(("", "", ",", "!", "...", " -")) for word in stripped.split(" "))


def _whitespace(text: str, rng: random.Random) -> str:
    words = text.split()
    return "".join(word + rng.choice((" ", "  ", "\n", "\t", " \n ")) for word in words).strip()


def _words(count: int) -> Callable[[str, random.Random], str]:
    def change(text: str, rng: random.Random) -> str:
        words = text.split(" ")
        for position in rng.sample(range(len(words)), min(count, len(words))):
            words[position] = rng.choice(WORDS)
        return " ".join(words)

    return change


def _reorder(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    shuffled = lines[:]
    while len(lines) > 1 and shuffled == lines:
        rng.shuffle(shuffled)
    return "\n".join(shuffled)


def _all_at_once(text: str, rng: random.Random) -> str:
    return _whitespace(_punctuation(_case(_words(1)(text, rng), rng), rng), rng)


EDITS: dict[str, Callable[[str, random.Random], str]] = {
    "case": _case,
    "punctuation": _punctuation,
    "whitespace": _whitespace,
    "one word": _words(1),
    "two words": _words(2),
    "lines reordered": _reorder,
    "case+punct+space+word": _all_at_once,
}


def generated_texts(count: int, max_new_tokens: int, seed: int) -> list[str]:
    """``count`` texts from the bundled model, on ``THEMES`` in turn, each with its own seed."""
    from models.text.generator import TextGenerator
    from models.text.params import GenerationParams

    generator = TextGenerator(BUNDLED_TEXT_MODEL)
    prompts = [f"A poem about {THEMES[i % len(THEMES)]}:\n" for i in range(count)]

    async def generate() -> list[str]:
        texts: list[str] = []
        with tqdm(total=count, desc="generating works", unit="text") as bar:
            for start in range(0, count, 16):
                batch = await asyncio.gather(
                    *(
                        generator.complete(prompts[i], GenerationParams(max_new_tokens=max_new_tokens, seed=seed + i))
                        for i in range(start, min(count, start + 16))
                    )
                )
                texts += [c.text.strip() for c in batch]
                bar.update(len(batch))
        return texts

    try:
        return asyncio.run(generate())
    finally:
        generator.close()


def speeches(count: int, rng: random.Random, min_chars: int = 200, max_chars: int = 800) -> list[str]:
    """Speeches of the Shakespeare corpus (the text after a speaker's name) of a poem's length."""
    blocks = [b.split("\n", 1)[1] for b in SHAKESPEARE.read_text().split("\n\n") if "\n" in b]
    fitting = sorted({b for b in blocks if min_chars <= len(b) <= max_chars})
    return rng.sample(fitting, min(count, len(fitting)))


def compositions(count: int, rng: random.Random) -> list[str]:
    """Distinct texts of 4-8 random corpus lines each: filler for large indexes."""
    lines = [line for line in SHAKESPEARE.read_text().splitlines() if len(line) > 20]
    return [f"{i}\n" + "\n".join(rng.sample(lines, rng.randint(4, 8))) for i in range(count)]


def similarities(
    registered: list[str], distinct: list[str], copies: dict[str, list[tuple[int, str]]], shingle_chars: int
) -> dict:
    """At one shingle size: the exact Jaccard of each copy with its original (its 5th percentile and minimum)
    and the highest of any distinct work with any registered one: a threshold between them makes no mistake."""

    def shingled(text: str) -> np.ndarray:
        return shingles(normalise(text), shingle_chars)

    originals = [shingled(text) for text in registered]
    copied = [jaccard(shingled(text), originals[i]) for cases in copies.values() for i, text in cases]
    closest = [max(jaccard(shingled(text), original) for original in originals) for text in distinct]
    return {"copy_p5": percentile(copied, 5), "copy_min": min(copied), "distinct_max": max(closest)}


def accuracy(
    registered: list[str],
    distinct: list[str],
    copies: dict[str, list[tuple[int, str]]],
    settings: SimilaritySettings,
    folder: Path,
) -> dict:
    """Caught copies per edit kind and false refusals of distinct works, through the index, for one setting."""
    index = NearCopyIndex(folder / f"k{settings.shingle_chars}-t{settings.threshold}.sqlite3", settings)
    for work_id, text in enumerate(registered):
        prints = fingerprint(text, settings)
        content_hash = hashlib.sha256(text.encode()).hexdigest()
        index.remember(content_hash, prints)
        index.add(work_id, content_hash, prints)
    row: dict = {"shingle_chars": settings.shingle_chars, "threshold": settings.threshold}
    caught_all = total = 0
    for kind, cases in copies.items():
        caught = sum(
            any(m.work_id == original for m in index.matches(fingerprint(text, settings))) for original, text in cases
        )
        row[kind] = caught / len(cases)
        caught_all, total = caught_all + caught, total + len(cases)
    row["caught"] = caught_all / total
    row["false_refusals"] = sum(bool(index.matches(fingerprint(text, settings))) for text in distinct)
    index.close()
    return row


def _ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "mean_ms": sum(ms) / len(ms)}


def check_latency(index: NearCopyIndex, queries: list[str]) -> dict:
    timings = []
    for text in queries:
        started = time.perf_counter()
        index.matches(fingerprint(text, index.settings))
        timings.append(time.perf_counter() - started)
    return {"works_indexed": len(index), **_ms(timings)}


def fill(index: NearCopyIndex, texts: list[str], first_id: int) -> None:
    """Index texts as works (not registered on a chain: the chain's cost does not depend on them)."""
    for i, text in enumerate(tqdm(texts, desc=f"indexing {len(texts)} works", unit="work", leave=False)):
        content_hash = hashlib.sha256(text.encode()).hexdigest()
        prints = fingerprint(text, index.settings)
        index.remember(content_hash, prints)
        index.add(first_id + i, content_hash, prints)


def service_latency(folder: Path, filler: list[str], texts: list[str], settings: SimilaritySettings) -> list[dict]:
    """Registration latency through LedgerService: as before (no text), checked on an empty index, checked next
    to ``len(filler)`` indexed works; interleaved, each on a fresh chain of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    users = Users(connect(folder / "muse.db"))
    user, key = users.add("bench", create_account=keystore_for(folder).create)
    caller = Credentials(user.address, key)
    services = {}
    for name in ("before (no check)", "check, empty index", f"check, {len(filler)} works indexed"):
        services[name] = LedgerService(
            LedgerSettings(folder / name.replace(" ", "-"), similarity=settings), keystore_for(folder)
        )
        services[name].account(caller.address)
    full = list(services.values())[2]
    fill(full.near_copies, filler, first_id=10**9)
    timings: dict[str, list[float]] = {name: [] for name in services}
    for i, text in enumerate(tqdm(texts, desc="registrations", unit="round", leave=False)):
        for j, (name, service) in enumerate(services.items()):
            content = f"{j}:{text}"
            started = time.perf_counter()
            service.register(
                caller,
                hashlib.sha256(content.encode()).hexdigest(),
                Metadata(f"Work {i}"),
                text=None if j == 0 else content,
            )
            timings[name].append(time.perf_counter() - started)
    for service in services.values():
        service.close()
    base = _ms(timings["before (no check)"])["p50_ms"]
    return [
        {"registration": name, **_ms(seconds), "p50_vs_before": _ms(seconds)["p50_ms"] / base}
        for name, seconds in timings.items()
    ]


def choose(rows: list[dict], goal: float) -> dict | None:
    """Of the settings that refuse no distinct work and catch at least ``goal`` of the copies, the one whose
    threshold lies furthest from both mistakes: the larger of the smaller margin, to the distinct works' highest
    similarity below and to the copies' 5th percentile above."""
    fit = [r for r in rows if r["false_refusals"] == 0 and r["caught"] >= goal]
    return max(fit, key=lambda r: min(r["threshold"] - r["distinct_max"], r["copy_p5"] - r["threshold"]), default=None)


def run_nearcopy_bench(
    generated: int,
    max_new_tokens: int,
    passages: int,
    shingle_sizes: list[int],
    thresholds: list[float],
    works: int,
    large: int,
    registrations: int,
    seed: int,
    out: Path,
) -> dict:
    logging.getLogger("ledger").setLevel(logging.WARNING)
    rng = random.Random(seed)
    texts_generated = [t for t in generated_texts(generated, max_new_tokens, seed) if len(t) >= 40]
    texts_speeches = speeches(passages, rng)
    # Registered: even positions; distinct (same themes, other seeds or speeches): odd positions.
    registered = texts_generated[0::2] + texts_speeches[0::2]
    distinct = texts_generated[1::2] + texts_speeches[1::2]
    copies = {kind: [(i, edit(text, rng)) for i, text in enumerate(registered)] for kind, edit in EDITS.items()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="muse-bench-nearcopy-") as tmp:
        folder = Path(tmp)
        settings_grid = [SimilaritySettings(k, t) for k in shingle_sizes for t in thresholds]
        margins = {k: similarities(registered, distinct, copies, k) for k in shingle_sizes}
        for settings in tqdm(settings_grid, desc="settings", unit="setting"):
            rows.append({**accuracy(registered, distinct, copies, settings, folder), **margins[settings.shingle_chars]})
        chosen = choose(rows, 0.95)
        settings = SimilaritySettings(chosen["shingle_chars"], chosen["threshold"]) if chosen else SimilaritySettings()

        filler = compositions(max(works, large), random.Random(seed + 1))
        queries = compositions(300, random.Random(seed + 2))
        index = NearCopyIndex(folder / "latency.sqlite3", settings)
        check = [check_latency(index, queries)]
        fill(index, filler[:works], first_id=0)
        check.append(check_latency(index, queries))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if large > works:
            fill(index, filler[works:large], first_id=works)
            started = time.perf_counter()
            NearCopyIndex(folder / "latency.sqlite3", settings).load(
                (i, hashlib.sha256(text.encode()).hexdigest()) for i, text in enumerate(filler[:large])
            )
            reload_s = time.perf_counter() - started
            check.append(
                {
                    **check_latency(index, queries),
                    "rebuild_s": reload_s,
                    "peak_rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024,
                }
            )
        index.close()
        service = service_latency(
            folder / "service", filler[:works], compositions(registrations, random.Random(seed + 3)), settings
        )

    cases = {kind: len(c) for kind, c in copies.items()}
    report = {
        "seed": seed,
        "registered": len(registered),
        "distinct": len(distinct),
        "copies_per_kind": cases,
        "generated_texts": len(texts_generated),
        "speeches": len(texts_speeches),
        "accuracy": rows,
        "chosen": chosen,
        "check_latency": check,
        "service_latency": service,
    }
    kinds = list(EDITS)
    print(
        f"{len(registered)} registered works, {len(distinct)} distinct works on the same themes "
        f"(false refusals out of these), {len(registered)} copies per edit kind"
    )
    print_table(
        rows,
        [
            ("shingle_chars", "k"),
            ("threshold", "threshold"),
            *((k, k) for k in kinds),
            ("caught", "caught"),
            ("false_refusals", "false refusals"),
            ("copy_p5", "copy J p5"),
            ("copy_min", "copy J min"),
            ("distinct_max", "distinct J max"),
        ],
    )
    print("chosen:", chosen and f"k={chosen['shingle_chars']}, threshold={chosen['threshold']}")
    print_table(check, [("works_indexed", "works indexed"), ("p50_ms", "check p50 ms"), ("p99_ms", "check p99 ms")])
    print_table(
        service,
        [
            ("registration", "registration"),
            ("p50_ms", "p50 ms"),
            ("p99_ms", "p99 ms"),
            ("p50_vs_before", "p50 vs before"),
        ],
    )
    print(f"wrote {write_json(out, 'bench-nearcopy', report)}")
    return report
