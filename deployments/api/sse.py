"""Server-Sent Events: one ``data:`` line of JSON per event, ``data: [DONE]`` at the end."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, TypeAdapter

from common.request_ids import hidden_failure

DONE = "data: [DONE]\n\n"

log = logging.getLogger("ray.serve")


def event(payload: dict | BaseModel) -> str:
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def event_stream_doc(item: Any, description: str, media_types: dict[str, dict] | None = None) -> dict:
    """``openapi_extra`` for a route whose 200 is Server-Sent Events, each ``data:`` line an ``item`` as JSON
    (OpenAPI 3.2's ``itemSchema``, as FastAPI documents its own event streams); ``media_types``: what else its
    200 may be. The item's schema is written out in full, so it needs nothing in the schema's components."""
    schema = TypeAdapter(item).json_schema(mode="serialization")
    data = {"type": "string", "contentMediaType": "application/json",
            "contentSchema": _inlined(schema, schema.pop("$defs", {}))}
    stream = {"itemSchema": {"type": "object", "required": ["data"], "properties": {"data": data}}}
    return {"responses": {"200": {"description": description,
                                  "content": {**(media_types or {}), "text/event-stream": stream}}}}


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with each ``$ref`` to ``defs`` replaced by its definition (the models are not recursive), and
    discriminators by their property name alone (their mapping names definitions)."""
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    return {k: {"propertyName": v["propertyName"]} if k == "discriminator" else _inlined(v, defs)
            for k, v in schema.items()}


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
        yield event({"error": {"message": hidden_failure(log, "generation failed", exc), "type": "server_error",
                               "param": None}})
    yield DONE
