"""The gateway's side of text generation: calls the Generator deployment and maps its errors to 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from deployments.errors import ApiError
from deployments.served_models import ServedModel
from models.text.params import GenerationParams, Prompt, PromptTooLong

T = TypeVar("T")


class TextService:
    """Wraps a handle to the Generator deployment (anything with the same ``stream``/``complete`` methods).

    ``models`` are the served models, the default (for ``/v1/generate``) first; a plain name stands for one
    model without a tool parser.
    """

    def __init__(self, generator: Any, models: str | list[ServedModel]):
        self._generator = generator
        self.models = [ServedModel(name=models)] if isinstance(models, str) else list(models)
        self.model_name = self.models[0].name

    def model(self, name: str) -> ServedModel:
        """The served model called ``name``: a 404 ``model_not_found`` (as vLLM answers) if there is none."""
        for model in self.models:
            if model.name == name:
                return model
        known = ", ".join(repr(m.name) for m in self.models)
        raise ApiError(
            404,
            f"The model '{name}' does not exist; this server has {known}",
            param="model",
            kind="not_found_error",
            code="model_not_found",
        )

    async def complete(
        self, prompt: Prompt, params: GenerationParams, model: str | None = None, tools: list[dict] | None = None
    ) -> dict:
        try:
            return await self._generator.complete.remote(prompt, params.model_dump(), model, tools)
        except Exception as exc:
            raise _as_api_error(exc) from exc

    async def stream(
        self, prompt: Prompt, params: GenerationParams, model: str | None = None, tools: list[dict] | None = None
    ) -> AsyncIterator[dict]:
        """Start a stream and wait for its first chunk, so that bad input fails before any response is sent."""
        chunks = self._generator.options(stream=True).stream.remote(prompt, params.model_dump(), model, tools)
        try:
            first = await chunks.__anext__()
        except Exception as exc:
            raise _as_api_error(exc) from exc
        return _prepend(first, chunks)


def _as_api_error(exc: Exception) -> Exception:
    cause = getattr(exc, "cause", None) or exc  # Ray wraps replica exceptions; .cause is the original
    if isinstance(cause, PromptTooLong):
        return ApiError(400, str(cause), param="prompt")
    if isinstance(cause, ValueError):
        return ApiError(400, str(cause))
    return exc


async def _prepend(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    yield first
    async for item in rest:
        yield item


async def merge_indexed(streams: list[AsyncIterator[T]]) -> AsyncIterator[tuple[int, T]]:
    """Interleave several streams as items arrive, tagging each with its stream's index."""
    queue: asyncio.Queue = asyncio.Queue()
    done = object()

    async def pump(index: int, stream: AsyncIterator[T]) -> None:
        try:
            async for item in stream:
                await queue.put((index, item))
            await queue.put((index, done))
        except Exception as exc:  # surfaced to the consumer below
            await queue.put((index, exc))

    tasks = [asyncio.create_task(pump(i, s)) for i, s in enumerate(streams)]
    remaining = len(tasks)
    try:
        while remaining:
            index, item = await queue.get()
            if item is done:
                remaining -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield index, item
    finally:
        for task in tasks:
            task.cancel()
