"""Per-call approval: when a model asks for several ledger changes at once, each is approved, edited or rejected
on its own, by its id, and only the approved ones reach the ledger. The offline planner asks for one change at
a time, so a scripted chat model (as an LLM would answer) asks for two here; the services are real."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import aiosqlite
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from assistant.agent import build_agent
from assistant.chat import Assistant, ChatConflict, Decision
from assistant.conversations import ConversationStore
from ledger.metadata import Metadata
from tests.assistant.conftest import collect


class TwoTermsAtOnce(BaseChatModel):
    """Asks to set terms on two works in one answer, then says it is done."""

    work_ids: list[int]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "TwoTermsAtOnce":
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        if any(isinstance(m, ToolMessage) for m in messages):
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="Done."))])
        calls = [
            {
                "name": "set_license_terms",
                "id": f"call_{n}",
                "type": "tool_call",
                "args": {"work_id": work_id, "template": "commercial_use", "price_eth": 0.01},
            }
            for n, work_id in enumerate(self.work_ids)
        ]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="", tool_calls=calls))])


def test_each_pending_change_is_decided_on_its_own(world, tmp_path):
    owner = world.context("frank")
    works = [
        world.ledger.register(owner.credentials, hashlib.sha256(name.encode()).hexdigest(), Metadata(name))
        for name in ("First", "Second")
    ]

    async def scenario() -> list[dict]:
        connection = await aiosqlite.connect(tmp_path / "scripted.sqlite3")
        store = ConversationStore(connection)
        await store.setup()
        assistant = Assistant(
            build_agent(TwoTermsAtOnce(work_ids=[w["id"] for w in works]), store), store, on_close=connection.close
        )
        first = await collect(assistant.send(owner, "t", "Offer both of my works for commercial use"))
        pending = first[-1]["pending"]
        assert [p["id"] for p in pending] == ["call_0", "call_1"] and all(p["summary"] for p in pending)
        with pytest.raises(ChatConflict, match="exactly once"):
            await collect(assistant.decide(owner, "t", [Decision("approve", call_id="call_0")]))
        with pytest.raises(ChatConflict, match="several"):
            await collect(assistant.decide(owner, "t", Decision("edit", args={"work_id": 1})))
        done = await collect(
            assistant.decide(
                owner,
                "t",
                [
                    Decision("reject", message="not this one", call_id="call_1"),
                    Decision(
                        "edit",
                        args={"work_id": works[0]["id"], "template": "cc_by", "price_eth": 0.02},
                        call_id="call_0",
                    ),
                ],
            )
        )
        await assistant.close()
        return done

    done = asyncio.run(scenario())
    assert [e["id"] for e in done if e["type"] == "step_started"] == ["call_0"]
    edited = world.ledger.work(works[0]["id"])["terms"]
    assert (edited["template"], edited["fee_wei"]) == ("cc_by", 2 * 10**16)
    assert world.ledger.work(works[1]["id"])["terms"] is None  # rejected: nothing written
