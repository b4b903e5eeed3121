"""The assistant over HTTP: ``POST /v1/chat`` and ``POST /v1/chat/{thread_id}/approve`` stream the events of
``assistant.chat`` as Server-Sent Events (``data: {"type": ...}``); ``GET /v1/chat/{thread_id}`` shows a
conversation. Every route acts as the caller; conversations are per user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path as PathParam, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.agent import ModelSettings, open_assistant
from assistant.backends import Backends
from assistant.chat import MAX_MESSAGE_CHARS, Assistant, ChatConflict, Decision
from assistant.tools import ChatContext
from deployments.api.ledger import Signer
from deployments.api.auth import RequiredCaller
from deployments.api.bounds import ToolArgs
from deployments.api.sse import event, sse_response
from deployments.errors import ApiError

THREAD_ID = r"^[A-Za-z0-9_.-]{1,64}$"
ThreadId = Annotated[str, PathParam(pattern=THREAD_ID, description="the conversation's id, chosen by the client")]

router = APIRouter(tags=["assistant"])


class ChatService:
    """The gateway's assistant: its services, and the agent, opened on first use (its SQLite checkpointer
    needs the running event loop)."""

    def __init__(self, backends: Backends, checkpoints: Path, settings: ModelSettings):
        self.backends, self._checkpoints, self._settings = backends, checkpoints, settings
        self._assistant: Assistant | None = None
        self._opening = asyncio.Lock()

    async def assistant(self) -> Assistant:
        async with self._opening:
            if self._assistant is None:
                self._assistant = await open_assistant(self._checkpoints, self._settings)
        return self._assistant


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_id: str = Field(pattern=THREAD_ID, description="the conversation to continue (or start)")
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "edit"]
    args: ToolArgs | None = Field(None, description="for edit: the arguments to run the tool with instead")
    message: str | None = Field(None, max_length=500, description="for reject: why (told to the assistant)")


async def _context(request: Request, caller: Signer, user: RequiredCaller) -> ChatContext:
    return ChatContext(user=user, credentials=caller, backends=request.app.state.chat.backends)


Context = Annotated[ChatContext, Depends(_context)]


async def _assistant(request: Request) -> Assistant:
    return await request.app.state.chat.assistant()


@router.post("/v1/chat", summary="Send a message to the assistant; its steps and reply stream as SSE",
             response_class=StreamingResponse)
async def chat(body: ChatBody, context: Context, assistant: Annotated[Assistant, Depends(_assistant)]):
    return await _stream(assistant.send(context, body.thread_id, body.message))


@router.post("/v1/chat/{thread_id}/approve", summary="Approve, edit or reject the pending ledger change",
             response_class=StreamingResponse)
async def approve(thread_id: ThreadId, body: ApproveBody, context: Context,
                  assistant: Annotated[Assistant, Depends(_assistant)]):
    if body.decision == "edit" and not body.args:
        raise ApiError(422, "an edit needs the new 'args'", param="args")
    return await _stream(assistant.decide(context, thread_id, Decision(body.decision, body.args, body.message)))


@router.get("/v1/chat/{thread_id}", summary="A conversation: its messages and any pending approval")
async def conversation(thread_id: ThreadId, context: Context,
                       assistant: Annotated[Assistant, Depends(_assistant)]) -> dict:
    return {"thread_id": thread_id, "messages": await assistant.history(context, thread_id),
            "pending": await assistant.pending(context, thread_id)}


async def _stream(events: AsyncIterator[dict]) -> StreamingResponse:
    """Take the first event before answering, so that a conflict is a 409 rather than an error event."""
    try:
        first = await anext(events)
    except ChatConflict as exc:
        raise ApiError(409, str(exc), kind="conflict_error") from exc
    except StopAsyncIteration:
        first = None

    async def lines() -> AsyncIterator[str]:
        if first is not None:
            yield event(first)
        async for item in events:
            yield event(item)

    return sse_response(lines())
