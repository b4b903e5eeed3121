"""Conversations are bounded: messages per thread, threads per user, checkpoints kept per thread, and no
per-thread state left behind once a turn ends."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from assistant.chat import ChatConflict, ChatLimits, Decision
from tests.assistant.conftest import collect

POEM = 'Register this poem as mine: "Snow on the pines"'


def checkpoints(world, thread: str) -> int:
    """Rows the checkpointer keeps for a thread, read from its SQLite file."""
    with sqlite3.connect(world.home / "conversations.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread,)).fetchone()[0]


def test_a_thread_takes_no_message_beyond_its_limit(world):
    jo = world.context("jo")

    async def scenario():
        assistant = await world.assistant(ChatLimits(max_messages=4))
        await collect(assistant.send(jo, "t", "hello"))  # a question and its answer: 2 messages
        await collect(assistant.send(jo, "t", "hello"))  # 4
        with pytest.raises(ChatConflict, match="4 messages, the most"):
            await collect(assistant.send(jo, "t", "hello"))
        assert len(await assistant.history(jo, "t")) == 4
        await collect(assistant.send(jo, "other", "hello"))  # another thread is not affected
        await assistant.close()

    asyncio.run(scenario())


def test_a_user_starts_no_thread_beyond_the_limit_until_one_is_deleted(world):
    kim, lee = world.context("kim"), world.context("lee")

    async def scenario():
        assistant = await world.assistant(ChatLimits(max_threads=2))
        await collect(assistant.send(kim, "a", "hello"))
        await collect(assistant.send(kim, "b", "hello"))
        await collect(assistant.send(kim, "a", "hello"))  # an existing thread goes on
        with pytest.raises(ChatConflict, match="2 conversations, the most"):
            await collect(assistant.send(kim, "c", "hello"))
        await collect(assistant.send(lee, "c", "hello"))  # the limit is per user
        await assistant.delete(kim, "a")
        assert await assistant.history(kim, "a") == []
        await collect(assistant.send(kim, "c", "hello"))
        await assistant.close()

    asyncio.run(scenario())


def test_only_the_latest_checkpoint_is_kept_and_it_still_resumes(world):
    max_ = world.context("max")
    thread = f"user-{max_.user.id}/t"

    async def scenario():
        assistant = await world.assistant()
        waiting = await collect(assistant.send(max_, "t", POEM))
        assert waiting[-1]["type"] == "approval_required"
        assert checkpoints(world, thread) == 1
        done = await collect(assistant.decide(max_, "t", Decision("approve")))  # resumes from the one kept
        assert done[-1]["type"] == "message"
        assert checkpoints(world, thread) == 1
        assert [m.role for m in await assistant.history(max_, "t")] == ["user", "assistant", "tool", "assistant"]
        await assistant.close()

    asyncio.run(scenario())
    assert world.ledger.works(owner=max_.user.address)["total"] == 1


def test_ended_turns_leave_nothing_per_thread(world):
    ned = world.context("ned")

    async def scenario():
        assistant = await world.assistant()
        for thread in range(5):
            await collect(assistant.send(ned, f"t{thread}", "hello"))
        assert assistant.running == 0
        await assistant.close()

    asyncio.run(scenario())


def test_deleting_an_unknown_thread_is_refused(world):
    olga = world.context("olga")

    async def scenario():
        assistant = await world.assistant()
        with pytest.raises(LookupError):
            await assistant.delete(olga, "never")
        await assistant.close()

    asyncio.run(scenario())
