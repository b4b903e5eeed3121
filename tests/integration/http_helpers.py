"""Small HTTP helpers the integration tests share: a user's auth header, and a chat stream's events."""

from __future__ import annotations

import httpx

from muse.client import iter_sse


def as_user(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def chat_events(client: httpx.Client, path: str, key: str, body: dict) -> list[dict]:
    """POST to a chat route as the user and read its Server-Sent Events to the end (the stream must open: 200)."""
    with client.stream("POST", path, json=body, headers=as_user(key)) as response:
        assert response.status_code == 200, response.read()
        return list(iter_sse(response.iter_lines()))
