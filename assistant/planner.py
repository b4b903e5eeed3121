"""The offline planner: a LangChain chat model that answers with tool calls, so ``create_agent`` runs it as it
would run a real LLM (and a real LLM can replace it by configuration).

Each time the agent calls it, it reads the conversation: the latest request (``assistant.intents`` makes it a
plan) and the tool results since. It then answers with the plan's next tool call, its arguments filled from
the results so far, or, when the plan is done, refused by the user or failed, with a reply that says what
happened. A request that got a clarifying question is read again together with the answer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.intents import Plan, Ref, Reply, read_request
from assistant.replies import stopped_for_want_of, summary

REJECTED_PREFIX = "User rejected"  # how HumanInTheLoopMiddleware words a rejected call's ToolMessage


class OfflinePlanner(BaseChatModel):
    """Rules, not weights: see the module's docstring."""

    @property
    def _llm_type(self) -> str:
        return "muse-offline-planner"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflinePlanner:
        """The plans name Muse's tools directly; binding changes nothing."""
        return self

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=next_message(messages))])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        """Planning takes microseconds: answered on the event loop, not handed to a thread as LangChain does
        for a model with only a synchronous ``_generate``."""
        return self._generate(messages)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in _chunks(next_message(messages)):
            if run_manager is not None and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in _chunks(next_message(messages)):
            if run_manager is not None and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """A reply streams word by word (the chat shows it as it comes); a tool call comes whole."""
    if message.tool_calls:
        yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_calls=message.tool_calls,
                                                         response_metadata=message.response_metadata))
        return
    words = message.content.split(" ") if " " in message.content else list(message.content)
    for n, word in enumerate(words):
        piece = word if n == 0 or " " not in message.content else f" {word}"
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def next_message(messages: Sequence[BaseMessage]) -> AIMessage:
    """The planner's answer to the conversation so far."""
    request, results = _current_turn(messages)
    decision = read_request(request)
    if isinstance(decision, Reply):
        return AIMessage(content=decision.text, response_metadata={"reply": decision.kind})
    done = len(results)
    stopped = next((r for r in results if r["error"] is not None), None)
    if stopped is not None or done == len(decision.steps):
        return AIMessage(content=summary(decision, results))
    step = decision.steps[done]
    try:
        args = _resolve(step.args, results)
    except (KeyError, IndexError, TypeError):
        return AIMessage(content=stopped_for_want_of(step.tool, decision.language, results))
    call = {"name": step.tool, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
    return AIMessage(content="", tool_calls=[call], response_metadata={"plan": plan_view(decision)})


def plan_view(plan: Plan) -> list[dict[str, Any]]:
    """The plan as the ``plan`` event shows it: references to earlier steps written out."""
    return [{"tool": step.tool, "args": {k: str(v) if isinstance(v, Ref) else v for k, v in step.args.items()}}
            for step in plan.steps]


def _current_turn(messages: Sequence[BaseMessage]) -> tuple[str, list[dict[str, Any]]]:
    """The request being worked on and the tool results since it was made.

    A request answered by a clarifying question is joined with the user's next message (the answer)."""
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if not humans:
        return "", []
    last = humans[-1]
    request = messages[last].text
    if len(humans) > 1 and _asked_back(messages[humans[-2] + 1:last]):
        request = f"{messages[humans[-2]].text} {request}"
    return request, [_result(m) for m in messages[last + 1:] if isinstance(m, ToolMessage)]


def _asked_back(answers: Sequence[BaseMessage]) -> bool:
    replies = [m for m in answers if isinstance(m, AIMessage)]
    return bool(replies) and replies[-1].response_metadata.get("reply") == "clarify"


def _result(message: ToolMessage) -> dict[str, Any]:
    """A tool's answer: ``value`` (parsed JSON), ``error`` (its refusal, or the user's rejection), ``tool``."""
    text = message.text
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    if text.startswith(REJECTED_PREFIX):
        error: str | None = "rejected"
    elif isinstance(value, dict) and "error" in value:
        error = str(value["error"])
    elif message.status == "error":
        error = text
    else:
        error = None
    return {"tool": message.name, "value": value, "error": error}


def _resolve(args: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: _lookup(results[value.step]["value"], value.path) if isinstance(value, Ref) else value
            for key, value in args.items()}


def _lookup(value: Any, path: str) -> Any:
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value



