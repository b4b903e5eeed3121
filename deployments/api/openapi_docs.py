"""Schemas for the parts of ``/openapi.json`` that FastAPI cannot derive from a route's signature: a body the
route reads itself, and Server-Sent Events."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import TypeAdapter

from deployments.api.sse import DONE_DATA


def inline_schema(item: Any, mode: Literal["validation", "serialization"] = "serialization") -> dict[str, Any]:
    """The JSON schema of ``item`` (a model, or a union of them) written out in full: it needs nothing in the
    schema's components."""
    schema = TypeAdapter(item).json_schema(mode=mode)
    return _inlined(schema, schema.pop("$defs", {}))


def event_stream_doc(
    item: Any, description: str, media_types: dict[str, dict] | None = None, done: bool = False
) -> dict:
    """``openapi_extra`` for a route whose 200 is Server-Sent Events, each ``data:`` line an ``item`` as JSON
    (OpenAPI 3.2's ``itemSchema``, as FastAPI documents its own event streams), then ``data: [DONE]`` when
    ``done``; ``media_types``: what else its 200 may be."""
    data: dict[str, Any] = {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": inline_schema(item),
    }
    if done:
        data = {"anyOf": [data, {"const": DONE_DATA}]}
    stream = {"itemSchema": {"type": "object", "required": ["data"], "properties": {"data": data}}}
    return {
        "responses": {
            "200": {"description": description, "content": {**(media_types or {}), "text/event-stream": stream}}
        }
    }


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with each ``$ref`` to ``defs`` replaced by its definition (the models are not recursive), and
    discriminators by their property name alone (their mapping names definitions)."""
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    return {
        k: {"propertyName": v["propertyName"]} if k == "discriminator" else _inlined(v, defs) for k, v in schema.items()
    }
