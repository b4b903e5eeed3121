"""Conversations with the agent as a stream of events (``assistant.events``), the shape ``POST /v1/chat`` sends as
Server-Sent Events.

A tool call that needs approval starts only once approved (its ``step_started`` comes with the decision).
A turn runs to its end (or its next pause) and is checkpointed even if nobody reads its events any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot

from assistant.conversations import ConversationStore
from assistant.detached import detached
from assistant.events import (
    ApprovalRequired,
    ChatEvent,
    Entry,
    ErrorEvent,
    MessageEvent,
    PendingCall,
    PlanEvent,
    StepFinished,
    StepStarted,
    TokenEvent,
    ToolCall,
)
from assistant.summaries import language_of, summarize
from assistant.tools import LEDGER_TOOLS, ChatContext
from common.request_ids import hidden_failure

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4_000
CLOSE_WAIT_S = 30  # how long closing the assistant waits for the turns under way


class ChatConflict(Exception):
    """The conversation cannot take this now: a decision is pending (or none is), a turn is under way, or a limit
    is reached."""


@dataclass(frozen=True)
class Decision:
    kind: Literal["approve", "reject", "edit"]
    args: dict[str, Any] | None = None  # for "edit": the arguments to run the tool with instead
    message: str | None = None  # for "reject": why, told to the model
    call_id: str | None = None  # the pending call it answers; None: every pending call


@dataclass(frozen=True)
class ChatLimits:
    """How far conversations may grow (``chat_max_messages`` and ``chat_max_threads`` in the application's args)."""

    max_messages: int = 200  # per thread: a new message is refused once the thread holds this many
    max_threads: int = 100  # per user: a new thread is refused while the user has this many


@dataclass
class Assistant:
    """Each turn runs in a task of its own (``detached``): a listener that goes away does not stop it. One turn
    at a time per thread; after each, only the thread's latest checkpoint is kept."""

    agent: CompiledStateGraph
    store: ConversationStore  # the agent's checkpointer
    limits: ChatLimits = ChatLimits()
    on_close: Callable[[], Awaitable[None]] | None = None  # releases the checkpointer's connection
    _running: set[str] = field(default_factory=set)  # threads with a turn under way (nothing kept when idle)
    _background: set[asyncio.Task] = field(default_factory=set)

    @property
    def running(self) -> int:
        """How many turns are under way."""
        return len(self._running)

    async def close(self) -> None:
        """Let the turns under way finish (up to ``CLOSE_WAIT_S``), then release the checkpointer's connection
        (once; later calls do nothing)."""
        if self._background:
            await asyncio.wait(self._background, timeout=CLOSE_WAIT_S)
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            await on_close()

    def send(self, context: ChatContext, thread_id: str, message: str) -> AsyncIterator[ChatEvent]:
        """Run one user message; events until the reply or a pause for approval."""

        async def turn(config: dict) -> AsyncIterator[ChatEvent]:
            state = await self.agent.aget_state(config)
            if _pending_in(state):
                raise ChatConflict(
                    "this conversation is waiting for a decision on a ledger change: "
                    f"approve or reject it first (POST /v1/chat/{thread_id}/approve)"
                )
            await self._make_room(context, thread_id, len(state.values.get("messages", [])))
            async for event in self._run({"messages": [HumanMessage(message)]}, config, context):
                yield event

        return self._turn(context, thread_id, turn)

    def decide(
        self, context: ChatContext, thread_id: str, decisions: Decision | Sequence[Decision]
    ) -> AsyncIterator[ChatEvent]:
        """Answer the pending approvals and continue the run: one decision without a ``call_id`` for every
        pending call, or one decision per pending call, each naming its call (LangChain's human-in-the-loop
        answers each call on its own, in order)."""

        async def turn(config: dict) -> AsyncIterator[ChatEvent]:
            pending = await self._pending_of(config)
            if not pending:
                raise ChatConflict("nothing in this conversation is waiting for approval")
            chosen = _per_call(decisions, pending)
            answers = [_answer(decision, call) for decision, call in zip(chosen, pending)]
            log.info(
                "%s: %s",
                config["configurable"]["thread_id"],
                ", ".join(f"{d.kind} {call['tool']}" for d, call in zip(chosen, pending)),
            )
            for call, answer in zip(pending, answers):
                if answer["type"] != "reject":
                    args = answer["edited_action"]["args"] if answer["type"] == "edit" else call["args"]
                    yield StepStarted(id=call["id"], tool=call["tool"], args=args)
            async for event in self._run(Command(resume={"decisions": answers}), config, context, planned=True):
                yield event

        return self._turn(context, thread_id, turn)

    async def pending(self, context: ChatContext, thread_id: str) -> list[PendingCall]:
        """The calls waiting for approval in this conversation."""
        return await self._explained(_config(context, thread_id), context)

    async def history(self, context: ChatContext, thread_id: str) -> list[Entry]:
        """The conversation so far, each message with its ``index`` (tool calls and results included)."""
        state = await self.agent.aget_state(_config(context, thread_id))
        return [_as_entry(i, m) for i, m in enumerate(state.values.get("messages", []))]

    async def delete(self, context: ChatContext, thread_id: str) -> None:
        """Forget a conversation (``LookupError`` if there is none; ``ChatConflict`` while a turn runs in it)."""
        config = _config(context, thread_id)
        with self._claim(config) as thread:
            if not (await self.agent.aget_state(config)).values.get("messages"):
                raise LookupError(f"no conversation {thread_id!r}")
            await self.store.adelete_thread(thread)

    def _turn(
        self, context: ChatContext, thread_id: str, turn: Callable[[dict], AsyncIterator[ChatEvent]]
    ) -> AsyncIterator[ChatEvent]:
        """``turn``'s events, run apart from whoever reads them, alone in its thread, pruned afterwards."""
        config = _config(context, thread_id)

        async def alone() -> AsyncIterator[ChatEvent]:
            with self._claim(config) as thread:
                async for event in turn(config):
                    yield event
                await self.store.aprune([thread])

        return detached(alone(), self._background)

    @contextlib.contextmanager
    def _claim(self, config: dict) -> Iterator[str]:
        thread = config["configurable"]["thread_id"]
        if thread in self._running:
            raise ChatConflict("this conversation is busy with an earlier message")
        self._running.add(thread)
        try:
            yield thread
        finally:
            self._running.discard(thread)

    async def _make_room(self, context: ChatContext, thread_id: str, messages: int) -> None:
        """Refuse a message to a full thread, or a new thread to a user who has as many as allowed."""
        if messages >= self.limits.max_messages:
            raise ChatConflict(
                f"this conversation holds {messages} messages, the most one may: start another "
                f"thread, or delete this one (DELETE /v1/chat/{thread_id})"
            )
        if messages == 0:
            threads = await self.store.count_threads(_thread_prefix(context))
            if threads >= self.limits.max_threads:
                raise ChatConflict(
                    f"you have {threads} conversations, the most one user may: delete one "
                    "(DELETE /v1/chat/{thread_id}) to start another"
                )

    async def _run(
        self, payload: Any, config: dict, context: ChatContext, planned: bool = False
    ) -> AsyncIterator[ChatEvent]:
        """The agent's stream as events; ``planned``: the plan was shown already (a run resumed after approval)."""
        interrupted = False
        try:
            async for mode, data in self.agent.astream(
                payload, config, context=context, stream_mode=["messages", "updates"]
            ):
                if mode == "messages":
                    chunk, meta = data
                    if meta.get("langgraph_node") == "model" and isinstance(chunk, AIMessageChunk) and chunk.content:
                        yield TokenEvent(text=chunk.text)
                    continue
                for node, update in data.items():
                    if node == "__interrupt__":
                        interrupted = True  # told once the run has stopped and its checkpoint is written
                        continue
                    if node != "model":
                        for message in (update or {}).get("messages", []):
                            if isinstance(message, ToolMessage):
                                yield _finished(message)
                        continue
                    for message in (update or {}).get("messages", []):
                        if not isinstance(message, AIMessage):
                            continue
                        if message.tool_calls and not planned:
                            planned = True
                            yield self._plan(message, context)
                        for call in message.tool_calls:
                            if call["name"] not in LEDGER_TOOLS:
                                yield StepStarted(id=call["id"], tool=call["name"], args=call["args"])
                        if not message.tool_calls:
                            yield MessageEvent(content=message.text)
            if interrupted:
                yield ApprovalRequired(pending=await self._explained(config, context))
        except Exception as exc:  # the client gets an error event, not a broken stream
            yield ErrorEvent(message=hidden_failure(log, "the assistant failed", exc))

    async def _pending_of(self, config: dict) -> list[dict]:
        return _pending_in(await self.agent.aget_state(config))

    async def _explained(self, config: dict, context: ChatContext) -> list[PendingCall]:
        """The pending calls, each with a ``summary``: what approving it does, read from the ledger's current
        state, in the language of the request."""
        state = await self.agent.aget_state(config)
        humans = [m for m in state.values.get("messages", []) if isinstance(m, HumanMessage)]
        language = language_of(humans[-1].text if humans else "")
        pending = _pending_in(state)
        summaries = await asyncio.gather(*(summarize(call, context, language) for call in pending))
        return [PendingCall(**call, summary=summary) for call, summary in zip(pending, summaries)]

    def _plan(self, message: AIMessage, context: ChatContext) -> PlanEvent:
        """The plan event: the planner's own plan if it gives one, else the model's first tool calls. A plan
        that generates wakes the generator now (it may be scaled to zero), not when that step runs."""
        steps = message.response_metadata.get("plan") or [
            {"tool": c["name"], "args": c["args"]} for c in message.tool_calls
        ]
        log.info("plan: %s", " -> ".join(step["tool"] for step in steps))
        if any(step["tool"] == "generate_text" for step in steps):
            task = asyncio.create_task(_wake(context.backends.generator))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return PlanEvent(steps=[ToolCall.model_validate(step) for step in steps])


async def _wake(generator: Any) -> None:
    """Start a Generator replica if there is none; a failure here only loses the head start."""
    try:
        await generator.ping.remote()
    except Exception:  # noqa: BLE001 - the generate step itself will report a real problem
        log.warning("could not pre-warm the generator", exc_info=True)


def _pending_in(state: StateSnapshot) -> list[dict]:
    """The approvals a checkpointed state waits for."""
    requests = [r for interrupt in state.interrupts for r in interrupt.value.get("action_requests", [])]
    last = state.values.get("messages", [])[-1:]
    gated = [c for m in last if isinstance(m, AIMessage) for c in m.tool_calls if c["name"] in LEDGER_TOOLS]
    return [
        {
            "id": call["id"] if call else None,
            "tool": r["name"],
            "args": r["args"],
            "description": r.get("description", ""),
        }
        for r, call in zip(requests, gated + [None] * (len(requests) - len(gated)))
    ]


def _thread_prefix(context: ChatContext) -> str:
    return f"user-{context.user.id}/"


def _config(context: ChatContext, thread_id: str) -> dict:
    """Threads are per user: another user's thread id reaches a different conversation."""
    return {"configurable": {"thread_id": _thread_prefix(context) + thread_id}}


def _per_call(decisions: Decision | Sequence[Decision], pending: list[dict]) -> list[Decision]:
    """The decision for each pending call, in the pending order; refuses a set that does not answer each call
    exactly once."""
    if isinstance(decisions, Decision) and decisions.call_id is None:
        if decisions.kind == "edit" and len(pending) != 1:
            raise ChatConflict(
                "edit applies to one pending call; this conversation has several: decide on each by its id"
            )
        return [decisions] * len(pending)
    given = [decisions] if isinstance(decisions, Decision) else list(decisions)
    by_id = {d.call_id: d for d in given}
    ids = [call["id"] for call in pending]
    if len(by_id) != len(given) or set(by_id) != set(ids):
        raise ChatConflict(f"decide on each pending call exactly once, by id: {', '.join(map(str, ids))}")
    return [by_id[i] for i in ids]


def _answer(decision: Decision, call: dict) -> dict:
    if decision.kind == "edit":
        return {"type": "edit", "edited_action": {"name": call["tool"], "args": decision.args or {}}}
    if decision.kind == "reject":
        return {"type": "reject", **({"message": decision.message} if decision.message else {})}
    return {"type": "approve"}


def _finished(message: ToolMessage) -> StepFinished:
    try:
        result = json.loads(message.content)
    except (TypeError, ValueError):
        result = message.content
    ok = message.status != "error" and not (isinstance(result, dict) and "error" in result)
    return StepFinished(id=message.tool_call_id, tool=message.name, result=result, ok=ok)


def _as_entry(index: int, message: Any) -> Entry:
    if isinstance(message, HumanMessage):
        return Entry(index=index, role="user", content=message.text)
    if isinstance(message, ToolMessage):
        return Entry(index=index, role="tool", tool=message.name, content=_finished(message).result)
    calls = [ToolCall(tool=c["name"], args=c["args"]) for c in getattr(message, "tool_calls", [])]
    return Entry(index=index, role="assistant", content=message.text, tool_calls=calls or None)
