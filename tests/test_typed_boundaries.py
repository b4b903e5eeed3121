"""The typed boundaries: /openapi.json documents every answer of the ledger, chat and OpenAI-compatible routes
(with references that all resolve, and Muse's error shape for refusals); the chat events round-trip through
their one definition; UnknownItem survives pickling (as it crosses a Serve handle)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from assistant import events
from core.users import connect
from deployments.api import create_api
from deployments.api.chat import ChatService
from models.recsys.errors import UnknownItem

TYPED_PREFIXES = ("/v1/works", "/v1/licenses", "/v1/account", "/v1/ledger", "/v1/chat", "/v1/models", "/v1/completions")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home: Path = tmp_path_factory.mktemp("spec")
    api = create_api(
        None,
        None,
        None,
        status=dict,
        db=connect(home / "muse.db"),
        chat=ChatService(None, home / "conversations.sqlite3", None),
    )
    return api.openapi()


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {node["$ref"]} if "$ref" in node else set().union(*map(_refs, node.values()))
    if isinstance(node, list):
        return set().union(*map(_refs, node))
    return set()


def _event_schema(stream: dict[str, Any]) -> dict[str, Any]:
    """The schema of a stream's events (its data lines as JSON; OpenAI-style streams may also send [DONE])."""
    data = stream["itemSchema"]["properties"]["data"]
    return next(d for d in data.get("anyOf", [data]) if "contentSchema" in d)["contentSchema"]


def test_every_answer_of_the_typed_routes_has_a_schema(spec):
    typed = {
        (path, method): op
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if path.startswith(TYPED_PREFIXES)
    }
    assert len(typed) >= 19, sorted(typed)
    for (path, method), op in typed.items():
        statuses = [status for status in op["responses"] if status.startswith("2")]
        assert statuses, (path, method)
        for status in set(statuses) - {"204"}:  # a 204 has no content
            for media_type, body in op["responses"][status]["content"].items():
                schema = body.get("schema") or _event_schema(body)
                assert "$ref" in schema or "oneOf" in schema or "anyOf" in schema, (path, method, media_type)
        assert op["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_every_reference_in_the_schema_resolves(spec):
    defined = {f"#/components/schemas/{name}" for name in spec["components"]["schemas"]}
    assert _refs(spec["paths"]) | _refs(spec["components"]) <= defined


def test_the_streaming_routes_document_their_events(spec):
    chat = spec["paths"]["/v1/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    kinds = {e["properties"]["type"]["const"] for e in _event_schema(chat)["oneOf"]}
    assert kinds == {"plan", "step_started", "step_finished", "token", "approval_required", "message", "error"}
    completions = spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert set(completions) == {"application/json", "text/event-stream"}
    assert {"const": "[DONE]"} in completions["text/event-stream"]["itemSchema"]["properties"]["data"]["anyOf"]


EXAMPLES = [
    {"type": "plan", "steps": [{"tool": "generate_text", "args": {"topic": "rain"}}]},
    {"type": "step_started", "id": "c1", "tool": "generate_text", "args": {"topic": "rain"}},
    {"type": "step_finished", "id": "c1", "tool": "generate_text", "result": {"text": "Rain"}, "ok": True},
    {"type": "token", "text": "Ra"},
    {
        "type": "approval_required",
        "pending": [
            {
                "id": "c2",
                "tool": "register_work",
                "args": {"title": "Rain"},
                "description": "",
                "summary": "Registers “Rain” as yours.",
            }
        ],
    },
    {"type": "message", "content": "Done."},
    {"type": "error", "message": "the assistant failed (request id r-1)"},
]


@pytest.mark.parametrize("data", EXAMPLES, ids=[e["type"] for e in EXAMPLES])
def test_each_event_round_trips_through_its_json_form(data):
    assert events.parse_event(data).model_dump(mode="json") == data


def test_an_unknown_event_is_refused():
    with pytest.raises(ValidationError):
        events.parse_event({"type": "telemetry", "x": 1})


def test_history_entries_carry_tool_fields_only_where_they_belong():
    user = events.Entry(index=0, role="user", content="hi").model_dump(mode="json")
    call = events.Entry(
        index=1, role="assistant", content="", tool_calls=[events.ToolCall(tool="my_works")]
    ).model_dump(mode="json")
    assert user == {"index": 0, "role": "user", "content": "hi"}
    assert call == {"index": 1, "role": "assistant", "content": "", "tool_calls": [{"tool": "my_works", "args": {}}]}


def test_unknown_item_keeps_its_items_across_pickling():
    error = pickle.loads(pickle.dumps(UnknownItem(["7", "42"])))
    assert isinstance(error, KeyError) and error.items == ["7", "42"] and str(error) == "unknown items: 7, 42"
