"""The Generator deployment: one continuous-batching text generator per replica.

It scales to zero when idle (see ``serve_config.yaml``); a call that arrives
while there is no replica waits for Serve to start one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, replace

from ray import serve

from models.text.generator import TextChunk, TextGenerator
from models.text.params import GenerationParams
from muse.paths import BUNDLED_TEXT_MODEL

log = logging.getLogger("ray.serve")

Prompt = str | list[dict[str, str]]  # plain text, or chat messages rendered with the model's template


def resolve_model(model: str) -> str:
    """``bundled`` means the model shipped in the repository; anything else is a folder or hub id."""
    return str(BUNDLED_TEXT_MODEL) if model == "bundled" else model


async def coalesce(chunks: AsyncIterator[TextChunk], interval_s: float) -> AsyncIterator[TextChunk]:
    """Merge chunks so that at most one is sent per ``interval_s`` (the first and the last go at once).

    Every chunk crosses two Ray hops (generator -> gateway -> proxy); on a small machine that per-message
    cost, not the model, limits streaming throughput. A held chunk leaves with the next token.
    """
    pending: TextChunk | None = None
    last_sent = 0.0
    async for chunk in chunks:
        if pending is not None:
            chunk = replace(chunk, text=pending.text + chunk.text, tokens=pending.tokens + chunk.tokens)
        now = time.monotonic()
        if chunk.finish_reason or now - last_sent >= interval_s:
            yield chunk
            pending, last_sent = None, now
        else:
            pending = chunk


@serve.deployment(name="Generator")
class Generator:
    def __init__(self, model: str = "bundled", device: str | None = None, torch_threads: int | None = None,
                 stream_interval_s: float = 0.0):
        self._generator = TextGenerator(resolve_model(model), device=device, torch_threads=torch_threads)
        self._stream_interval_s = stream_interval_s

    def _prompt_text(self, prompt: Prompt) -> str:
        return prompt if isinstance(prompt, str) else self._generator.chat_prompt(prompt)

    async def stream(self, prompt: Prompt, params: dict) -> AsyncIterator[dict]:
        """Token chunks as dicts (see ``TextChunk``); call through a handle with ``stream=True``."""
        chunks = self._generator.stream(self._prompt_text(prompt), GenerationParams(**params))
        async for chunk in coalesce(chunks, self._stream_interval_s):
            yield asdict(chunk)

    async def complete(self, prompt: Prompt, params: dict) -> dict:
        completion = await self._generator.complete(self._prompt_text(prompt), GenerationParams(**params))
        return asdict(completion)

    def check_health(self) -> None:
        """Serve restarts the replica if the background generation loop has died."""
        if not self._generator.healthy():
            raise RuntimeError("the continuous-batching generation loop is not running")

    def __del__(self) -> None:
        self._generator.close()
