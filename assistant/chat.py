"""Conversations with the agent as a stream of events, the shape ``POST /v1/chat`` sends as Server-Sent Events.

Each event is a dict with a ``type``:

- ``plan``: ``steps``, the tool calls planned for the request (``tool``, ``args``);
- ``step_started`` / ``step_finished``: ``id``, ``tool``, ``args``; finished adds ``result`` and ``ok``;
- ``token``: ``text``, a piece of the reply as the model writes it;
- ``approval_required``: ``pending``, the ledger changes waiting for a decision (the stream ends there);
- ``message``: ``content``, the final reply;
- ``error``: ``message``.

A tool call that needs approval starts only once approved (its ``step_started`` comes with the decision).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from assistant.tools import LEDGER_TOOLS, ChatContext
from common.request_ids import hidden_failure

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4_000


class ChatConflict(Exception):
    """The conversation cannot take this now (a decision is pending, or none is)."""


@dataclass(frozen=True)
class Decision:
    kind: Literal["approve", "reject", "edit"]
    args: dict[str, Any] | None = None  # for "edit": the arguments to run the tool with instead
    message: str | None = None  # for "reject": why, told to the model


@dataclass
class Assistant:
    agent: CompiledStateGraph
    on_close: Callable[[], Awaitable[None]] | None = None  # releases the checkpointer's connection
    _busy: dict[str, asyncio.Lock] = field(default_factory=dict)
    _background: set[asyncio.Task] = field(default_factory=set)

    async def close(self) -> None:
        """Release the checkpointer's connection (once; later calls do nothing)."""
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            await on_close()

    async def send(self, context: ChatContext, thread_id: str, message: str) -> AsyncIterator[dict]:
        """Run one user message; events until the reply or a pause for approval."""
        config = _config(context, thread_id)
        async with self._turn(config):
            if await self.pending(context, thread_id):
                raise ChatConflict("this conversation is waiting for a decision on a ledger change: "
                                   f"approve or reject it first (POST /v1/chat/{thread_id}/approve)")
            async for event in self._run({"messages": [HumanMessage(message)]}, config, context):
                yield event

    async def decide(self, context: ChatContext, thread_id: str, decision: Decision) -> AsyncIterator[dict]:
        """Answer the pending approval (the same decision for each pending call) and continue the run."""
        config = _config(context, thread_id)
        async with self._turn(config):
            pending = await self.pending(context, thread_id)
            if not pending:
                raise ChatConflict("nothing in this conversation is waiting for approval")
            if decision.kind == "edit" and len(pending) != 1:
                raise ChatConflict("edit applies to one pending call; this conversation has several")
            answers = [_answer(decision, call) for call in pending]
            log.info("%s: %s %s", config["configurable"]["thread_id"], decision.kind,
                     ", ".join(call["tool"] for call in pending))
            for call, answer in zip(pending, answers):
                if answer["type"] != "reject":
                    args = answer["edited_action"]["args"] if answer["type"] == "edit" else call["args"]
                    yield {"type": "step_started", "id": call["id"], "tool": call["tool"], "args": args}
            async for event in self._run(Command(resume={"decisions": answers}), config, context, planned=True):
                yield event

    async def pending(self, context: ChatContext, thread_id: str) -> list[dict]:
        """The calls waiting for approval in this conversation (``id``, ``tool``, ``args``, ``description``)."""
        return await self._pending_of(_config(context, thread_id))

    async def history(self, context: ChatContext, thread_id: str) -> list[dict]:
        """The conversation so far, as ``role``/``content`` pairs (tool calls and results included)."""
        state = await self.agent.aget_state(_config(context, thread_id))
        return [_as_entry(m) for m in state.values.get("messages", [])]

    def _turn(self, config: dict) -> asyncio.Lock:
        lock = self._busy.setdefault(config["configurable"]["thread_id"], asyncio.Lock())
        if lock.locked():
            raise ChatConflict("this conversation is busy with an earlier message")
        return lock

    async def _run(self, payload: Any, config: dict, context: ChatContext,
                   planned: bool = False) -> AsyncIterator[dict]:
        """The agent's stream as events; ``planned``: the plan was shown already (a run resumed after approval)."""
        interrupted = False
        try:
            async for mode, data in self.agent.astream(payload, config, context=context,
                                                       stream_mode=["messages", "updates"]):
                if mode == "messages":
                    chunk, meta = data
                    if meta.get("langgraph_node") == "model" and isinstance(chunk, AIMessageChunk) and chunk.content:
                        yield {"type": "token", "text": chunk.text}
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
                                yield {"type": "step_started", "id": call["id"], "tool": call["name"],
                                       "args": call["args"]}
                        if not message.tool_calls:
                            yield {"type": "message", "content": message.text}
            if interrupted:
                yield {"type": "approval_required", "pending": await self._pending_of(config)}
        except Exception as exc:  # the client gets an error event, not a broken stream
            yield {"type": "error", "message": hidden_failure(log, "the assistant failed", exc)}

    async def _pending_of(self, config: dict) -> list[dict]:
        state = await self.agent.aget_state(config)
        requests = [r for interrupt in state.interrupts for r in interrupt.value.get("action_requests", [])]
        last = state.values.get("messages", [])[-1:]
        gated = [c for m in last if isinstance(m, AIMessage) for c in m.tool_calls if c["name"] in LEDGER_TOOLS]
        return [{"id": call["id"] if call else None, "tool": r["name"], "args": r["args"],
                 "description": r.get("description", "")}
                for r, call in zip(requests, gated + [None] * (len(requests) - len(gated)))]

    def _plan(self, message: AIMessage, context: ChatContext) -> dict:
        """The plan event: the planner's own plan if it gives one, else the model's first tool calls. A plan
        that generates wakes the generator now (it may be scaled to zero), not when that step runs."""
        steps = message.response_metadata.get("plan") or [{"tool": c["name"], "args": c["args"]}
                                                          for c in message.tool_calls]
        log.info("plan: %s", " -> ".join(step["tool"] for step in steps))
        if any(step["tool"] == "generate_text" for step in steps):
            task = asyncio.create_task(_wake(context.backends.generator))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return {"type": "plan", "steps": steps}


async def _wake(generator: Any) -> None:
    """Start a Generator replica if there is none; a failure here only loses the head start."""
    try:
        await generator.ping.remote()
    except Exception:  # noqa: BLE001 - the generate step itself will report a real problem
        log.warning("could not pre-warm the generator", exc_info=True)


def _config(context: ChatContext, thread_id: str) -> dict:
    """Threads are per user: another user's thread id reaches a different conversation."""
    return {"configurable": {"thread_id": f"user-{context.user.id}/{thread_id}"}}


def _answer(decision: Decision, call: dict) -> dict:
    if decision.kind == "edit":
        return {"type": "edit", "edited_action": {"name": call["tool"], "args": decision.args or {}}}
    if decision.kind == "reject":
        return {"type": "reject", **({"message": decision.message} if decision.message else {})}
    return {"type": "approve"}


def _finished(message: ToolMessage) -> dict:
    try:
        result = json.loads(message.content)
    except (TypeError, ValueError):
        result = message.content
    ok = message.status != "error" and not (isinstance(result, dict) and "error" in result)
    return {"type": "step_finished", "id": message.tool_call_id, "tool": message.name, "result": result, "ok": ok}


def _as_entry(message: Any) -> dict:
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": message.text}
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool": message.name, "content": _finished(message)["result"]}
    calls = [{"tool": c["name"], "args": c["args"]} for c in getattr(message, "tool_calls", [])]
    return {"role": "assistant", "content": message.text, **({"tool_calls": calls} if calls else {})}
