"""An async iterator run in a task of its own, so that whoever reads it may leave without stopping it.

A chat turn is such an iterator: it calls the ledger and writes checkpoints. When its client disconnects, the
server closes or cancels the response that reads the turn; the turn itself must still run to its end (or to
its next pause for approval) and be checkpointed, or a ledger call is cut in half.

The task runs in a fresh ``contextvars.Context``. A task copies its creator's context by default, and a
serving framework may keep the request there: Ray Serve cancels the calls made within a request when that
request is cancelled, and the turn's calls must not be among them.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


async def detached(items: AsyncIterator[T], tasks: set[asyncio.Task]) -> AsyncIterator[T]:
    """``items`` as they come; ``items`` runs to its end whether or not this is read to the end. An exception
    it raises is raised here too. ``tasks`` holds the running task (a reference, and a way to wait for it)."""
    queue: asyncio.Queue[tuple[object, BaseException | None]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in items:
                queue.put_nowait((item, None))
            queue.put_nowait((_END, None))
        except asyncio.CancelledError as exc:  # the loop is closing: tell the reader, then stop
            queue.put_nowait((_END, exc))
            raise
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which raises it
            queue.put_nowait((_END, exc))

    task = asyncio.get_running_loop().create_task(pump(), context=contextvars.Context())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    while True:
        item, error = await queue.get()
        if error is not None:
            raise error
        if item is _END:
            return
        yield item  # type: ignore[misc] - not _END, so one of items'
