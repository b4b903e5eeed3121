"""The Generator deployment: one continuous-batching text generator per served model, in every replica.

It scales to zero when idle (see ``serve_config.yaml``); a call that arrives
while there is no replica waits for Serve to start one. Calls name their model (``model=``); without one they
go to the first (the assistant and ``/v1/generate`` call it so).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict

from ray import serve

from deployments.metrics import counter
from deployments.served_models import ServedModel
from models.text.generator import TextGenerator
from models.text.params import GenerationParams, Prompt


def _count_tokens(tokens: int) -> None:
    if tokens:
        counter("muse_tokens_generated").inc(tokens)


@serve.deployment(name="Generator")
class Generator:
    def __init__(
        self,
        models: str | list[ServedModel] = "bundled",
        device: str | None = None,
        dtype: str = "auto",
        torch_threads: int | None = None,
        stream_interval_s: float = 0.0,
    ):
        """``models``: the served models, or one model's path (served under any name)."""
        if isinstance(models, str):
            models = [ServedModel(name="default", path=models)]
        self._generators = {
            m.name: TextGenerator(m.resolved_path(), device=device, dtype=dtype, torch_threads=torch_threads)
            for m in models
        }
        self._default = models[0].name
        self._stream_interval_s = stream_interval_s

    def _pick(self, model: str | None) -> TextGenerator:
        if model is not None and model not in self._generators:
            raise ValueError(f"model '{model}' is not served here")
        return self._generators[model or self._default]

    def _prepare(
        self, prompt: Prompt, params: dict, model: str | None, tools: list[dict] | None
    ) -> tuple[TextGenerator, str, GenerationParams]:
        generator = self._pick(model)
        text = prompt if isinstance(prompt, str) else generator.chat_prompt(prompt, tools)
        return generator, text, GenerationParams(**params)

    async def stream(
        self, prompt: Prompt, params: dict, model: str | None = None, tools: list[dict] | None = None
    ) -> AsyncIterator[dict]:
        """Token chunks as dicts (see ``TextChunk``); call through a handle with ``stream=True``. ``tools``
        (OpenAI function tools) go to the chat template with the messages."""
        generator, text, params = self._prepare(prompt, params, model, tools)
        # Each chunk crosses the network (generator -> gateway -> client): on a small machine that
        # per-message cost, not the model, limits streaming throughput, hence an interval.
        chunks = generator.stream(text, params, interval_s=self._stream_interval_s)
        async for chunk in chunks:
            if chunk.finish_reason:
                _count_tokens(chunk.completion_tokens)
            yield asdict(chunk)

    async def complete(
        self, prompt: Prompt, params: dict, model: str | None = None, tools: list[dict] | None = None
    ) -> dict:
        generator, text, params = self._prepare(prompt, params, model, tools)
        completion = await generator.complete(text, params)
        _count_tokens(completion.completion_tokens)
        return asdict(completion)

    async def ping(self) -> bool:
        """Nothing: a call that makes Serve start a replica when there is none (the assistant's pre-warm)."""
        return True

    def check_health(self) -> None:
        """Serve restarts the replica if a background generation loop has died."""
        dead = [name for name, generator in self._generators.items() if not generator.healthy()]
        if dead:
            raise RuntimeError(f"the continuous-batching generation loop of {dead} is not running")

    def __del__(self) -> None:
        for generator in self._generators.values():
            generator.close()
