"""Where conversations live: LangGraph's SQLite checkpointer, plus the two things it leaves undone.

- ``aprune`` (LangGraph's own interface, which ``AsyncSqliteSaver`` does not implement): LangGraph writes a
  checkpoint at every step of every turn and keeps them all, so the file would grow without bound. Muse's
  agent state holds the whole message list in each checkpoint (no ``DeltaChannel``), so the latest checkpoint
  and its pending writes (an approval waiting) are all a thread needs to be read and resumed.
- ``count_threads``: how many conversations a user has, for the per-user limit.

Deleted rows free pages that SQLite reuses, so the file stays about as large as the live conversations.
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

_PRUNE = (
    # Every checkpoint of the thread but the newest in its namespace (checkpoint ids sort by time).
    "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id < (SELECT MAX(checkpoint_id) FROM checkpoints "
    "latest WHERE latest.thread_id = checkpoints.thread_id AND latest.checkpoint_ns = checkpoints.checkpoint_ns)",
    # The writes that belonged to them.
    "DELETE FROM writes WHERE thread_id = ? AND NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.thread_id = "
    "writes.thread_id AND c.checkpoint_ns = writes.checkpoint_ns AND c.checkpoint_id = writes.checkpoint_id)",
)


class ConversationStore(AsyncSqliteSaver):
    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """``keep_latest``: keep only each thread's newest checkpoint (per namespace); ``delete``: drop the threads."""
        if strategy == "delete":
            for thread_id in thread_ids:
                await self.adelete_thread(thread_id)
            return
        if strategy != "keep_latest":
            raise ValueError(f"unknown pruning strategy {strategy!r}")
        async with self.lock, self.conn.cursor() as cursor:
            for thread_id in thread_ids:
                for statement in _PRUNE:
                    await cursor.execute(statement, (thread_id,))
            await self.conn.commit()

    async def count_threads(self, prefix: str) -> int:
        """How many threads have ids starting with ``prefix`` (a range on the primary key: no table scan)."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        async with (
            self.lock,
            self.conn.execute(
                "SELECT COUNT(DISTINCT thread_id) FROM checkpoints WHERE thread_id >= ? AND thread_id < ?",
                (prefix, end),
            ) as cursor,
        ):
            (count,) = await cursor.fetchone()
        return count
