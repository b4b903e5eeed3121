"""Near-copies through the running application: another user's copy of a text is a 409 naming the work (over
the API and through the assistant's register tool), and the same text declared as a derivative registers."""

from __future__ import annotations

import httpx

from tests.integration.http_helpers import as_user, chat_events

VERSE = "Salt wind at the pier, grey gulls over the harbour wall, and the boats asleep till morning."


def test_a_near_copy_is_a_409_naming_the_work_and_registers_as_a_derivative(server):
    author, copier = server.add_user("verse-author"), server.add_user("verse-copier")
    client = httpx.Client(base_url=server.url, timeout=60)
    work = client.post("/v1/works", headers=as_user(author), json={"title": "Harbour", "content": VERSE}).json()

    copy = VERSE.upper().replace(",", "").replace("gulls", "terns")
    response = client.post("/v1/works", headers=as_user(copier), json={"title": "Mine now", "content": copy})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["param"] == "content" and error["type"] == "conflict_error" and error["work_id"] == work["id"]
    assert f"work {work['id']}" in error["message"] and "parents" in error["message"]
    assert 0.5 <= error["similarity"] <= 1.0

    uploaded = client.post(
        "/v1/works",
        headers=as_user(copier),
        files={"file": ("verse.txt", VERSE.lower().encode())},
        data={"title": "Upload", "metadata": '{"media_type": "application/octet-stream"}'},
    )
    assert uploaded.status_code == 409 and uploaded.json()["error"]["work_id"] == work["id"]  # text is text

    client.put(f"/v1/works/{work['id']}/terms", headers=as_user(author), json={"template": "commercial_remix"})
    assert client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(copier)).status_code == 201
    response = client.post(
        "/v1/works", headers=as_user(copier), json={"title": "Remix", "content": copy, "parents": [work["id"]]}
    )
    assert response.status_code == 201, response.text
    assert response.json()["parents"][0]["work_id"] == work["id"]

    # The assistant registers through the same check, and says why it could not.
    events = chat_events(
        client, "/v1/chat", copier, {"thread_id": "copy", "message": f'Register this as mine: "{VERSE.lower()}"'}
    )
    assert events[-1]["type"] == "approval_required", events
    events = chat_events(client, "/v1/chat/copy/approve", copier, {"decision": "approve"})
    finished = next(e for e in events if e["type"] == "step_finished")
    assert finished["tool"] == "register_work" and not finished["ok"], finished
    assert f"near-copy of work {work['id']}" in events[-1]["content"], events[-1]
