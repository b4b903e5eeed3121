"""The assistant over HTTP: ``POST /v1/chat`` and ``POST /v1/chat/{thread_id}/approve`` stream the events of
``assistant.chat`` as Server-Sent Events (``data: {"type": ...}``); ``GET /v1/chat/{thread_id}`` shows a
conversation a page at a time, ``DELETE`` forgets it. Every route acts as the caller; conversations are per
user. A turn goes on when its client disconnects: the stream only listens to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal

import httpx

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import ASGIApp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.agent import ModelSettings, open_assistant
from assistant.backends import Backends
from assistant.chat import MAX_MESSAGE_CHARS, Assistant, ChatConflict, ChatLimits, Decision
from assistant.events import ChatEvent, ConversationPage
from assistant.tools import ChatContext
from deployments.api.ledger import Signer
from deployments.api.auth import RequiredCaller
from deployments.api.bounds import ToolArgs
from deployments.api.openapi_docs import event_stream_doc
from deployments.api.sse import event, sse_response
from deployments.errors import ApiError

THREAD_ID = r"^[A-Za-z0-9_.-]{1,64}$"
ThreadId = Annotated[str, PathParam(pattern=THREAD_ID, description="the conversation's id, chosen by the client")]
MAX_PAGE = 100  # messages per page of GET /v1/chat/{thread_id}
MAX_DECISIONS = 16  # per-call decisions in one approval
DEFAULT_PAGE = 50
PLANNER_TIMEOUT_S = 60.0  # a plan from a served model; a cold Generator replica takes a while to start

router = APIRouter(tags=["assistant"])
_EVENTS_DOC = event_stream_doc(
    ChatEvent, "the run's events as Server-Sent Events, until its reply or a pause for approval"
)


class ChatService:
    """The gateway's assistant: its services, and the agent, opened on first use (its SQLite checkpointer
    needs the running event loop)."""

    def __init__(
        self, backends: Backends, checkpoints: Path, settings: ModelSettings, limits: ChatLimits = ChatLimits()
    ):
        self.backends, self._checkpoints, self._settings, self._limits = backends, checkpoints, settings, limits
        self._assistant: Assistant | None = None
        self._opening = asyncio.Lock()
        self.app: ASGIApp | None = None  # the API these routes are part of

    async def assistant(self) -> Assistant:
        """The assistant; a model planner served by this Muse is reached through ``self.app`` (set by
        ``create_api``) in-process, with the OpenAI protocol but no network hop."""
        async with self._opening:
            if self._assistant is None:
                client = (
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), timeout=PLANNER_TIMEOUT_S)
                    if self.app is not None
                    else None
                )
                self._assistant = await open_assistant(self._checkpoints, self._settings, self._limits, client)
        return self._assistant


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_id: str = Field(pattern=THREAD_ID, description="the conversation to continue (or start)")
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class CallDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "edit"]
    args: ToolArgs | None = Field(None, description="for edit: the arguments to run the tool with instead")
    message: str | None = Field(None, max_length=500, description="for reject: why (told to the assistant)")


class PerCallDecision(CallDecision):
    id: str = Field(min_length=1, max_length=100, description="the pending call's id (from approval_required)")


class ApproveBody(BaseModel):
    """Either one ``decision`` for every pending call, or ``decisions``, one per pending call by its id."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "edit"] | None = None
    args: ToolArgs | None = Field(None, description="for edit: the arguments to run the tool with instead")
    message: str | None = Field(None, max_length=500, description="for reject: why (told to the assistant)")
    decisions: list[PerCallDecision] | None = Field(None, min_length=1, max_length=MAX_DECISIONS)

    @model_validator(mode="after")
    def _one_form(self) -> ApproveBody:
        if (self.decision is None) == (self.decisions is None):
            raise ValueError("give either 'decision' (for every pending call) or 'decisions' (one per call)")
        return self

    def to_decisions(self) -> Decision | list[Decision]:
        if self.decisions is None:
            return Decision(self.decision, self.args, self.message)
        return [Decision(d.decision, d.args, d.message, d.id) for d in self.decisions]


async def _context(request: Request, caller: Signer, user: RequiredCaller) -> ChatContext:
    return ChatContext(user=user, credentials=caller, backends=request.app.state.chat.backends)


Context = Annotated[ChatContext, Depends(_context)]


async def _assistant(request: Request) -> Assistant:
    return await request.app.state.chat.assistant()


@router.post(
    "/v1/chat",
    summary="Send a message to the assistant; its steps and reply stream as SSE",
    response_class=StreamingResponse,
    openapi_extra=_EVENTS_DOC,
)
async def chat(body: ChatBody, context: Context, assistant: Annotated[Assistant, Depends(_assistant)]):
    return await _stream(assistant.send(context, body.thread_id, body.message))


@router.post(
    "/v1/chat/{thread_id}/approve",
    summary="Approve, edit or reject the pending ledger change",
    response_class=StreamingResponse,
    openapi_extra=_EVENTS_DOC,
)
async def approve(
    thread_id: ThreadId, body: ApproveBody, context: Context, assistant: Annotated[Assistant, Depends(_assistant)]
):
    if body.decision == "edit" and not body.args:
        raise ApiError(422, "an edit needs the new 'args'", param="args")
    return await _stream(assistant.decide(context, thread_id, body.to_decisions()))


@router.get(
    "/v1/chat/{thread_id}",
    summary="A conversation, a page of messages at a time, and any pending approval",
    response_model=ConversationPage,
)
async def conversation(
    thread_id: ThreadId,
    context: Context,
    assistant: Annotated[Assistant, Depends(_assistant)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="messages per page")] = DEFAULT_PAGE,
    before: Annotated[
        int | None,
        Query(
            ge=0,
            le=10**9,
            description=(
                "the page that ends before this message index (the previous page's `before`); "
                "default: the latest messages"
            ),
        ),
    ] = None,
) -> ConversationPage:
    """``messages`` in order, each with its ``index`` in the conversation; ``total`` messages in all; ``before``
    is the index to ask for the page before this one (null on the first page)."""
    messages = await assistant.history(context, thread_id)
    end = len(messages) if before is None else min(before, len(messages))
    start = max(0, end - limit)
    return ConversationPage(
        thread_id=thread_id,
        total=len(messages),
        before=start or None,
        messages=messages[start:end],
        pending=await assistant.pending(context, thread_id),
    )


@router.delete(
    "/v1/chat/{thread_id}",
    status_code=204,
    response_class=Response,
    summary="Forget a conversation (frees a place under the per-user limit)",
)
async def forget(thread_id: ThreadId, context: Context, assistant: Annotated[Assistant, Depends(_assistant)]) -> None:
    try:
        await assistant.delete(context, thread_id)
    except ChatConflict as exc:
        raise _conflict(exc) from exc
    except LookupError as exc:
        raise ApiError(404, str(exc), kind="not_found_error") from exc


async def _stream(events: AsyncIterator[ChatEvent]) -> StreamingResponse:
    """Take the first event before answering, so that a conflict is a 409 rather than an error event."""
    try:
        first = await anext(events)
    except ChatConflict as exc:
        raise _conflict(exc) from exc
    except StopAsyncIteration:
        first = None

    async def lines() -> AsyncIterator[str]:
        if first is not None:
            yield event(first)
        async for item in events:
            yield event(item)

    return sse_response(lines())


def _conflict(exc: ChatConflict) -> ApiError:
    return ApiError(409, str(exc), kind="conflict_error")
