"""A turn outlives its listener: a client that goes away mid-turn (the SSE response is closed) does not stop
the run, which ends and is checkpointed; and a repeated approval registers nothing twice."""

from __future__ import annotations

import asyncio
import time

import pytest

from assistant.chat import ChatConflict, Decision
from assistant.events import Entry

POEM = 'Register this poem as mine: "Frost on the window"'
DEADLINE_S = 60


async def finished(assistant, context, thread_id: str) -> list[Entry]:
    """The conversation once its last message is the assistant's reply and its turn has ended (polled, within
    DEADLINE_S)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        history = await assistant.history(context, thread_id)
        if history[-1].role == "assistant" and history[-1].tool_calls is None and not assistant.running:
            return history
        await asyncio.sleep(0.1)
    raise AssertionError(f"the turn did not finish in {DEADLINE_S} s: {history}")


async def close_after_first(events) -> None:
    """What the server does when the client disconnects: it closes the stream it was reading..."""
    await anext(events)
    await events.aclose()


async def cancel_after_first(events) -> None:
    """...or cancels the task that reads it."""
    first = asyncio.Event()

    async def listen() -> None:
        async for _ in events:
            first.set()

    reader = asyncio.create_task(listen())
    await first.wait()
    reader.cancel()


@pytest.mark.parametrize("leave", [close_after_first, cancel_after_first])
def test_an_approved_change_completes_after_the_listener_leaves(world, leave):
    gina = world.context(f"gina-{leave.__name__}")

    async def scenario():
        assistant = await world.assistant()
        waiting = [e async for e in assistant.send(gina, "t", POEM)]
        assert waiting[-1].type == "approval_required"
        await leave(assistant.decide(gina, "t", Decision("approve")))
        history = await finished(assistant, gina, "t")
        assert [m.role for m in history] == ["user", "assistant", "tool", "assistant"]
        assert history[2].content["owner"] == gina.user.address
        assert await assistant.pending(gina, "t") == []
        with pytest.raises(ChatConflict, match="nothing"):  # approving again cannot register twice
            [e async for e in assistant.decide(gina, "t", Decision("approve"))]
        await assistant.close()

    asyncio.run(scenario())
    assert world.ledger.works(owner=gina.user.address)["total"] == 1


def test_a_busy_thread_refuses_a_second_message_while_its_turn_runs(world):
    iris = world.context("iris")

    async def scenario():
        assistant = await world.assistant()
        [e async for e in assistant.send(iris, "t", POEM)]
        await close_after_first(assistant.decide(iris, "t", Decision("approve")))
        with pytest.raises(ChatConflict, match="busy"):
            [e async for e in assistant.send(iris, "t", "show my works")]
        with pytest.raises(ChatConflict, match="busy"):
            await assistant.delete(iris, "t")
        await finished(assistant, iris, "t")
        await assistant.close()

    asyncio.run(scenario())
