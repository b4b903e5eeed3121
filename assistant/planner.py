"""The planner: a LangChain chat model that answers with tool calls, so ``create_agent`` runs it as it would
run any LLM, one step at a time, pausing for approval before ledger changes.

Each time the agent calls it, it reads the conversation: the latest request and the tool results since. The
request's plan comes from a ``PlanSource`` (the rules, or a model reached by OpenAI tool calling), once per
request: the plan is written into the first answer's metadata and read back from there on later steps (so a
turn resumed after a restart goes on with the same plan). It then answers with the plan's next tool call,
its arguments filled from the results so far, or, when the plan is done, refused by the user or failed, with
a reply that says what happened. A request that got a clarifying question is read again with the answer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from assistant.intents import Plan, Ref, Reply, declares_parents, language_of
from assistant.plan_sources import PlanSource, RulesPlanSource, plan_from_view, reference_text
from assistant.replies import near_copy_of, stopped_for_want_of, summary

REJECTED_PREFIX = "User rejected"  # how HumanInTheLoopMiddleware words a rejected call's ToolMessage


class Planner(BaseChatModel):
    """Drives a plan step by step: see the module's docstring."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    source: PlanSource = Field(default_factory=RulesPlanSource)

    @property
    def _llm_type(self) -> str:
        return "muse-planner-driver"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Planner:
        """The plans name Muse's tools directly; binding changes nothing."""
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        request, results, known = _current_turn(messages)
        decision = known or self.source.plan(request)
        return ChatResult(generations=[ChatGeneration(message=next_message(decision, results))])

    async def _agenerate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        """Answered on the event loop (the rules take microseconds; a model source awaits its endpoint), not
        handed to a thread as LangChain does for a model with only a synchronous ``_generate``."""
        request, results, known = _current_turn(messages)
        decision = known or await self.source.aplan(request)
        return ChatResult(generations=[ChatGeneration(message=next_message(decision, results))])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _chunks(self._generate(messages).generations[0].message):
            if run_manager is not None and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        result = await self._agenerate(messages)
        for chunk in _chunks(result.generations[0].message):
            if run_manager is not None and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """A reply streams word by word (the chat shows it as it comes), its metadata (a reply's kind, which the next
    request is read with) on the first word; a tool call comes whole."""
    if message.tool_calls:
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="", tool_calls=message.tool_calls, response_metadata=message.response_metadata
            )
        )
        return
    words = message.content.split(" ") if " " in message.content else list(message.content)
    for n, word in enumerate(words):
        piece = word if n == 0 or " " not in message.content else f" {word}"
        yield ChatGenerationChunk(
            message=AIMessageChunk(content=piece, response_metadata=message.response_metadata if n == 0 else {})
        )


def next_message(decision: Plan | Reply, results: list[dict[str, Any]]) -> AIMessage:
    """The planner's answer, given the request's plan and the tool results so far."""
    if isinstance(decision, Reply):
        return AIMessage(content=decision.text, response_metadata={"reply": decision.kind})
    done = len(results)
    stopped = next((r for r in results if r["error"] is not None), None)
    if stopped is not None or done == len(decision.steps):
        resembled = near_copy_of(stopped) if stopped is not None else None
        return AIMessage(
            content=summary(decision, results),
            response_metadata={"near_copy": resembled} if resembled is not None else {},
        )
    step = decision.steps[done]
    try:
        args = _resolve(step.args, results)
    except (KeyError, IndexError, TypeError, ValueError):
        return AIMessage(content=stopped_for_want_of(step.tool, decision.language, results))
    call = {"name": step.tool, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
    return AIMessage(content="", tool_calls=[call], response_metadata={"plan": plan_view(decision)})


def plan_view(plan: Plan) -> list[dict[str, Any]]:
    """The plan as the ``plan`` event shows it and as later steps read it back: references as ``"$N.path"``."""
    return [{"tool": step.tool, "args": {k: reference_text(v) for k, v in step.args.items()}} for step in plan.steps]


def _current_turn(messages: Sequence[BaseMessage]) -> tuple[str, list[dict[str, Any]], Plan | None]:
    """The request being worked on, the tool results since it was made, and its plan if already made.

    A request answered by a clarifying question is joined with the user's next message (the answer), and so is a
    registration refused as a near-copy with the message that declares it a derivative."""
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if not humans:
        return "", [], None
    last = humans[-1]
    request = messages[last].text
    if len(humans) > 1 and _asked_back(messages[humans[-2] + 1 : last], request):
        request = f"{messages[humans[-2]].text} {request}"
    since = messages[last + 1 :]
    planned = next(
        (m.response_metadata["plan"] for m in since if isinstance(m, AIMessage) and m.response_metadata.get("plan")),
        None,
    )
    known = plan_from_view(planned, language_of(request)) if planned else None
    return request, [_result(m) for m in since if isinstance(m, ToolMessage)], known


def _asked_back(answers: Sequence[BaseMessage], request: str) -> bool:
    replies = [m for m in answers if isinstance(m, AIMessage)]
    if not replies:
        return False
    said = replies[-1].response_metadata
    return said.get("reply") == "clarify" or (said.get("near_copy") is not None and declares_parents(request))


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
    return {
        key: _lookup(results[value.step]["value"], value.path) if isinstance(value, Ref) else value
        for key, value in args.items()
    }


def _lookup(value: Any, path: str) -> Any:
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value
