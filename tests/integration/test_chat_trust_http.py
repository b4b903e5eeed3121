"""Trust through the real application: a client that drops an approval's stream does not cut the ledger call in
half (the turn completes and is checkpointed, and registers once), and a purchase repeated with the same
Idempotency-Key is charged once."""

from __future__ import annotations

import time

import httpx

from muse.client import iter_sse
from tests.integration.http_helpers import as_user, chat_events

FEE = 10**16
DEADLINE_S = 90


def finished_conversation(client: httpx.Client, thread: str, key: str) -> dict:
    """``GET /v1/chat/{thread}`` once its last message is the assistant's reply (polled, within DEADLINE_S)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        conversation = client.get(f"/v1/chat/{thread}", headers=as_user(key)).json()
        last = conversation["messages"][-1]
        if last["role"] == "assistant" and "tool_calls" not in last:
            return conversation
        time.sleep(0.5)
    raise AssertionError(f"the turn did not finish in {DEADLINE_S} s: {conversation}")


def test_a_dropped_approval_still_completes_and_registers_once(server):
    key = server.add_user("dropper")
    with httpx.Client(base_url=server.url, timeout=120) as client:
        waiting = chat_events(
            client, "/v1/chat", key, {"thread_id": "drop", "message": 'Register this as mine: "Dropped, not lost"'}
        )
        assert waiting[-1]["type"] == "approval_required"
        with client.stream(
            "POST", "/v1/chat/drop/approve", json={"decision": "approve"}, headers=as_user(key)
        ) as response:
            assert response.status_code == 200
            assert next(iter_sse(response.iter_lines()))["type"] == "step_started"
        # the connection is closed here, right after the first event

        conversation = finished_conversation(client, "drop", key)
        assert [m["role"] for m in conversation["messages"]] == ["user", "assistant", "tool", "assistant"]
        assert conversation["pending"] == []
        again = client.post("/v1/chat/drop/approve", json={"decision": "approve"}, headers=as_user(key))
        assert again.status_code == 409
        mine = client.get("/v1/works", params={"owner": "me"}, headers=as_user(key)).json()
        assert mine["total"] == 1 and mine["items"][0]["title"] == "Dropped, not lost"


def test_a_purchase_repeated_with_one_idempotency_key_is_charged_once(server):
    seller, buyer = server.add_user("idem-seller"), server.add_user("idem-buyer")
    with httpx.Client(base_url=server.url, timeout=120) as client:
        work = client.post("/v1/works", headers=as_user(seller), json={"title": "Once", "content": "paid once"}).json()
        terms = client.put(
            f"/v1/works/{work['id']}/terms",
            headers=as_user(seller),
            json={"template": "commercial_use", "fee_wei": FEE},
        )
        assert terms.status_code == 200, terms.text
        before = client.get("/v1/account", headers=as_user(buyer)).json()["balance_wei"]
        headers = {**as_user(buyer), "Idempotency-Key": "buy-once-0001"}
        first, again = (client.post(f"/v1/works/{work['id']}/licenses", headers=headers) for _ in range(2))
        assert first.status_code == again.status_code == 201, (first.text, again.text)
        assert again.json() == first.json()
        spent = before - client.get("/v1/account", headers=as_user(buyer)).json()["balance_wei"]
        assert FEE <= spent < 2 * FEE
        assert client.get("/v1/account", headers=as_user(seller)).json()["royalties_wei"] == FEE
