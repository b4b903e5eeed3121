"""Nobody reads another platform user's history: after a retrain platform users are rows of the recommender
(``muse:{id}``), and only that user, with their own key, may ask for recommendations from that row. MovieLens
users (plain numbers) stay public."""

from __future__ import annotations

import re

import httpx

from tests.integration.http_helpers import as_user


LIKED = {"1": "Toy Story", "2355": "Bug's Life", "4886": "Monsters, Inc."}


def add_user_with_id(server, name: str, admin: bool = False) -> tuple[str, int]:
    out = server.muse("users", "add", name, *(["--admin"] if admin else []))
    return out.stdout.strip().splitlines()[-1], int(re.search(r"\(id (\d+)", out.stderr).group(1))


def recommend(server, body: dict, key: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/recommend", json={"k": 10, **body}, headers=as_user(key) if key else {}, timeout=60
    )


def test_a_platform_users_history_is_theirs_alone(server):
    fan, fan_id = add_user_with_id(server, "privacy-fan")
    other, _ = add_user_with_id(server, "privacy-other")
    admin, _ = add_user_with_id(server, "privacy-admin", admin=True)
    for item in LIKED:
        response = httpx.post(
            f"{server.url}/v1/interactions", json={"item_id": item, "kind": "like"}, headers=as_user(fan), timeout=60
        )
        assert response.status_code == 201, response.text
    retrain = httpx.post(f"{server.url}/v1/admin/retrain", headers=as_user(admin), timeout=600)
    assert retrain.status_code == 200, retrain.text

    platform_id = f"muse:{fan_id}"
    anonymous = recommend(server, {"user_id": platform_id})
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["param"] == "user_id" and platform_id in anonymous.json()["error"]["message"]
    someone_else = recommend(server, {"user_id": platform_id}, other)
    assert someone_else.status_code == 403, someone_else.text
    assert someone_else.json()["error"]["type"] == "permission_error"
    assert not any(title in someone_else.text for title in LIKED.values())

    own = recommend(server, {"user_id": platform_id}, fan)
    assert own.status_code == 200, own.text
    assert all(i["reason"].startswith("because you liked ") for i in own.json()["items"])
    assert own.json() == recommend(server, {}, fan).json()  # the same as asking for "my" recommendations

    catalogue_user = recommend(server, {"user_id": "1"})  # MovieLens users stay public
    assert catalogue_user.status_code == 200
    assert catalogue_user.json()["items"][0]["reason"].startswith("because you liked ")
