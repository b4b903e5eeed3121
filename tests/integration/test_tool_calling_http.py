"""Tool calling and several served models over real HTTP against the running application, with the official
``openai`` client and LangChain's ``ChatOpenAI``. The test profile serves the bundled model twice:
``muse-tiny-shakespeare`` (no tool parser) and ``muse-tiny-hermes`` (hermes)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI

from assistant.tools import TOOLS
from deployments.api.embeddings import EMBEDDING_MODEL

SHAKESPEARE, HERMES = "muse-tiny-shakespeare", "muse-tiny-hermes"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ROUND_TRIP = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_abc",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_abc", "content": '{"sky": "sunny"}'},
]
pytestmark = pytest.mark.integration


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return "sunny"


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=120)


def chat_model(server, model: str, max_tokens: int | None = 24) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=f"{server.url}/v1",
        api_key="unused",
        model=model,
        max_tokens=max_tokens,
        temperature=0,
        max_retries=0,
        timeout=120,
    )


def test_every_served_model_is_listed_and_answers(client):
    assert [m.id for m in client.models.list()] == [
        SHAKESPEARE,
        "muse-planner",
        HERMES,  # config order
        EMBEDDING_MODEL,
    ]  # then the recommender's encoder
    assert client.models.retrieve(HERMES).id == HERMES
    for model in (SHAKESPEARE, HERMES):
        answer = client.chat.completions.create(
            model=model, max_tokens=8, messages=[{"role": "user", "content": "Speak."}]
        )
        assert answer.model == model and answer.choices[0].message.content


def test_an_unknown_model_is_a_404_model_not_found(client, server):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
    assert err.value.body["code"] == "model_not_found"
    assert httpx.get(f"{server.url}/v1/models/gpt-9").status_code == 404


@pytest.mark.parametrize("model", [SHAKESPEARE, HERMES])
def test_tools_and_a_tool_round_trip_are_accepted(client, model):
    """The bundled model writes no calls by itself: with tools (auto) it answers text, and a history with an
    assistant's tool call and the tool's answer is rendered and answered."""
    answer = client.chat.completions.create(
        model=model,
        tools=[WEATHER],
        max_tokens=16,
        temperature=0,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    )
    assert answer.choices[0].finish_reason in {"stop", "length"}
    after = client.chat.completions.create(model=model, tools=[WEATHER], messages=ROUND_TRIP, max_tokens=16)
    assert after.choices[0].message.content


def test_langchain_bind_tools_and_a_tool_message_round_trip(server):
    model = chat_model(server, HERMES).bind_tools([get_weather])
    call = AIMessage("", tool_calls=[{"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}])
    answer = model.invoke([HumanMessage("Weather in Paris?"), call, ToolMessage("sunny", tool_call_id="call_1")])
    assert isinstance(answer, AIMessage) and answer.content
    streamed = None
    for chunk in model.stream("Weather in Paris?"):
        streamed = chunk if streamed is None else streamed + chunk
    assert isinstance(streamed, AIMessageChunk) and streamed.content


@pytest.mark.parametrize(
    "body, param",
    [
        ({"tool_choice": "required"}, None),
        ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, None),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools.0.function.name"),
        ({"messages": [{"role": "tool", "content": "orphan"}]}, "messages.0"),
        ({"response_format": {"type": "yaml"}}, "response_format.type"),
    ],
)
def test_bad_tool_requests_are_400s_in_openai_shape(server, body, param):
    request = {"model": HERMES, "messages": [{"role": "user", "content": "x"}], **body}
    response = httpx.post(f"{server.url}/v1/chat/completions", json=request, timeout=60)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"] and "code" in error
    if param:
        assert error["param"] == param


def test_the_openai_client_raises_bad_request_error(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=HERMES, messages=[{"role": "user", "content": "x"}], tool_choice="required"
        )


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_a_forced_tool_choice_gets_calls_from_the_shakespeare_model(client, choice):
    """The grammar makes even the Shakespeare model (no tool parser) write a hermes call."""
    answer = client.chat.completions.create(
        model=SHAKESPEARE,
        tools=[WEATHER],
        tool_choice=choice,
        temperature=0,
        messages=[{"role": "user", "content": "Weather?"}],
    )
    choice_ = answer.choices[0]
    assert choice_.finish_reason == "tool_calls" and choice_.message.tool_calls, choice_
    call = choice_.message.tool_calls[0]
    assert call.id.startswith("call_") and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["city"], str)


def test_langchain_forced_calls_stream_assemble_and_round_trip(server):
    model = chat_model(server, SHAKESPEARE, max_tokens=None).bind_tools([get_weather], tool_choice="get_weather")
    message = model.invoke("Weather in Paris?")
    assert [c["name"] for c in message.tool_calls] == ["get_weather"]
    streamed = None
    for chunk in model.stream("Weather in Paris?"):
        streamed = chunk if streamed is None else streamed + chunk
    assert isinstance(streamed, AIMessageChunk)
    assert [c["name"] for c in streamed.tool_calls] == ["get_weather"]
    assert isinstance(streamed.tool_calls[0]["args"].get("city"), str)
    reply = (
        chat_model(server, SHAKESPEARE)
        .bind_tools([get_weather])
        .invoke(
            [HumanMessage("Weather in Paris?"), message, ToolMessage("sunny", tool_call_id=message.tool_calls[0]["id"])]
        )
    )
    assert isinstance(reply, AIMessage) and reply.content


def test_a_json_object_response_format_gives_a_json_object(client):
    answer = client.chat.completions.create(
        model=SHAKESPEARE,
        response_format={"type": "json_object"},
        temperature=0,
        messages=[{"role": "user", "content": "JSON, please."}],
    )
    assert isinstance(json.loads(answer.choices[0].message.content), dict)


def test_muse_planner_answers_the_openai_client_and_langchain_with_muses_tool_calls(client, server):
    """The bundled planner writes Hermes calls by itself, parsed into ``tool_calls`` (finish_reason
    "tool_calls") for the official client and for ``ChatOpenAI(...).bind_tools``."""
    tools = [convert_to_openai_tool(t) for t in TOOLS]
    answer = client.chat.completions.create(
        model="muse-planner",
        tools=tools,
        temperature=0,
        messages=[{"role": "user", "content": "Who owns work 5 and what does a license cost?"}],
    )
    assert answer.choices[0].finish_reason == "tool_calls"
    calls = [(c.function.name, json.loads(c.function.arguments)) for c in answer.choices[0].message.tool_calls]
    assert calls == [("work_details", {"work_id": 5})]
    planned = (
        chat_model(server, "muse-planner", max_tokens=None).bind_tools(TOOLS).invoke("Withdraw my royalties please")
    )
    assert [(c["name"], c["args"]) for c in planned.tool_calls] == [("withdraw_royalties", {})]
