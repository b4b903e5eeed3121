"""The works catalogue through ``muse serve``: a work registered over HTTP is recommended by content without a
retrain (the Recommender replica follows the ledger's index), and once another user licenses it, that user's
next list leaves it out and their interactions show the license."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.http_helpers import as_user

pytestmark = pytest.mark.integration

SEEN_WITHIN_S = 60  # generous: the replica polls every 0.5 s; the measured time is printed
QUERY = "beekeeping on a zeppelin"


def works_for(client: httpx.Client, key: str | None, **body) -> list[dict]:
    response = client.post(
        "/v1/recommend", json={"catalogue": "works", "k": 10, **body}, headers=as_user(key) if key else {}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_registered_work_is_recommended_then_left_out_for_its_licensee(server):
    creator, reader = server.add_user("works-creator"), server.add_user("works-reader")
    client = httpx.Client(base_url=server.url, timeout=60)
    registered = client.post(
        "/v1/works",
        headers=as_user(creator),
        json={
            "title": "The Airship Apiary",
            "content": "Bees hum in hives hung beneath a drifting zeppelin; the keeper gathers honey above the clouds.",
        },
    )
    assert registered.status_code == 201, registered.text
    registered_at, work = time.monotonic(), registered.json()

    while not any(i["id"] == work["id"] for i in works_for(client, reader, query=QUERY)):
        assert time.monotonic() - registered_at < SEEN_WITHIN_S, "the new work was never recommended"
        time.sleep(0.05)
    print(f"\nwork {work['id']} recommended {time.monotonic() - registered_at:.2f} s after its registration response")
    item = next(i for i in works_for(client, reader, query=QUERY) if i["id"] == work["id"])
    assert item["title"] == "The Airship Apiary" and item["creator"] == work["owner"] and item["terms"] is None
    assert item["media_type"] == "text/plain" and item["reason"].endswith(f"matches '{QUERY}'")
    assert work["id"] not in {i["id"] for i in works_for(client, creator, query=QUERY)}  # never one's own

    terms = {"template": "commercial_use", "fee_wei": 10**15}
    assert client.put(f"/v1/works/{work['id']}/terms", headers=as_user(creator), json=terms).status_code == 200
    offered = next(i for i in works_for(client, None, query=QUERY) if i["id"] == work["id"])
    assert offered["terms"] == {**terms, "duration_s": 0, "active": True}
    bought = client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(reader))
    assert bought.status_code == 201, bought.text

    assert work["id"] not in {i["id"] for i in works_for(client, reader, query=QUERY)}
    assert work["id"] not in {i["id"] for i in works_for(client, reader)}  # their own history, the license in it
    shown = client.get("/v1/interactions", params={"catalogue": "works"}, headers=as_user(reader))
    assert shown.status_code == 200, shown.text
    assert {"item_id": str(work["id"]), "kind": "license"}.items() <= shown.json()["items"][0].items()


def test_works_input_is_checked(server):
    key = server.add_user("works-careful")
    client = httpx.Client(base_url=server.url, timeout=60)
    for body in (
        {"catalogue": "works", "genre": "Drama"},
        {"catalogue": "books"},
        {"catalogue": "works", "liked_items": ["not-a-work"]},
    ):
        assert client.post("/v1/recommend", json=body).status_code == 422, body
    unknown = client.post("/v1/recommend", json={"catalogue": "works", "liked_items": ["987654321"]})
    assert unknown.status_code == 404
    response = client.post(
        "/v1/interactions", headers=as_user(key), json={"catalogue": "works", "item_id": "987654321", "kind": "like"}
    )
    assert response.status_code == 404, response.text
