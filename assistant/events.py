"""The assistant's chat events and conversation pages: the one definition of what ``POST /v1/chat`` streams and
``GET /v1/chat/{thread_id}`` answers. The assistant produces these models, the gateway sends them, and Muse's
client (and through it the demo and ``muse chat``) parses them back with ``parse_event``. Each event has a
``type``: ``plan``, ``step_started``, ``step_finished``, ``token``, ``approval_required`` (the stream ends
there), ``message`` or ``error``.

Only pydantic here: the client side imports it without the agent's dependencies.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


class ToolCall(BaseModel):
    """A tool and its arguments: a planned step, or a call in the conversation's history."""

    tool: str
    args: dict[str, Any] = {}


class PendingCall(BaseModel):
    """A ledger change waiting for the user's decision."""

    id: str | None = Field(description="the tool call's id, to decide on it alone")
    tool: str
    args: dict[str, Any] = {}
    description: str = ""
    summary: str = Field("", description="what approving it does, read from the ledger's current state")


class PlanEvent(BaseModel):
    """The tool calls planned for the request, before the first runs."""

    type: Literal["plan"] = "plan"
    steps: list[ToolCall]


class StepStarted(BaseModel):
    """A tool call starts (a ledger change only once approved)."""

    type: Literal["step_started"] = "step_started"
    id: str | None = Field(description="the tool call's id (as its pending call's, which may lack one)")
    tool: str
    args: dict[str, Any] = {}


class StepFinished(BaseModel):
    """A tool call's result; ``ok`` is false when the tool refused or failed (the result says why)."""

    type: Literal["step_finished"] = "step_finished"
    id: str
    tool: str
    result: Any = None
    ok: bool = True


class TokenEvent(BaseModel):
    """A piece of the reply, as the model writes it."""

    type: Literal["token"] = "token"
    text: str


class ApprovalRequired(BaseModel):
    """The run waits for a decision on these ledger changes; the stream ends here."""

    type: Literal["approval_required"] = "approval_required"
    pending: list[PendingCall]


class MessageEvent(BaseModel):
    """The reply, whole."""

    type: Literal["message"] = "message"
    content: str


class ErrorEvent(BaseModel):
    """The run failed; ``message`` says what, with the request id to find the details in the log."""

    type: Literal["error"] = "error"
    message: str


ChatEvent = Annotated[
    PlanEvent | StepStarted | StepFinished | TokenEvent | ApprovalRequired | MessageEvent | ErrorEvent,
    Field(discriminator="type"),
]
_EVENT = TypeAdapter(ChatEvent)


def parse_event(data: Any) -> ChatEvent:
    """An event from its JSON form; ``pydantic.ValidationError`` (a ``ValueError``) for anything else."""
    return _EVENT.validate_python(data)


def _absent(value: Any) -> bool:
    return value is None


class Entry(BaseModel):
    """A message of a conversation: the user's (``content``), the assistant's (``content``, and ``tool_calls``
    when it called tools) or a tool's (``tool`` and its result as ``content``)."""

    index: int = Field(description="its position in the conversation")
    role: Literal["user", "assistant", "tool"]
    content: Any = None
    tool: str | None = Field(None, exclude_if=_absent, description="tool messages only")
    tool_calls: list[ToolCall] | None = Field(
        None, exclude_if=_absent, description="assistant messages that called tools"
    )


class ConversationPage(BaseModel):
    thread_id: str
    total: int = Field(description="messages in the conversation")
    before: int | None = Field(description="the index to ask for the page before this one (null on the first)")
    messages: list[Entry]
    pending: list[PendingCall] = Field(description="ledger changes waiting for a decision")
