"""The assistant's chat events and conversation pages: the one definition of what ``POST /v1/chat`` streams and
``GET /v1/chat/{thread_id}`` answers. The assistant produces these models, the gateway sends them, and Muse's
client (and through it the demo and ``muse chat``) parses them back with ``parse_event``.

Each event has a ``type``:

- ``plan``: ``steps``, the tool calls planned for the request (``tool``, ``args``);
- ``step_started`` / ``step_finished``: ``id``, ``tool``, ``args``; finished has ``result`` and ``ok`` instead;
- ``token``: ``text``, a piece of the reply as the model writes it;
- ``approval_required``: ``pending``, the ledger changes waiting for a decision (the stream ends there), each
  with a plain-language ``summary`` of what approving it does;
- ``message``: ``content``, the final reply;
- ``error``: ``message``.

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
    type: Literal["plan"] = "plan"
    steps: list[ToolCall]


class StepStarted(BaseModel):
    type: Literal["step_started"] = "step_started"
    id: str
    tool: str
    args: dict[str, Any] = {}


class StepFinished(BaseModel):
    type: Literal["step_finished"] = "step_finished"
    id: str
    tool: str
    result: Any = None
    ok: bool = True


class TokenEvent(BaseModel):
    type: Literal["token"] = "token"
    text: str


class ApprovalRequired(BaseModel):
    type: Literal["approval_required"] = "approval_required"
    pending: list[PendingCall]


class MessageEvent(BaseModel):
    type: Literal["message"] = "message"
    content: str


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    message: str


ChatEvent = Annotated[PlanEvent | StepStarted | StepFinished | TokenEvent | ApprovalRequired | MessageEvent
                      | ErrorEvent, Field(discriminator="type")]
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
    tool_calls: list[ToolCall] | None = Field(None, exclude_if=_absent,
                                                   description="assistant messages that called tools")


class ConversationPage(BaseModel):
    thread_id: str
    total: int = Field(description="messages in the conversation")
    before: int | None = Field(description="the index to ask for the page before this one (null on the first)")
    messages: list[Entry]
    pending: list[PendingCall] = Field(description="ledger changes waiting for a decision")
