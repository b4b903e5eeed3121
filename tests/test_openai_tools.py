"""Tool calling and several models on the OpenAI-compatible routes, in process: the gateway's real FastAPI app
with a scripted Generator (the bundled model writes no tool calls unconstrained), driven by the official
``openai`` client and LangChain's ``ChatOpenAI``. The same against the running application, with the real
model, is tests/integration/test_tool_calling_http.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from core.users import connect
from deployments.api import create_api
from deployments.api.embeddings import EMBEDDING_MODEL
from deployments.api.tool_calling import CONSTRAINED_ARRAY_ITEMS, CONSTRAINED_STRING_CHARS, bounded_schema
from deployments.served_models import ServedModel
from deployments.text_service import TextService

MODELS = [
    ServedModel(name="muse-tiny-shakespeare"),
    ServedModel(name="muse-planner", tool_parser="hermes"),
    ServedModel(name="llama-ish", tool_parser="llama3_json"),
]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TWO_CALLS = (
    '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n'
    '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>'
)


class ScriptedGenerator:
    """The Generator's handle convention, answering ``reply`` in chunks of 5 characters; it records each call."""

    def __init__(self) -> None:
        self.reply = "To be, or not to be."
        self.calls: list[dict] = []

    def options(self, stream: bool) -> ScriptedGenerator:
        return self

    @property
    def stream(self) -> ScriptedGenerator:
        self._streaming = True
        return self

    @property
    def complete(self) -> ScriptedGenerator:
        self._streaming = False
        return self

    def remote(self, prompt, params: dict, model: str | None, tools: list[dict] | None):
        self.calls.append({"prompt": prompt, "params": params, "model": model, "tools": tools})
        pieces = [self.reply[i : i + 5] for i in range(0, len(self.reply), 5)] or [""]
        final = {
            "text": pieces[-1],
            "tokens": 1,
            "prompt_tokens": 3,
            "completion_tokens": len(pieces),
            "finish_reason": "stop",
        }
        if not self._streaming:

            async def whole() -> dict:
                return {
                    "text": self.reply,
                    "finish_reason": "stop",
                    "prompt_tokens": 3,
                    "completion_tokens": len(pieces),
                }

            return whole()

        async def chunks() -> AsyncIterator[dict]:
            for piece in pieces[:-1]:
                yield {**final, "text": piece, "finish_reason": None}
            yield final

        return chunks()


@pytest.fixture(scope="module")
def generator() -> ScriptedGenerator:
    return ScriptedGenerator()


@pytest.fixture(scope="module")
def http(generator, tmp_path_factory) -> TestClient:
    db = connect(tmp_path_factory.mktemp("home") / "muse.db")
    api = create_api(TextService(generator, MODELS), recommender=None, ledger=None, status=dict, db=db)
    return TestClient(api, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(http) -> openai.OpenAI:
    return openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=http, max_retries=0)


def _chat(model: str, http: TestClient) -> ChatOpenAI:
    return ChatOpenAI(base_url="http://testserver/v1", api_key="unused", model=model, http_client=http, max_retries=0)


def test_models_are_listed_and_found_one_by_one(client, http):
    assert [m.id for m in client.models.list()] == [*(m.name for m in MODELS), EMBEDDING_MODEL]
    assert client.models.retrieve("muse-planner").id == "muse-planner"
    missing = http.get("/v1/models/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_each_request_goes_to_the_model_it_names(client, generator):
    client.chat.completions.create(model="muse-planner", messages=[{"role": "user", "content": "hi"}])
    assert generator.calls[-1]["model"] == "muse-planner"
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["code"] == "model_not_found" and err.value.body["param"] == "model"


def test_tool_calls_are_read_into_the_message(client, generator):
    generator.reply = TWO_CALLS
    answer = client.chat.completions.create(
        model="muse-planner", tools=[WEATHER], messages=[{"role": "user", "content": "weather?"}]
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert [json.loads(c.function.arguments) for c in choice.message.tool_calls] == [
        {"city": "Paris"},
        {"city": "Oslo"},
    ]
    assert all(c.id.startswith("call_") and c.type == "function" for c in choice.message.tool_calls)
    assert generator.calls[-1]["tools"] == [WEATHER]  # the template gets them


def test_parallel_tool_calls_false_keeps_the_first(client, generator):
    generator.reply = TWO_CALLS
    answer = client.chat.completions.create(
        model="muse-planner",
        tools=[WEATHER],
        parallel_tool_calls=False,
        messages=[{"role": "user", "content": "weather?"}],
    )
    assert len(answer.choices[0].message.tool_calls) == 1


def test_llama3_json_calls(client, generator):
    generator.reply = '{"name": "get_weather", "parameters": {"city": "Rome"}}'
    answer = client.chat.completions.create(
        model="llama-ish", tools=[WEATHER], messages=[{"role": "user", "content": "weather?"}]
    )
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"


@pytest.mark.parametrize(
    "reply",
    [
        '<tool_call>{"name": "get_weather", "arguments": {"city": </tool_call>',
        '<tool_call>{"name": "launch_missiles", "arguments": {}}</tool_call>',
        '<tool_call>{"name": "get_weather", "argu',
    ],
)
def test_malformed_calls_come_back_as_text(client, generator, reply):
    generator.reply = reply
    answer = client.chat.completions.create(
        model="muse-planner", tools=[WEATHER], messages=[{"role": "user", "content": "weather?"}]
    )
    choice = answer.choices[0]
    assert choice.message.content == reply and not choice.message.tool_calls and choice.finish_reason == "stop"


def test_no_calls_are_read_without_tools_or_with_tool_choice_none(client, generator):
    generator.reply = TWO_CALLS
    plain = client.chat.completions.create(model="muse-planner", messages=[{"role": "user", "content": "x"}])
    none = client.chat.completions.create(
        model="muse-planner", tools=[WEATHER], tool_choice="none", messages=[{"role": "user", "content": "x"}]
    )
    assert plain.choices[0].message.content == TWO_CALLS == none.choices[0].message.content
    assert generator.calls[-1]["tools"] is None


def test_a_model_without_a_parser_answers_text_under_auto(client, generator):
    generator.reply = TWO_CALLS
    answer = client.chat.completions.create(
        model="muse-tiny-shakespeare", tools=[WEATHER], messages=[{"role": "user", "content": "x"}]
    )
    assert answer.choices[0].message.content == TWO_CALLS


def test_a_forced_choice_reads_hermes_calls_on_a_model_without_a_parser(client, generator):
    generator.reply = TWO_CALLS
    answer = client.chat.completions.create(
        model="muse-tiny-shakespeare",
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        messages=[{"role": "user", "content": "x"}],
    )
    assert answer.choices[0].finish_reason == "tool_calls"


def test_a_tool_round_trip_reaches_the_template(client, generator):
    generator.reply = "It is sunny in Paris."
    history = [
        {"role": "user", "content": "weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "sunny"}'},
    ]
    answer = client.chat.completions.create(model="muse-planner", tools=[WEATHER], messages=history)
    assert answer.choices[0].message.content == "It is sunny in Paris."
    sent = generator.calls[-1]["prompt"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == {"city": "Paris"}  # an object, for templates
    assert sent[1]["content"] == "" and sent[2] == {
        "role": "tool",
        "content": '{"sky": "sunny"}',
        "tool_call_id": "call_1",
    }


def test_streamed_tool_calls_come_as_vllm_streams_them(client, generator):
    generator.reply = "Let me look.\n" + TWO_CALLS
    chunks = list(
        client.chat.completions.create(
            model="muse-planner", tools=[WEATHER], stream=True, messages=[{"role": "user", "content": "x"}]
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or ()]
    assert content == "Let me look.\n"
    assert [(d.index, d.id is not None, d.function.name) for d in calls] == [
        (0, True, "get_weather"),
        (0, False, None),
        (1, True, "get_weather"),
        (1, False, None),
    ]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_langchain_binds_tools_and_assembles_streamed_calls(http, generator):
    @tool
    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    model = _chat("muse-planner", http).bind_tools([get_weather])
    generator.reply = TWO_CALLS
    message = model.invoke("weather in Paris and Oslo?")
    assert [c["args"] for c in message.tool_calls] == [{"city": "Paris"}, {"city": "Oslo"}]
    whole = None
    for chunk in model.stream("weather?"):
        whole = chunk if whole is None else whole + chunk
    assert isinstance(whole, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in whole.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Oslo"}),
    ]
    generator.reply = "Sunny in both."
    answer = model.invoke(
        ["weather?", message, *(ToolMessage("sunny", tool_call_id=c["id"]) for c in message.tool_calls)]
    )
    assert answer.content == "Sunny in both."


@pytest.mark.parametrize(
    "body, param",
    [
        ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools.0.function.name"),
        ({"tool_choice": "required"}, None),
        ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "other"}}}, None),
        ({"tools": [WEATHER] * 2}, None),
        ({"tools": [WEATHER] * 33}, "tools"),
        ({"response_format": {"type": "json_schema"}}, "response_format"),
        (
            {"tools": [{"type": "function", "function": {"name": "big", "parameters": {"d": "x" * 20_000}}}]},
            "tools.0.function.parameters",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages.0"),
        ({"messages": [{"role": "user", "content": None}]}, "messages.0"),
        ({"temperature": 9}, "temperature"),
    ],
)
def test_bad_requests_are_400s_in_openai_shape(http, body, param):
    request = {"model": "muse-planner", "messages": [{"role": "user", "content": "x"}], **body}
    response = http.post("/v1/chat/completions", json=request)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"] and "code" in error
    if param:
        assert error["param"] == param


def test_the_openai_client_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="muse-planner", messages=[{"role": "user", "content": "x"}], tool_choice="required"
        )


def test_muse_routes_keep_422(http):
    assert http.post("/v1/generate", json={"prompt": "x", "temperature": 9}).status_code == 422


def test_a_bad_json_body_is_a_400_on_openai_routes(http):
    response = http.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "model, marker",
    [("muse-tiny-shakespeare", "<tool_call>"), ("muse-planner", "<tool_call>"), ("llama-ish", "parameters")],
)
@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_a_forced_tool_choice_constrains_the_output_to_calls_in_the_models_format(
    client, generator, model, marker, choice
):
    client.chat.completions.create(
        model=model, tools=[WEATHER], tool_choice=choice, messages=[{"role": "user", "content": "x"}]
    )
    params = generator.calls[-1]["params"]
    assert marker in params["grammar"] and "get_weather" in params["grammar"]
    assert params["max_new_tokens"] == 512  # constrained output gets room to finish


@pytest.mark.parametrize(
    "response_format, constrained",
    [
        ({"type": "text"}, False),
        ({"type": "json_object"}, True),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "w", "schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
            },
            True,
        ),
    ],
)
def test_a_json_response_format_constrains_the_output(client, generator, response_format, constrained):
    client.chat.completions.create(
        model="muse-tiny-shakespeare", response_format=response_format, messages=[{"role": "user", "content": "x"}]
    )
    assert (generator.calls[-1]["params"]["grammar"] is not None) == constrained


def test_no_grammar_under_auto(client, generator):
    client.chat.completions.create(model="muse-planner", tools=[WEATHER], messages=[{"role": "user", "content": "x"}])
    assert generator.calls[-1]["params"]["grammar"] is None


def test_constrained_schemas_bound_what_they_leave_open():
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "kind": {"type": "string", "enum": ["a"]},
            "n": {"type": "integer", "maximum": 5},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    bounded = bounded_schema(schema)
    assert bounded["additionalProperties"] is False and "additionalProperties" not in schema  # a copy
    assert bounded["properties"]["city"]["maxLength"] == CONSTRAINED_STRING_CHARS
    assert "maxLength" not in bounded["properties"]["kind"]
    assert bounded["properties"]["n"]["maximum"] == 5 and bounded["properties"]["n"]["minimum"] < 0
    assert bounded["properties"]["tags"]["maxItems"] == CONSTRAINED_ARRAY_ITEMS
    assert bounded["properties"]["tags"]["items"]["maxLength"] == CONSTRAINED_STRING_CHARS
