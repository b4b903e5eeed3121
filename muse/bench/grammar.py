"""What grammar-constrained decoding costs: tokens/s of a batch of free, constrained and mixed requests.

    muse bench grammar [--model PATH] [--requests 8] [--tokens 128] [--rounds 3]

Each round runs the three batches one after the other (so a busy machine slows them alike); the figures
are the rounds' medians. Constrained requests follow a JSON schema whose strings are long enough that they
run to ``--tokens``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from tqdm import tqdm

from core.paths import BUNDLED_TEXT_MODEL
from models.text.generator import TextGenerator
from models.text.grammar import json_schema_grammar
from models.text.params import GenerationParams

SCHEMA = {
    "type": "object",
    "properties": {
        "lines": {"type": "array", "items": {"type": "string", "maxLength": 80}},
        "mood": {"enum": ["merry", "sad"]},
    },
    "required": ["lines", "mood"],
}


async def tokens_per_second(generator: TextGenerator, grammars: list[str | None], tokens: int) -> float:
    params = [
        GenerationParams(max_new_tokens=tokens, temperature=1.0, seed=i, grammar=g) for i, g in enumerate(grammars)
    ]
    start = time.perf_counter()
    completions = await asyncio.gather(*(generator.complete("ROMEO:\n", p) for p in params))
    return sum(c.completion_tokens for c in completions) / (time.perf_counter() - start)


def run_grammar_bench(model: Path | None, requests: int, tokens: int, rounds: int, threads: int | None) -> None:
    """Print the median tokens/s of free, constrained and mixed batches, and each as a share of free."""
    generator = TextGenerator(model or BUNDLED_TEXT_MODEL, torch_threads=threads)
    grammar, n = json_schema_grammar(SCHEMA), requests
    batches = {"free": [None] * n, "constrained": [grammar] * n, "mixed": [grammar, None] * (n // 2)}
    try:
        asyncio.run(tokens_per_second(generator, [None] * n, 16))  # warm-up
        rates: dict[str, list[float]] = {name: [] for name in batches}
        with tqdm(total=rounds * len(batches), desc="bench grammar", unit="batch") as bar:
            for _ in range(rounds):
                for name, grammars in batches.items():
                    rates[name].append(asyncio.run(tokens_per_second(generator, grammars, tokens)))
                    bar.update()
    finally:
        generator.close()
    free = statistics.median(rates["free"])
    print(f"{n} requests x {tokens} tokens, {rounds} rounds (median tokens/s):")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"  {name:12s} {rate:8.1f} tok/s  ({rate / free:.0%} of free)")
