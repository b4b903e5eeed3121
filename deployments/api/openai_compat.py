"""OpenAI-compatible routes, so the ``openai`` client and LangChain's ``ChatOpenAI`` work against Muse.

Supported: ``GET /v1/models``, ``POST /v1/completions``, ``POST /v1/chat/completions`` with ``stream``
(and ``stream_options.include_usage``) and ``usage``. One choice per prompt (``n`` must be 1); no tools,
logprobs or penalties: a request that asks for them gets a 4xx naming the field.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from deployments.api.generation import Prompts, usage
from deployments.api.sse import event, sse_response, with_error_event
from deployments.errors import ApiError
from deployments.text_service import TextService, merge_indexed
from models.text.params import (
    MAX_NEW_TOKENS_CAP,
    MAX_PROMPT_CHARS,
    GenerationParams,
    Prompt,
)

MAX_CHAT_MESSAGES = 64
MAX_CONTENT_PARTS = 64  # per message
MAX_MODEL_CHARS = 256
DEFAULT_MAX_TOKENS = 64

router = APIRouter(tags=["openai-compatible"])


class StreamOptions(BaseModel):
    include_usage: bool = False


class OpenAIParams(BaseModel):
    """Fields shared by completions and chat completions; OpenAI's names mapped onto ``GenerationParams``."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=MAX_MODEL_CHARS)
    max_tokens: int | None = Field(None, ge=1, le=MAX_NEW_TOKENS_CAP)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    top_k: int | None = Field(None, ge=0, description="Muse extension")
    stop: str | list[str] | None = None
    seed: int | None = None
    n: Literal[1] = 1
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(None, max_length=256)
    presence_penalty: Literal[0, 0.0] | None = None
    frequency_penalty: Literal[0, 0.0] | None = None

    def params(self, max_tokens: int | None = None) -> GenerationParams:
        given = {"max_new_tokens": max_tokens or self.max_tokens or DEFAULT_MAX_TOKENS,
                 "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k,
                 "stop": self.stop, "seed": self.seed}
        return GenerationParams(**{k: v for k, v in given.items() if v is not None})

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class CompletionRequest(OpenAIParams):
    prompt: Prompts


PromptText = Annotated[str, StringConstraints(max_length=MAX_PROMPT_CHARS)]


class TextPart(BaseModel):
    type: Literal["text"]
    text: PromptText


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: PromptText | Annotated[list[TextPart], Field(max_length=MAX_CONTENT_PARTS)]

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class ChatRequest(OpenAIParams):
    """The messages together are one prompt: at most ``MAX_PROMPT_CHARS`` characters in all."""

    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_CHAT_MESSAGES)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_NEW_TOKENS_CAP)

    @model_validator(mode="after")
    def _one_prompt(self) -> ChatRequest:
        total = sum(len(m.text()) for m in self.messages)
        if total > MAX_PROMPT_CHARS:
            raise ValueError(f"the messages have {total} characters in all; the limit is {MAX_PROMPT_CHARS}")
        return self


def _service(request: Request, model: str) -> TextService:
    text: TextService = request.app.state.text
    if model != text.model_name:
        raise ApiError(404, f"model '{model}' does not exist; this server has '{text.model_name}'",
                       param="model", kind="not_found_error")
    return text


def _usage(chunks: list[dict]) -> dict:
    return usage(sum(c["prompt_tokens"] for c in chunks), sum(c["completion_tokens"] for c in chunks)).model_dump()


@router.get("/v1/models")
async def list_models(request: Request) -> dict:
    name = request.app.state.text.model_name
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "muse"}]}


@router.post("/v1/completions")
async def completions(body: CompletionRequest, request: Request):
    text = _service(request, body.model)
    params = body.params()
    prompts = [body.prompt] if isinstance(body.prompt, str) else list(body.prompt)
    head = {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
            "model": text.model_name}
    if body.stream:
        streams = await asyncio.gather(*(text.stream(p, params) for p in prompts))
        return sse_response(with_error_event(_completion_events(head, streams, body.include_usage)))
    results = await asyncio.gather(*(text.complete(p, params) for p in prompts))
    choices = [{"index": i, "text": r["text"], "finish_reason": r["finish_reason"], "logprobs": None}
               for i, r in enumerate(results)]
    return {**head, "choices": choices, "usage": _usage(results)}


async def _completion_events(head: dict, streams: list[AsyncIterator[dict]], include_usage: bool):
    finals = []
    async for index, chunk in merge_indexed(streams):
        choice = {"index": index, "text": chunk["text"], "finish_reason": chunk["finish_reason"], "logprobs": None}
        yield event({**head, "choices": [choice]})
        if chunk["finish_reason"]:
            finals.append(chunk)
    if include_usage:
        yield event({**head, "choices": [], "usage": _usage(finals)})


@router.post("/v1/chat/completions")
async def chat_completions(body: ChatRequest, request: Request):
    text = _service(request, body.model)
    params = body.params(body.max_completion_tokens)
    messages: Prompt = [{"role": m.role, "content": m.text()} for m in body.messages]
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": text.model_name}
    if body.stream:
        stream = await text.stream(messages, params)
        return sse_response(with_error_event(_chat_events(head, stream, body.include_usage)))
    result = await text.complete(messages, params)
    message = {"role": "assistant", "content": result["text"]}
    return {**head, "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": result["finish_reason"]}],
            "usage": _usage([result])}


async def _chat_events(head: dict, stream: AsyncIterator[dict], include_usage: bool):
    head = {**head, "object": "chat.completion.chunk"}
    yield event({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                      "finish_reason": None}]})
    async for chunk in stream:
        delta = {"content": chunk["text"]} if chunk["text"] else {}
        yield event({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": chunk["finish_reason"]}]})
        final = chunk
    if include_usage:
        yield event({**head, "choices": [], "usage": _usage([final])})
