"""Platform users' interactions: stored, and folded into their very next recommendations."""

from __future__ import annotations

import threading

import httpx

from tests.integration.http_helpers import as_user


def my_recommendations(server, key: str, **extra) -> list[dict]:
    response = httpx.post(f"{server.url}/v1/recommend", json={"k": 10, **extra}, headers=as_user(key), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def like(server, key: str, item_id: str, kind: str = "like", **extra) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/interactions",
        json={"item_id": item_id, "kind": kind, **extra},
        headers=as_user(key),
        timeout=60,
    )


def test_likes_change_the_next_recommendation(server):
    key = server.add_user("cinephile")
    before = my_recommendations(server, key)
    assert before[0]["reason"] == "popular with viewers"  # no history yet: cold start

    for item in ("1", "2355", "4886"):  # Toy Story, A Bug's Life, Monsters, Inc.
        assert like(server, key, item).status_code == 201
    after_likes = my_recommendations(server, key)
    assert [i["id"] for i in after_likes] != [i["id"] for i in before]
    assert all(i["reason"].startswith("because you liked ") for i in after_likes)
    assert {"1", "2355", "4886"}.isdisjoint(i["id"] for i in after_likes)

    assert like(server, key, "2571", kind="rate", value=5.0).status_code == 201  # The Matrix
    after_rating = my_recommendations(server, key)
    assert [i["id"] for i in after_rating] != [i["id"] for i in after_likes]


def test_users_do_not_see_each_others_history(server):
    fan, newcomer = server.add_user("fan"), server.add_user("newcomer")
    assert like(server, fan, "260").status_code == 201
    assert my_recommendations(server, newcomer)[0]["reason"] == "popular with viewers"


def test_interactions_need_a_valid_key_and_valid_input(server):
    anonymous = httpx.post(f"{server.url}/v1/interactions", json={"item_id": "1", "kind": "like"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["type"] == "authentication_error"
    assert like(server, "muse_not-a-key", "1").status_code == 401
    key = server.add_user("careful")
    assert like(server, key, "no-such-item").status_code == 404
    rate = like(server, key, "1", kind="rate")
    assert rate.status_code == 422 and rate.json()["error"]["param"] == "value"
    bad_kind = like(server, key, "1", kind="adore")
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["param"] == "kind"
    assert like(server, key, "1", kind="rate", value=9).status_code == 422


def test_full_retrain_needs_an_admin_and_serves_throughout(server):
    assert httpx.post(f"{server.url}/v1/admin/retrain", timeout=60).status_code == 401
    viewer = server.add_user("viewer")
    assert httpx.post(f"{server.url}/v1/admin/retrain", headers=as_user(viewer), timeout=60).status_code == 403
    assert like(server, viewer, "1").status_code == 201

    admin = server.add_user("admin", admin=True)
    with httpx.Client(timeout=300) as client:
        result: dict = {}
        worker = threading.Thread(
            target=lambda: result.update(response=client.post(f"{server.url}/v1/admin/retrain", headers=as_user(admin)))
        )
        worker.start()
        during = [
            httpx.post(f"{server.url}/v1/recommend", json={"user_id": "1", "k": 3}, timeout=60) for _ in range(20)
        ]
        worker.join()
    assert all(r.status_code == 200 for r in during)
    stats = result["response"].json()["retrained"]
    assert result["response"].status_code == 200
    assert stats["platform_interactions"] >= 1 and stats["interactions"] > 100_000
    assert my_recommendations(server, viewer)[0]["reason"].startswith("because you liked ")
