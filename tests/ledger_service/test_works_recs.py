"""The works catalogue over a real ledger, in process: works registered through the gateway's route are followed
from the ledger's index, recommended by content with their terms, and a license (bought or granted) is a
history entry of its holder, shown in their interactions and never recommended back to them. The same flow
through ``muse serve`` is in tests/integration/test_works_recs_http.py."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.users import connect
from core.works import WorksFeed
from deployments.api import create_api, create_recommend_api
from ledger.index_reader import IndexReader
from models.recsys.content import load_encoder
from models.recsys.works import WorksCatalogue, WorksRequest
from tests.local_handle import LocalHandle


class WorksOnly:
    """The Recommender's works side (``Recommender.recommend_works``) without Serve or the movie model."""

    def __init__(self, works: WorksFeed):
        self.works = works

    async def recommend_works(self, request: WorksRequest) -> dict:
        return self.works.answer(request)


@pytest.fixture(scope="module")
def index(home) -> IndexReader:
    return IndexReader(home / "ledger" / "index.sqlite3")


@pytest.fixture(scope="module")
def feed(service, home, index) -> WorksFeed:
    encoder = load_encoder()
    catalogue = WorksCatalogue(lambda texts: encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True))
    return WorksFeed(catalogue, index, connect(home / "muse.db"))


@pytest.fixture(scope="module")
def gateway(service, home, index) -> TestClient:
    api = create_api(
        text=None, recommender=None, ledger=LocalHandle(service), status=dict, db=connect(home / "muse.db")
    )
    api.state.ledger_index = index
    return TestClient(api)


@pytest.fixture(scope="module")
def recommend(feed, home):
    client = TestClient(create_recommend_api(WorksOnly(feed), connect(home / "muse.db")), root_path="/v1/recommend")

    def post(member=None, **body) -> list[dict]:
        response = client.post(
            "/v1/recommend", json={"catalogue": "works", **body}, headers=member.headers if member else {}
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    post.client = client
    return post


def register(gateway, member, title: str, content: str) -> int:
    response = gateway.post("/v1/works", headers=member.headers, json={"title": title, "content": content})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
def works(gateway, member, feed) -> dict[str, int]:
    poet, painter = member("poet"), member("painter")
    made = {
        "space": register(gateway, poet, "Starship Lullaby", "Robots sing to astronauts bound for Mars."),
        "orbit": register(gateway, painter, "Orbit of Iron", "A mechanical crew repairs a space station."),
        "autumn": register(gateway, poet, "Autumn Orchard", "Apples fall in the mist at harvest time."),
    }
    response = gateway.put(
        f"/v1/works/{made['space']}/terms",
        headers=poet.headers,
        json={"template": "commercial_use", "fee_wei": 10**15, "duration_s": 3600},
    )
    assert response.status_code == 200, response.text
    assert feed.sync() == 3 and feed.sync() == 0  # the second sync finds nothing new
    return {**made, "poet": poet, "painter": painter}


def test_a_registered_work_is_recommended_by_content_with_its_terms(works, recommend):
    items = recommend(query="robots in space", k=2)
    assert {i["id"] for i in items} == {works["space"], works["orbit"]}
    space = next(i for i in items if i["id"] == works["space"])
    assert space["title"] == "Starship Lullaby" and space["creator"] == works["poet"].user.address
    assert space["media_type"] == "text/plain" and space["reason"] == "matches 'robots in space'"
    assert space["explore"] is False  # k=2 keeps no slot for new works (2 of 10)
    three = recommend(query="robots in space", k=3)  # 1 slot of 3 kept for works with few interactions
    assert [(i["id"], i["explore"]) for i in three][2] == (works["autumn"], True)
    assert three[2]["reason"] == "new on Muse, matches 'robots in space'"
    assert space["terms"] == {"template": "commercial_use", "fee_wei": 10**15, "duration_s": 3600, "active": True}
    assert next(i for i in items if i["id"] == works["orbit"])["terms"] is None


def test_the_creator_never_gets_their_own_works(works, recommend):
    mine = {works["space"], works["autumn"]}
    assert mine.isdisjoint(i["id"] for i in recommend(works["poet"], query="robots in space", k=10))


def test_a_license_enters_the_buyers_history_and_leaves_their_list(works, gateway, recommend, member, feed):
    buyer = member("buyer")
    assert works["space"] in {i["id"] for i in recommend(buyer, query="robots", k=3)}
    bought = gateway.post(f"/v1/works/{works['space']}/licenses", headers=buyer.headers)
    assert bought.status_code == 201, bought.text
    feed.sync()
    after = recommend(buyer, k=3)  # no query: the buyer's own history, the license in it
    assert works["space"] not in {i["id"] for i in after}
    assert after[0]["id"] == works["orbit"] and after[0]["reason"] == "similar to Starship Lullaby"
    assert works["space"] not in {i["id"] for i in recommend(buyer, query="robots", k=3)}
    shown = gateway.get("/v1/interactions", params={"catalogue": "works"}, headers=buyer.headers).json()["items"]
    assert {"item_id": str(works["space"]), "kind": "license"}.items() <= shown[0].items()


def test_a_granted_license_counts_too(works, gateway, recommend, member):
    grantee, painter = member("grantee"), works["painter"]
    terms = gateway.put(
        f"/v1/works/{works['orbit']}/terms", headers=painter.headers, json={"template": "cc_by", "active": False}
    )  # not on sale: granted only
    assert terms.status_code == 200, terms.text
    granted = gateway.post(
        f"/v1/works/{works['orbit']}/licenses", headers=painter.headers, json={"grant_to": grantee.user.address}
    )
    assert granted.status_code == 201, granted.text
    assert works["orbit"] not in {i["id"] for i in recommend(grantee, query="space station", k=3)}


def test_interactions_on_works(works, gateway, recommend, member):
    reader = member("reader")
    like = gateway.post(
        "/v1/interactions",
        headers=reader.headers,
        json={"catalogue": "works", "item_id": str(works["autumn"]), "kind": "like"},
    )
    assert like.status_code == 201, like.text
    assert recommend(reader, k=1)[0]["reason"] == "similar to Autumn Orchard"
    items = gateway.get("/v1/interactions?catalogue=works", headers=reader.headers).json()["items"]
    assert [(i["item_id"], i["kind"]) for i in items] == [(str(works["autumn"]), "like")]
    for body, status, param in (
        ({"item_id": "999999", "kind": "like"}, 404, None),
        ({"item_id": "abc", "kind": "like"}, 422, "item_id"),
        ({"item_id": "²", "kind": "like"}, 422, "item_id"),
        ({"item_id": str(works["autumn"]), "kind": "license"}, 422, "kind"),
    ):
        response = gateway.post("/v1/interactions", headers=reader.headers, json={"catalogue": "works", **body})
        assert response.status_code == status, response.text
        assert param is None or response.json()["error"]["param"] == param


def test_bad_works_requests_are_refused(works, recommend):
    for body in ({"genre": "Comedy"}, {"user_id": "1"}, {"liked_items": ["abc"]}, {"liked_items": ["²"]}):
        response = recommend.client.post("/v1/recommend", json={"catalogue": "works", **body})
        assert response.status_code == 422, response.text
    unknown = recommend.client.post("/v1/recommend", json={"catalogue": "works", "liked_items": ["424242"]})
    assert unknown.status_code == 404 and "424242" in unknown.json()["error"]["message"]
    liked = recommend(liked_items=[str(works["autumn"])], k=1)
    assert liked[0]["id"] != works["autumn"]
