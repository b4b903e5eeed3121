"""The gateway's side of text generation: calls the Generator deployment and maps its errors to 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from deployments.errors import ApiError
from models.text.params import GenerationParams, Prompt, PromptTooLong

T = TypeVar("T")


class TextService:
    """Wraps a handle to the Generator deployment (anything with the same ``stream``/``complete`` methods)."""

    def __init__(self, generator: Any, model_name: str):
        self._generator = generator
        self.model_name = model_name

    async def complete(self, prompt: Prompt, params: GenerationParams) -> dict:
        try:
            return await self._generator.complete.remote(prompt, params.model_dump())
        except Exception as exc:
            raise _as_api_error(exc) from exc

    async def stream(self, prompt: Prompt, params: GenerationParams) -> AsyncIterator[dict]:
        """Start a stream and wait for its first chunk, so that bad input fails before any response is sent."""
        chunks = self._generator.options(stream=True).stream.remote(prompt, params.model_dump())
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
