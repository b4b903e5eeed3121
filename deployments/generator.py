"""The Generator deployment: one continuous-batching text generator per replica.

It scales to zero when idle (see ``serve_config.yaml``); a call that arrives
while there is no replica waits for Serve to start one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict

from ray import serve

from deployments.metrics import counter
from models.text.generator import TextGenerator
from models.text.params import GenerationParams, Prompt
from core.paths import BUNDLED_TEXT_MODEL


def resolve_model(model: str) -> str:
    """``bundled`` means the model shipped in the repository; anything else is a folder or hub id."""
    return str(BUNDLED_TEXT_MODEL) if model == "bundled" else model


def _count_tokens(tokens: int) -> None:
    if tokens:
        counter("muse_tokens_generated").inc(tokens)


@serve.deployment(name="Generator")
class Generator:
    def __init__(self, model: str = "bundled", device: str | None = None, dtype: str = "auto",
                 torch_threads: int | None = None, stream_interval_s: float = 0.0):
        self._generator = TextGenerator(resolve_model(model), device=device, dtype=dtype,
                                        torch_threads=torch_threads)
        self._stream_interval_s = stream_interval_s

    def _prompt_text(self, prompt: Prompt) -> str:
        return prompt if isinstance(prompt, str) else self._generator.chat_prompt(prompt)

    async def stream(self, prompt: Prompt, params: dict) -> AsyncIterator[dict]:
        """Token chunks as dicts (see ``TextChunk``); call through a handle with ``stream=True``."""
        # Each chunk crosses the network (generator -> gateway -> client): on a small machine that
        # per-message cost, not the model, limits streaming throughput, hence an interval.
        chunks = self._generator.stream(self._prompt_text(prompt), GenerationParams(**params),
                                        interval_s=self._stream_interval_s)
        async for chunk in chunks:
            if chunk.finish_reason:
                _count_tokens(chunk.completion_tokens)
            yield asdict(chunk)

    async def complete(self, prompt: Prompt, params: dict) -> dict:
        completion = await self._generator.complete(self._prompt_text(prompt), GenerationParams(**params))
        _count_tokens(completion.completion_tokens)
        return asdict(completion)

    async def ping(self) -> bool:
        """Nothing: a call that makes Serve start a replica when there is none (the assistant's pre-warm)."""
        return True

    def check_health(self) -> None:
        """Serve restarts the replica if the background generation loop has died."""
        if not self._generator.healthy():
            raise RuntimeError("the continuous-batching generation loop is not running")

    def __del__(self) -> None:
        self._generator.close()
