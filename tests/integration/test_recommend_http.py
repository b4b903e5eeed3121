"""Recommendation and catalogue routes over real HTTP against the running Serve application."""

from __future__ import annotations

import asyncio

import httpx
import pytest


def recommend(server, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/recommend", json=body, timeout=60)


def test_catalogue_user_gets_explained_recommendations(server):
    response = recommend(server, {"user_id": "1", "k": 10})
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 10 and len({i["id"] for i in items}) == 10
    assert all(i["reason"].startswith("because you liked ") for i in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_liked_items_query_and_cold_start_paths(server):
    liked = recommend(server, {"liked_items": ["1", "2355"], "k": 5}).json()["items"]
    assert {"1", "2355"}.isdisjoint(i["id"] for i in liked)
    assert "Toy Story" in liked[0]["reason"] or "Bug's Life" in liked[0]["reason"]

    query = recommend(server, {"query": "space adventure with robots", "k": 5}).json()["items"]
    assert any("Robot" in i["title"] for i in query)
    assert query[0]["reason"] == "matches 'space adventure with robots'"

    stranger = recommend(server, {"user_id": "nobody-here", "k": 3}).json()["items"]
    assert len(stranger) == 3 and stranger[0]["reason"] == "popular with viewers"


def test_genre_filter_and_diversity(server):
    horror = recommend(server, {"user_id": "4", "k": 5, "genre": "Horror"}).json()["items"]
    for item in horror:
        assert "Horror" in httpx.get(f"{server.url}/v1/items/{item['id']}").json()["genres"]
    plain = recommend(server, {"user_id": "1", "k": 10}).json()["items"]
    varied = recommend(server, {"user_id": "1", "k": 10, "diversity": 0.9}).json()["items"]
    assert [i["id"] for i in plain] != [i["id"] for i in varied]


def test_items_search_lookup_and_similar(server):
    found = httpx.get(f"{server.url}/v1/items", params={"q": "star wars", "limit": 3}).json()["items"]
    assert found[0]["title"].startswith("Star Wars")
    item = httpx.get(f"{server.url}/v1/items/1").json()
    assert item["title"] == "Toy Story (1995)" and "Animation" in item["genres"]
    similar = httpx.get(f"{server.url}/v1/items/1/similar", params={"k": 4}).json()["items"]
    assert len(similar) == 4 and all(i["id"] != "1" for i in similar)


def test_concurrent_requests_all_answer(server):
    async def burst():
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(
                *(client.post(f"{server.url}/v1/recommend", json={"user_id": str(u), "k": 5}) for u in range(1, 41))
            )

    responses = asyncio.run(burst())
    assert all(r.status_code == 200 and len(r.json()["items"]) == 5 for r in responses)


@pytest.mark.parametrize(
    "method,path,body,status,param",
    [
        ("post", "/v1/recommend", {"user_id": "1", "k": 0}, 422, "k"),
        ("post", "/v1/recommend", {"user_id": "1", "k": 101}, 422, "k"),
        ("post", "/v1/recommend", {"user_id": "1", "k": "ten"}, 422, "k"),
        ("post", "/v1/recommend", {"user_id": "1", "diversity": 2}, 422, "diversity"),
        ("post", "/v1/recommend", {"user_id": "1", "query": "x"}, 422, None),
        ("post", "/v1/recommend", {"liked_items": ["no-such-item"]}, 404, "liked_items"),
        ("post", "/v1/recommend", {"liked_items": []}, 422, "liked_items"),
        ("get", "/v1/items/no-such-item", None, 404, "item_id"),
        ("get", "/v1/items/no-such-item/similar", None, 404, "item_id"),
        ("get", "/v1/items?q=", None, 422, "q"),
        ("get", "/v1/items?q=star&limit=1000", None, 422, "limit"),
    ],
)
def test_bad_input_is_a_4xx(server, method, path, body, status, param):
    response = httpx.request(method.upper(), f"{server.url}{path}", json=body, timeout=60)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["param"] == param
