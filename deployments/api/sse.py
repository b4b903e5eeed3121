"""Server-Sent Events: one ``data:`` line of JSON per event, ``data: [DONE]`` at the end."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from common.request_ids import hidden_failure

DONE_DATA = "[DONE]"  # the last data line of an OpenAI-style stream
DONE = f"data: {DONE_DATA}\n\n"

log = logging.getLogger("ray.serve")


def event(payload: dict | BaseModel) -> str:
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_response(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def with_error_event(events: AsyncIterator[str]) -> AsyncIterator[str]:
    """Once a stream has started its status is sent; a failure after that becomes an ``error`` event."""
    try:
        async for item in events:
            yield item
    except Exception as exc:  # the client still gets a well-formed stream
        yield event(
            {"error": {"message": hidden_failure(log, "generation failed", exc), "type": "server_error", "param": None}}
        )
    yield DONE
