"""MuseClient against canned HTTP answers (httpx.MockTransport): Server-Sent Events parsing, request shapes, and
the mapping of Muse's error bodies to MuseError; the terminal chat driven by the same canned streams."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from muse.chat_cli import converse, summarize
from ledger.units import eth_to_wei, wei_to_eth
from assistant.events import MessageEvent
from muse.client import MuseClient, MuseError, iter_sse

KEY = "muse_test_key"


def sse(*events: dict, done: bool = False) -> bytes:
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + ("data: [DONE]\n\n" if done else "")
    return body.encode()


def chunked(data: bytes, size: int = 7) -> Iterator[bytes]:
    """The stream cut at arbitrary points, lines split across chunks as a network would."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "type": "x", "param": None}})


def client_for(handler: Callable[[httpx.Request], httpx.Response], key: str | None = KEY) -> MuseClient:
    return MuseClient("http://muse.test", key, transport=httpx.MockTransport(handler))


PLAN = {
    "type": "plan",
    "steps": [
        {"tool": "generate_text", "args": {"topic": "autumn"}},
        {"tool": "register_work", "args": {"title": "A poem about autumn"}},
    ],
}
STARTED = {"type": "step_started", "id": "c1", "tool": "generate_text", "args": {"topic": "autumn"}}
FINISHED = {
    "type": "step_finished",
    "id": "c1",
    "tool": "generate_text",
    "ok": True,
    "result": {"title": "A poem about autumn", "text": "Leaves fall"},
}
PENDING = {
    "type": "approval_required",
    "pending": [
        {
            "id": "c2",
            "tool": "register_work",
            "args": {"title": "A poem about autumn"},
            "description": "Approve this ledger change",
        }
    ],
}


def test_iter_sse_joins_data_lines_and_skips_comments_and_done():
    lines = [
        ": keep-alive",
        'data: {"a": 1}',
        "",
        'data: {"b":',
        "data: 2}",
        "",
        "",
        "data: [DONE]",
        "",
        'data: {"c": 3}',
    ]
    assert list(iter_sse(lines)) == [{"a": 1}, {"b": 2}, {"c": 3}]


def test_chat_streams_events_parsed_across_chunk_boundaries():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=chunked(sse(PLAN, STARTED, {"type": "token", "text": "Voilà"}, FINISHED)),
        )

    with client_for(handler) as client:
        events = list(client.chat("t-1", "Write a poem"))
    assert [e.type for e in events] == ["plan", "step_started", "token", "step_finished"]
    assert events[2].text == "Voilà" and events[3].result["text"] == "Leaves fall"
    (request,) = seen
    assert request.method == "POST" and request.url.path == "/v1/chat"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"thread_id": "t-1", "message": "Write a poem"}


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (lambda c: c.approve("t-1", "approve"), {"decision": "approve"}),
        (lambda c: c.approve("t-1", "reject", message="too cheap"), {"decision": "reject", "message": "too cheap"}),
        (
            lambda c: c.approve("t-1", "edit", args={"price_eth": 0.02}),
            {"decision": "edit", "args": {"price_eth": 0.02}},
        ),
    ],
)
def test_approve_sends_the_decision_and_streams_the_rest_of_the_run(call, body):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/t-1/approve" and json.loads(request.content) == body
        return httpx.Response(200, content=sse({"type": "message", "content": "Done."}))

    with client_for(handler) as client:
        assert list(call(client)) == [MessageEvent(content="Done.")]


def test_an_event_the_client_does_not_know_is_a_muse_error():
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sse(PLAN, {"type": "telemetry", "x": 1}))

    with client_for(handler) as client:
        events = client.chat("t-1", "hi")
        assert next(events).type == "plan"
        with pytest.raises(MuseError, match="an event this client does not know"):
            next(events)


def test_a_refused_stream_raises_with_the_status_and_the_apis_message():
    with client_for(lambda _: error(409, "this conversation is waiting for a decision")) as client:
        with pytest.raises(MuseError) as info:
            list(client.chat("t-1", "hi"))
    assert info.value.status == 409 and info.value.message == "this conversation is waiting for a decision"
    assert str(info.value) == "this conversation is waiting for a decision (HTTP 409)"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (error(401, "invalid API key"), "invalid API key"),
        (httpx.Response(422, json={"detail": "bad input"}), "bad input"),
        (httpx.Response(502, text="Bad Gateway"), "Bad Gateway"),
        (httpx.Response(500, content=b""), "Internal Server Error"),
    ],
)
def test_error_bodies_map_to_muse_error(response, message):
    with client_for(lambda _: response) as client:
        with pytest.raises(MuseError) as info:
            client.account()
    assert (info.value.status, info.value.message) == (response.status_code, message)


def test_an_unreachable_muse_is_a_muse_error_without_status():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with client_for(handler) as client:
        with pytest.raises(MuseError) as info:
            client.system_status()
    assert info.value.status is None and "cannot reach Muse at http://muse.test" in str(info.value)


def test_reads_send_the_right_requests_and_unwrap_items():
    def handler(request: httpx.Request) -> httpx.Response:
        route = (request.method, request.url.raw_path.decode().split("?")[0])
        if route == ("GET", "/v1/works"):
            assert request.url.params["owner"] == "me"
            return httpx.Response(200, json={"items": [{"id": 1, "title": "Autumn"}], "total": 1})
        if route == ("PUT", "/v1/works/1/terms"):
            assert json.loads(request.content) == {
                "template": "commercial_use",
                "fee_wei": 10**16,
                "rev_share_bps": 500,
                "duration_s": 0,
            }
            return httpx.Response(200, json={"id": 1})
        if route == ("POST", "/v1/recommend"):
            assert json.loads(request.content) == {"k": 3, "query": "space heist"}
            return httpx.Response(200, json={"items": [{"id": "7", "title": "X", "score": 1, "reason": "r"}]})
        if route == ("GET", "/v1/items/a%2Fb/similar"):
            return httpx.Response(200, json={"items": []})
        if route == ("GET", "/v1/system/metrics"):
            return error(404, "Not Found")
        return error(404, f"unexpected {route}")

    with client_for(handler) as client:
        assert client.my_works() == [{"id": 1, "title": "Autumn"}]
        assert client.set_terms(1, "commercial_use", eth_to_wei(0.01), 500) == {"id": 1}
        assert client.recommend(query="space heist", k=3)[0]["id"] == "7"
        assert client.similar_items("a/b") == []
        assert client.system_metrics() is None


def test_no_key_sends_no_authorization_header():
    def handler(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        return httpx.Response(200, json={"applications": {}})

    with client_for(handler, key=None) as client:
        assert client.system_status() == {"applications": {}}


def test_ether_and_wei():
    assert eth_to_wei(0.01) == 10**16 and eth_to_wei("1.5") == 15 * 10**17 and eth_to_wei(0) == 0
    assert wei_to_eth(10**16) == "0.01" and wei_to_eth(2 * 10**18) == "2" and wei_to_eth(0) == "0"
    with pytest.raises(ValueError):
        eth_to_wei(-1)
    with pytest.raises(ValueError):
        eth_to_wei("1e-19")


def test_terminal_chat_prints_the_run_and_asks_before_a_ledger_change():
    """A message, the pause for approval, "y", then Ctrl-D: the plan, steps, streamed reply and the question."""
    requests: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append((request.method, request.url.path))
        if request.method == "GET":
            return httpx.Response(
                200, json={"thread_id": "t-1", "total": 0, "before": None, "messages": [], "pending": []}
            )
        if request.url.path == "/v1/chat":
            return httpx.Response(200, content=sse(PLAN, STARTED, FINISHED, PENDING))
        registered = {
            "type": "step_finished",
            "id": "c2",
            "tool": "register_work",
            "ok": True,
            "result": {"id": 5, "title": "A poem about autumn"},
        }
        return httpx.Response(
            200,
            content=sse(
                {"type": "step_started", "id": "c2", "tool": "register_work", "args": {}},
                registered,
                {"type": "token", "text": "Regis"},
                {"type": "token", "text": "tered."},
                {"type": "message", "content": "Registered."},
            ),
        )

    answers = iter(["Write a poem about autumn and register it", "y"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        answer = next(answers, None)
        if answer is None:
            raise EOFError  # as input() at Ctrl-D
        return answer

    out = io.StringIO()
    with client_for(handler) as client, pytest.raises(EOFError):
        converse(client, "t-1", ask, out)
    text = out.getvalue()
    assert "plan: 1. generate_text" in text and "→ generate_text" in text
    assert "✓ generate_text: “Leaves fall”" in text
    assert "? register_work" in text and "✓ register_work: work 5 “A poem about autumn”" in text
    assert "muse> Registered.\n" in text
    assert prompts[:2] == ["you> ", "Approve? [y]es/[n]o/[e]dit "]
    assert requests[:3] == [("GET", "/v1/chat/t-1"), ("POST", "/v1/chat"), ("POST", "/v1/chat/t-1/approve")]


def test_summaries_are_short():
    assert summarize({"error": "not yours"}) == "error: not yours"
    assert summarize({"items": [{"title": "Heat"}, {"title": "Alien"}]}) == "2 items: Heat, Alien"
    assert len(summarize({"x": "y" * 500})) == 80
