"""Every generation endpoint over real HTTP against the running Serve application."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

MODEL = "muse-tiny-shakespeare"


def post(server, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=120)


def sse_events(server, path: str, body: dict) -> list:
    with httpx.stream("POST", f"{server.url}{path}", json=body, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line[6:]) for line in lines[:-1]]


def test_health_and_openapi(server):
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    spec = httpx.get(f"{server.url}/openapi.json").json()
    for path in ("/v1/generate", "/v1/completions", "/v1/chat/completions", "/v1/models"):
        assert path in spec["paths"]
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_generate_returns_text_and_usage(server):
    response = post(server, "/v1/generate", {"prompt": "ROMEO:\n", "max_new_tokens": 16, "temperature": 0})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == MODEL and len(body["text"]) > 0
    assert body["usage"]["completion_tokens"] == 16
    assert body["results"][0]["finish_reason"] == "length"


def test_generate_batch_matches_single_greedy(server):
    single = post(server, "/v1/generate", {"prompt": "JULIET:\n", "max_new_tokens": 12, "temperature": 0})
    batch = post(
        server, "/v1/generate", {"prompt": ["KING:\n", "JULIET:\n"], "max_new_tokens": 12, "temperature": 0}
    ).json()
    assert [r["index"] for r in batch["results"]] == [0, 1]
    assert batch["results"][1]["text"] == single.json()["text"]


def test_generate_streams_server_sent_events(server):
    events = sse_events(
        server, "/v1/generate", {"prompt": "HAMLET:\n", "max_new_tokens": 20, "temperature": 0, "stream": True}
    )
    assert len(events) > 1
    final = events[-1]
    assert final["finish_reason"] == "length" and final["usage"]["completion_tokens"] == 20
    assert sum(e["tokens"] for e in events) == 20
    whole = post(server, "/v1/generate", {"prompt": "HAMLET:\n", "max_new_tokens": 20, "temperature": 0})
    assert "".join(e["text"] for e in events) == whole.json()["text"]


def test_models_lists_the_served_models_default_first(server):
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    assert [m.id for m in client.models.list()][0] == MODEL  # the test profile serves a second one


def test_openai_client_completions_and_chat(server):
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    completion = client.completions.create(model=MODEL, prompt="ROMEO:\n", max_tokens=8)
    assert completion.usage.completion_tokens == 8 and completion.choices[0].text

    chat = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Speak."}], max_tokens=10)
    assert chat.choices[0].message.role == "assistant" and chat.choices[0].message.content
    assert chat.usage.total_tokens == chat.usage.prompt_tokens + 10

    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Speak."}],
            max_tokens=10,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and chunks[-1].usage.completion_tokens == 10

    streamed = list(client.completions.create(model=MODEL, prompt="KING:\n", max_tokens=6, stream=True))
    assert streamed[-1].choices[0].finish_reason == "length"


def test_langchain_chat_openai_talks_to_muse(server):
    llm = ChatOpenAI(base_url=f"{server.url}/v1", api_key="unused", model=MODEL, max_tokens=12)
    reply = llm.invoke("Tell me of the king.")
    assert isinstance(reply.content, str) and reply.content
    assert "".join(chunk.content for chunk in llm.stream("And the queen?"))


@pytest.mark.parametrize(
    "path,body,status,param",
    [
        ("/v1/generate", {"prompt": "x", "temperature": "hot"}, 422, "temperature"),
        ("/v1/generate", {"prompt": "x", "max_new_tokens": 100_000}, 422, "max_new_tokens"),
        ("/v1/generate", {"prompt": ""}, 422, "prompt"),
        ("/v1/generate", {"prompt": "x" * 9000}, 422, "prompt"),
        ("/v1/generate", {"prompt": "word " * 1500, "max_new_tokens": 64}, 400, "prompt"),
        ("/v1/generate", {"prompt": "x", "colour": "red"}, 422, "colour"),
        ("/v1/generate", {}, 422, "prompt"),
        ("/v1/completions", {"model": "gpt-9", "prompt": "x"}, 404, "model"),
        # OpenAI's routes answer invalid input with 400, as OpenAI and vLLM do; Muse's own keep 422
        ("/v1/completions", {"model": MODEL, "prompt": "x", "n": 2}, 400, "n"),
        ("/v1/chat/completions", {"model": MODEL, "messages": []}, 400, "messages"),
        (
            "/v1/chat/completions",
            {"model": MODEL, "messages": [{"role": "robot", "content": "x"}]},
            400,
            "messages.0.role",
        ),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(server, path, body, status, param):
    response = post(server, path, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["message"]


def test_malformed_json_is_a_4xx(server):
    response = httpx.post(
        f"{server.url}/v1/generate", content=b"{not json", timeout=30, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_generator_scales_to_zero_and_serves_the_next_request(server):
    deadline = time.monotonic() + 180
    while server.replicas("Generator").get("RUNNING", 0) > 0:
        assert time.monotonic() < deadline, f"Generator did not scale to zero: {server.replicas('Generator')}"
        time.sleep(1)
    started = time.monotonic()
    response = post(server, "/v1/generate", {"prompt": "ROMEO:\n", "max_new_tokens": 8})
    cold_start_s = time.monotonic() - started
    assert response.status_code == 200 and response.json()["usage"]["completion_tokens"] == 8
    assert server.replicas("Generator").get("RUNNING", 0) == 1
    print(f"cold start from zero replicas: {cold_start_s:.1f} s")
