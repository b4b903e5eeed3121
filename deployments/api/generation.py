"""``POST /v1/generate``: Muse's own generation route, one prompt or a batch, optionally streamed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field

from deployments.api.sse import event, sse_response, with_error_event
from deployments.text_service import TextService, merge_indexed
from models.text.params import MAX_PROMPT_CHARS, GenerationParams

MAX_BATCH_PROMPTS = 16

router = APIRouter(tags=["generation"])


def _check_prompts(value: str | list[str]) -> str | list[str]:
    prompts = [value] if isinstance(value, str) else value
    if not 1 <= len(prompts) <= MAX_BATCH_PROMPTS:
        raise ValueError(f"give one prompt or a list of 1 to {MAX_BATCH_PROMPTS}")
    for prompt in prompts:
        if not prompt:
            raise ValueError("a prompt must not be empty")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ValueError(f"a prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}")
    return value


Prompts = Annotated[str | list[str], AfterValidator(_check_prompts)]


class GenerateRequest(GenerationParams):
    prompt: Prompts = Field(description=f"one prompt, or up to {MAX_BATCH_PROMPTS} generated together")
    stream: bool = Field(False, description="Server-Sent Events, one event per chunk of tokens")

    def params(self) -> GenerationParams:
        return GenerationParams(**self.model_dump(include=set(GenerationParams.model_fields)))

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class GenerateResult(BaseModel):
    index: int
    text: str
    finish_reason: str
    usage: Usage


class GenerateResponse(BaseModel):
    model: str
    text: str = Field(description="the first result's text")
    results: list[GenerateResult]
    usage: Usage


def usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    return Usage(
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, total_tokens=prompt_tokens + completion_tokens
    )


@router.post(
    "/v1/generate",
    response_model=GenerateResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when stream=true"}},
)
async def generate(body: GenerateRequest, request: Request):
    """Generate text. With ``stream: true`` each event is ``{"index", "text", "tokens"}``; the last event of
    each prompt adds ``finish_reason`` and ``usage``; the stream ends with ``data: [DONE]``."""
    text: TextService = request.app.state.text
    params, prompts = body.params(), body.prompts()
    if body.stream:
        streams = await asyncio.gather(*(text.stream(p, params) for p in prompts))
        return sse_response(with_error_event(_generate_events(streams)))
    completions = await asyncio.gather(*(text.complete(p, params) for p in prompts))
    results = [
        GenerateResult(
            index=i,
            text=c["text"],
            finish_reason=c["finish_reason"],
            usage=usage(c["prompt_tokens"], c["completion_tokens"]),
        )
        for i, c in enumerate(completions)
    ]
    total = usage(sum(r.usage.prompt_tokens for r in results), sum(r.usage.completion_tokens for r in results))
    return GenerateResponse(model=text.model_name, text=results[0].text, results=results, usage=total)


async def _generate_events(streams: list[AsyncIterator[dict]]) -> AsyncIterator[str]:
    async for index, chunk in merge_indexed(streams):
        payload = {"index": index, "text": chunk["text"], "tokens": chunk["tokens"]}
        if chunk["finish_reason"]:
            payload["finish_reason"] = chunk["finish_reason"]
            payload["usage"] = usage(chunk["prompt_tokens"], chunk["completion_tokens"]).model_dump()
        yield event(payload)
