"""OpenAI-compatible routes, so the ``openai`` client and LangChain's ``ChatOpenAI`` work against Muse.

Supported: ``GET /v1/models`` (and ``/v1/models/{id}``: the text models, then the embedding model of
``embeddings.py``), ``POST /v1/completions``, ``POST /v1/chat/completions``
with ``stream`` (and ``stream_options.include_usage``), ``usage``, tools and ``response_format``
(``tool_calling.py``). Each request names one of the served models. One choice per prompt (``n`` must be 1);
no logprobs or penalties: a request that asks for them gets a 400 naming the field, in OpenAI's error shape.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from deployments.api.embeddings import EMBEDDING_MODEL
from deployments.api.generation import Prompts, usage
from deployments.api.openai_answers import (
    ChatCompletion,
    ChatCompletionChunk,
    Completion,
    CompletionChunk,
    ModelCard,
    ModelList,
    StreamError,
)
from deployments.api.openapi_docs import event_stream_doc
from deployments.api.sse import event, sse_response, with_error_event
from deployments.api.tool_calling import (
    MAX_TOOL_CALL_ID_CHARS,
    MAX_TOOL_CALLS,
    MAX_TOOL_NAME_CHARS,
    CallReading,
    ChatDeltas,
    MessageToolCall,
    ToolFields,
    chat_message,
)
from deployments.errors import OPENAI_TAG
from deployments.served_models import MAX_MODEL_NAME_CHARS
from deployments.text_service import TextService, merge_indexed
from models.text.params import (
    MAX_NEW_TOKENS_CAP,
    MAX_PROMPT_CHARS,
    GenerationParams,
    Prompt,
)

MAX_CHAT_MESSAGES = 64
MAX_CONTENT_PARTS = 64  # per message
DEFAULT_MAX_TOKENS = 64
CONSTRAINED_DEFAULT_MAX_TOKENS = MAX_NEW_TOKENS_CAP  # under a forced tool_choice or a JSON response_format

router = APIRouter(tags=[OPENAI_TAG])


class StreamOptions(BaseModel):
    include_usage: bool = False


class OpenAIParams(BaseModel):
    """Fields shared by completions and chat completions; OpenAI's names mapped onto ``GenerationParams``."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=MAX_MODEL_NAME_CHARS)
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

    def params(self, max_tokens: int | None = None, grammar: str | None = None) -> GenerationParams:
        """``grammar`` constrains the output (constrained output gets a longer default length, since a JSON
        value or a tool call cut off by the token limit is lost)."""
        default = CONSTRAINED_DEFAULT_MAX_TOKENS if grammar else DEFAULT_MAX_TOKENS
        given = {
            "max_new_tokens": max_tokens or self.max_tokens or default,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": self.stop,
            "seed": self.seed,
            "grammar": grammar,
        }
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
    """A message as OpenAI's API takes it; an assistant's may carry ``tool_calls`` (then ``content`` may be
    null), and a ``tool`` message answers one of them by ``tool_call_id``."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: PromptText | Annotated[list[TextPart], Field(max_length=MAX_CONTENT_PARTS)] | None = None
    name: str | None = Field(None, max_length=MAX_TOOL_NAME_CHARS)
    tool_calls: Annotated[list[MessageToolCall], Field(max_length=MAX_TOOL_CALLS)] | None = None
    tool_call_id: str | None = Field(None, min_length=1, max_length=MAX_TOOL_CALL_ID_CHARS)

    @model_validator(mode="after")
    def _consistent(self) -> ChatMessage:
        if self.tool_calls and self.role != "assistant":
            raise ValueError("only an assistant message may carry tool_calls")
        if (self.role == "tool") != (self.tool_call_id is not None):
            raise ValueError("a tool message needs a tool_call_id, and only a tool message has one")
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise ValueError("content may be null only in an assistant message with tool_calls")
        return self

    def text(self) -> str:
        if self.content is None:
            return ""
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)

    def characters(self) -> int:
        return len(self.text()) + sum(len(c.function.arguments) for c in self.tool_calls or ())

    def for_template(self) -> dict:
        """The dict chat templates read (HF's convention: a call's arguments as an object)."""
        message: dict = {"role": "system" if self.role == "developer" else self.role, "content": self.text()}
        if self.tool_calls:
            message["tool_calls"] = [c.for_template() for c in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            message["name"] = self.name
        return message


class ChatRequest(OpenAIParams, ToolFields):
    """The messages together are one prompt: at most ``MAX_PROMPT_CHARS`` characters in all."""

    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_CHAT_MESSAGES)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_NEW_TOKENS_CAP)

    @model_validator(mode="after")
    def _one_prompt(self) -> ChatRequest:
        total = sum(m.characters() for m in self.messages)
        if total > MAX_PROMPT_CHARS:
            raise ValueError(f"the messages have {total} characters in all; the limit is {MAX_PROMPT_CHARS}")
        return self


def _service(request: Request, model: str) -> TextService:
    text: TextService = request.app.state.text
    text.model(model)  # a 404 if there is no such model
    return text


def _usage(chunks: list[dict]) -> dict:
    return usage(sum(c["prompt_tokens"] for c in chunks), sum(c["completion_tokens"] for c in chunks)).model_dump()


def _model_card(name: str) -> dict:
    return {"id": name, "object": "model", "created": 0, "owned_by": "muse"}


_JSON_OR_STREAM = "JSON; with stream=true, Server-Sent Events of chunks, then data: [DONE]"


def _stream_doc(chunk: type[BaseModel], answer: type[BaseModel]) -> dict:
    """A 200 that is ``answer`` as JSON, or a stream of ``chunk`` (or a ``StreamError``)."""
    return event_stream_doc(
        chunk | StreamError,
        _JSON_OR_STREAM,
        {"application/json": {"schema": {"$ref": f"#/components/schemas/{answer.__name__}"}}},
        done=True,
    )


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request) -> dict:
    names = [*(m.name for m in request.app.state.text.models), EMBEDDING_MODEL]
    return {"object": "list", "data": [_model_card(name) for name in names]}


@router.get("/v1/models/{model_id:path}", response_model=ModelCard)
async def get_model(model_id: str, request: Request) -> dict:
    return _model_card(model_id if model_id == EMBEDDING_MODEL else request.app.state.text.model(model_id).name)


@router.post("/v1/completions", response_model=Completion, openapi_extra=_stream_doc(CompletionChunk, Completion))
async def completions(body: CompletionRequest, request: Request):
    text = _service(request, body.model)
    params = body.params()
    prompts = [body.prompt] if isinstance(body.prompt, str) else list(body.prompt)
    head = {
        "id": f"cmpl-{uuid.uuid4().hex}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": body.model,
    }
    if body.stream:
        streams = await asyncio.gather(*(text.stream(p, params, body.model) for p in prompts))
        return sse_response(with_error_event(_completion_events(head, streams, body.include_usage)))
    results = await asyncio.gather(*(text.complete(p, params, body.model) for p in prompts))
    choices = [
        {"index": i, "text": r["text"], "finish_reason": r["finish_reason"], "logprobs": None}
        for i, r in enumerate(results)
    ]
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


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    openapi_extra=_stream_doc(ChatCompletionChunk, ChatCompletion),
)
async def chat_completions(body: ChatRequest, request: Request):
    text = _service(request, body.model)
    parser = text.model(body.model).tool_parser
    calls = body.call_reading(parser)
    params = body.params(body.max_completion_tokens, body.grammar(parser))
    messages: Prompt = [m.for_template() for m in body.messages]
    tools = body.template_tools()
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": body.model}
    if body.stream:
        stream = await text.stream(messages, params, body.model, tools)
        return sse_response(with_error_event(_chat_events(head, stream, body.include_usage, calls)))
    result = await text.complete(messages, params, body.model, tools)
    message, finish_reason = chat_message(result["text"], result["finish_reason"], calls)
    return {
        **head,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": _usage([result]),
    }


async def _chat_events(head: dict, stream: AsyncIterator[dict], include_usage: bool, calls: CallReading | None):
    head = {**head, "object": "chat.completion.chunk"}

    def chunk_event(delta: dict, finish_reason: str | None = None) -> str:
        return event({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})

    yield chunk_event({"role": "assistant", "content": ""})
    deltas = ChatDeltas(calls)
    async for chunk in stream:
        for delta in deltas.feed(chunk["text"], final=chunk["finish_reason"] is not None):
            yield chunk_event(delta)
        if chunk["finish_reason"]:
            yield chunk_event({}, deltas.finish_reason(chunk["finish_reason"]))
        final = chunk
    if include_usage:
        yield event({**head, "choices": [], "usage": _usage([final])})
