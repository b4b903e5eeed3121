"""The chat routes in process (FastAPI's TestClient) over the real assistant: a conversation read a page at a
time, forgotten with DELETE, and the per-thread and per-user limits as 4xx that say what to do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.agent import ModelSettings
from assistant.chat import ChatLimits
from deployments.api import create_api
from deployments.api.chat import ChatService
from muse.client import iter_sse
from tests.local_handle import LocalHandle

LIMITS = ChatLimits(max_messages=6, max_threads=2)


@pytest.fixture
def client(world) -> Iterator[TestClient]:
    chat = ChatService(world.backends, world.home / "conversations.sqlite3", ModelSettings(), LIMITS)
    api = create_api(
        text=None, recommender=None, ledger=LocalHandle(world.ledger), status=dict, db=world.users.db, chat=chat
    )
    with TestClient(api) as test_client:
        yield test_client

        async def close() -> None:
            await (await chat.assistant()).close()

        test_client.portal.call(close)


def headers(world, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.context(name).credentials.api_key}"}


def say(client: TestClient, who: dict, thread: str, message: str = "hello") -> tuple[int, Any]:
    """The status, and the events (200) or the error body."""
    with client.stream("POST", "/v1/chat", json={"thread_id": thread, "message": message}, headers=who) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, response.json()
        return 200, list(iter_sse(response.iter_lines()))


def test_a_conversation_is_read_a_page_at_a_time(world, client):
    ann = headers(world, "ann")
    for _ in range(3):
        assert say(client, ann, "t")[0] == 200  # 6 messages: question, answer, three times
    latest = client.get("/v1/chat/t", params={"limit": 4}, headers=ann).json()
    assert latest["total"] == 6 and [m["index"] for m in latest["messages"]] == [2, 3, 4, 5]
    assert latest["before"] == 2 and latest["pending"] == []
    first = client.get("/v1/chat/t", params={"limit": 4, "before": latest["before"]}, headers=ann).json()
    assert [m["index"] for m in first["messages"]] == [0, 1] and first["before"] is None
    assert first["messages"][0] == {"index": 0, "role": "user", "content": "hello"}
    whole = client.get("/v1/chat/t", headers=ann).json()
    assert len(whole["messages"]) == 6 and whole["before"] is None
    for params in ({"limit": 101}, {"limit": 0}, {"before": -1}):
        response = client.get("/v1/chat/t", params=params, headers=ann)
        assert response.status_code == 422 and response.json()["error"]["param"] in params, response.text


def test_a_full_thread_and_too_many_threads_are_409_until_one_is_deleted(world, client):
    bo = headers(world, "bo")
    for _ in range(3):
        say(client, bo, "full")
    status, body = say(client, bo, "full")
    assert status == 409 and "6 messages, the most one may" in body["error"]["message"]
    assert say(client, bo, "second")[0] == 200
    status, body = say(client, bo, "third")
    assert status == 409 and "2 conversations" in body["error"]["message"]
    assert "DELETE /v1/chat/" in body["error"]["message"]
    assert client.delete("/v1/chat/full", headers=bo).status_code == 204
    assert client.delete("/v1/chat/full", headers=bo).status_code == 404
    assert client.get("/v1/chat/full", headers=bo).json()["total"] == 0
    assert say(client, bo, "third")[0] == 200


def test_deleting_needs_the_callers_key_and_reaches_only_its_own_threads(world, client):
    cy, dee = headers(world, "cy"), headers(world, "dee")
    say(client, cy, "mine")
    assert client.delete("/v1/chat/mine").status_code == 401
    assert client.delete("/v1/chat/mine", headers=dee).status_code == 404
    assert client.get("/v1/chat/mine", headers=cy).json()["total"] == 2
