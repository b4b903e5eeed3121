"""Hostile HTTP against the real application: oversized bodies (declared or chunked), JSON nested 100,000 deep,
unbounded fields and request floods each get a clear 4xx with Muse's error body, and the server keeps serving.

The flood test relies on the test profile's low ``ledger_writes`` limit (per user, so no other test shares
its bucket)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.http_helpers import as_user

MIB = 1 << 20
DEEP = 100_000
FLOOD_BURST = 40  # serve_test_profile.yaml: limits.ledger_writes.burst

DEEP_BODIES = {"list": "[" * DEEP + "]" * DEEP, "object": '{"a":' * DEEP + "1" + "}" * DEEP}


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as http:
        yield http


def assert_error(response: httpx.Response, status: int | tuple[int, ...], kind: str | None = None) -> dict:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert error["message"] and set(error) == {"message", "type", "param", "code"}, error
    if kind is not None:
        assert error["type"] == kind, error
    return error


@pytest.mark.parametrize("path", ["/v1/generate", "/v1/recommend"])
def test_a_declared_body_over_the_limit_is_refused_unread(client, path):
    body = json.dumps({"prompt" if path == "/v1/generate" else "query": "a" * (3 * MIB)})
    error = assert_error(
        client.post(path, content=body, headers={"content-type": "application/json"}), 413, "request_too_large"
    )
    assert "2097152" in error["message"] or "2 MiB" in error["message"], error


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"prompt": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'"}'


@pytest.mark.parametrize("path", ["/v1/generate", "/v1/recommend"])
def test_a_chunked_body_over_the_limit_is_refused(client, path):
    request = client.build_request("POST", path, content=_chunks(3 * MIB), headers={"content-type": "application/json"})
    assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
    assert_error(client.send(request), 413, "request_too_large")


@pytest.mark.parametrize("kind", sorted(DEEP_BODIES))
@pytest.mark.parametrize(
    "path, normal", [("/v1/generate", {"prompt": "ROMEO:", "max_new_tokens": 2}), ("/v1/recommend", {"k": 2})]
)
def test_deeply_nested_json_is_a_4xx_and_the_server_keeps_serving(client, path, normal, kind):
    response = client.post(path, content=DEEP_BODIES[kind], headers={"content-type": "application/json"})
    assert_error(response, (400, 422))
    assert "nest" in response.json()["error"]["message"], response.text
    assert client.post(path, json=normal).status_code == 200


def test_unbounded_chat_completion_fields_are_refused(client):
    message = {"role": "user", "content": "Speak."}
    too_many = {"model": "muse-tiny-shakespeare", "messages": [message] * 65}
    assert_error(client.post("/v1/chat/completions", json=too_many), 400)  # OpenAI's status for bad input
    parts = {
        "model": "muse-tiny-shakespeare",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "a" * 1000}] * 1000}],
    }
    assert_error(client.post("/v1/chat/completions", json=parts), 400)


def test_an_approval_edit_with_huge_args_is_refused(client, server):
    key = server.add_user("hostile-editor")
    args = {f"k{i}": "v" * 100 for i in range(10_000)}
    response = client.post("/v1/chat/t1/approve", json={"decision": "edit", "args": args}, headers=as_user(key))
    assert_error(response, 422)
    assert response.json()["error"]["param"] == "args", response.text


def test_a_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={"x-request-id": "hostile-test-1"})
    assert response.headers["x-request-id"] == "hostile-test-1"
    assert client.get("/healthz").headers["x-request-id"]


def test_a_flood_of_ledger_writes_gets_429_with_retry_after(client, server):
    flooder, bystander = as_user(server.add_user("hostile-flooder")), as_user(server.add_user("hostile-bystander"))
    statuses = [client.post("/v1/works", json={}, headers=flooder) for _ in range(FLOOD_BURST + 20)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, sorted({r.status_code for r in statuses})
    assert int(limited[0].headers["retry-after"]) >= 1
    assert_error(limited[0], 429, "rate_limit_error")
    assert client.post("/v1/works", json={}, headers=bystander).status_code == 422  # another key, its own bucket
