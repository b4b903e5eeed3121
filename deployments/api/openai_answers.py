"""The answers of the OpenAI-compatible routes, as OpenAI's API (and vLLM) shape them: the response models of
``openai_compat``, and the chunks its streams send (documented in ``/openapi.json`` with ``event_stream_doc``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from deployments.api.generation import Usage


def _absent(value: Any) -> bool:
    return value is None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class CompletionChoice(BaseModel):
    index: int
    text: str
    finish_reason: str | None = Field(description="length or stop; null until a stream's last chunk of the choice")
    logprobs: None = None


class _Answer(BaseModel):
    """What every answer and streamed chunk of a request starts with: the same id for all of them."""

    id: str
    created: int = Field(description="unix seconds")
    model: str


class Completion(_Answer):
    object: Literal["text_completion"] = "text_completion"
    choices: list[CompletionChoice]
    usage: Usage


class CompletionChunk(Completion):
    """A streamed completion: one choice's text per chunk; with ``stream_options.include_usage`` a last chunk
    with no choices and the ``usage``."""

    usage: Usage | None = Field(None, exclude_if=_absent)


class CalledFunction(BaseModel):
    name: str
    arguments: str = Field(description="a JSON object, as a string")


class ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: CalledFunction


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCall] | None = Field(
        None, exclude_if=_absent, description="the calls the model made, when it made any"
    )


class ChatChoice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: str = Field(description="length, stop, or tool_calls")


class ChatCompletion(_Answer):
    object: Literal["chat.completion"] = "chat.completion"
    choices: list[ChatChoice]
    usage: Usage


class ToolCallDelta(BaseModel):
    """A call arrives whole, in two deltas: ``id``, ``type`` and ``function.name`` (arguments empty), then
    ``function.arguments``."""

    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: dict[str, str] = Field(description="name, arguments: each in the delta that carries it")


class Delta(BaseModel):
    role: Literal["assistant"] | None = Field(None, description="in the first chunk")
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChatChunkChoice(BaseModel):
    index: int
    delta: Delta
    finish_reason: str | None


class ChatCompletionChunk(_Answer):
    """A streamed chat completion; with ``stream_options.include_usage`` a last chunk with no choices and the
    ``usage``."""

    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    choices: list[ChatChunkChoice]
    usage: Usage | None = Field(None, exclude_if=_absent)


class StreamError(BaseModel):
    """Sent in place of the next chunk when a stream fails after it started (its status was sent already)."""

    error: dict[str, Any] = Field(description="message, type, param, as in an error response")
