"""The ledger's REST routes, in process (FastAPI's TestClient) over a real LedgerService: who may do what,
and how bad input is refused. The same flow through the real Serve application is in tests/integration."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from core.users import connect
from deployments.api import create_api
from deployments.api.ledger import MAX_CONTENT_BYTES
from ledger.units import WEI_PER_ETH as ETHER
from tests.local_handle import LocalHandle


@pytest.fixture(scope="module")
def client(service, home) -> TestClient:
    api = create_api(
        text=None, recommender=None, ledger=LocalHandle(service), status=dict, db=connect(home / "muse.db")
    )
    return TestClient(api)


@pytest.fixture(scope="module")
def owner(member):
    return member("owner")


@pytest.fixture(scope="module")
def work(client, owner) -> dict:
    response = client.post("/v1/works", headers=owner.headers, json={"title": "Ode", "content": "O autumn"})
    assert response.status_code == 201, response.text
    return response.json()


def error(response) -> str:
    return response.json()["error"]["message"]


def test_registration_returns_the_content_hash(work, owner):
    assert work["content_hash"] == hashlib.sha256(b"O autumn").hexdigest()
    assert work["owner"] == owner.user.address and work["title"] == "Ode"
    assert work["contributors"] == [{"address": owner.user.address, "share_bps": 10_000}]


def test_upload_a_file(client, owner):
    data = bytes(range(256)) * 3
    response = client.post(
        "/v1/works",
        headers=owner.headers,
        files={"file": ("cover.bin", data)},
        data={
            "title": "Cover",
            "metadata": '{"media_type": "image/png", '
            '"provenance": {"origin": "ai_generated", "model_id": "m", "prompt": "a cat"}}',
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_hash"] == hashlib.sha256(data).hexdigest() and body["media_type"] == "image/png"
    assert body["provenance"] == {
        "origin": "ai_generated",
        "model_id": "m",
        "prompt_hash": hashlib.sha256(b"a cat").hexdigest(),
    }


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/v1/works", {"title": "x", "content": "y"}),
        ("put", "/v1/works/1/terms", {"template": "cc_by"}),
        ("post", "/v1/works/1/licenses", None),
        ("get", "/v1/account", None),
        ("get", "/v1/account/earnings", None),
        ("post", "/v1/account/withdraw", None),
    ],
)
def test_changes_need_a_valid_key(client, work, method, path, body):
    for headers in ({}, {"Authorization": "Bearer muse_not-a-key"}):
        response = client.request(method.upper(), path, headers=headers, json=body)
        assert response.status_code == 401, response.text


def test_acting_on_someone_elses_work_is_forbidden(client, work, member):
    intruder = member("intruder")
    response = client.put(f"/v1/works/{work['id']}/terms", headers=intruder.headers, json={"template": "cc_by"})
    assert response.status_code == 403 and "belongs to" in error(response)
    response = client.post(
        f"/v1/works/{work['id']}/licenses", headers=intruder.headers, json={"grant_to": intruder.user.address}
    )
    assert response.status_code == 403
    assert client.get(f"/v1/works/{work['id']}").json()["terms"] is None  # nothing changed


def test_unknown_works_are_404(client, owner):
    assert client.get("/v1/works/999").status_code == 404
    assert client.put("/v1/works/999/terms", headers=owner.headers, json={"template": "cc_by"}).status_code == 404
    assert client.post("/v1/works/999/licenses", headers=owner.headers).status_code == 404
    response = client.get("/v1/licenses/verify", params={"work_id": 999, "holder": owner.user.address})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, status, needle",
    [
        ({"title": "t"}, 422, "content"),
        ({"title": "", "content": "c"}, 422, "title"),
        ({"title": "秋" * 40, "content": "c"}, 400, "100 UTF-8 bytes"),
        ({"title": '"' * 100, "content": "quotes"}, 400, "once encoded"),  # was a failed assert: a 500
        ({"title": "\x01" * 100, "content": "controls"}, 400, "once encoded"),
        (
            {
                "title": "t",
                "content": "c",
                "contributors": [
                    {"address": "0x" + "1" * 40, "share_bps": 5000},
                    {"address": "0x" + "2" * 40, "share_bps": 4000},
                ],
            },
            400,
            "sum to 10000",
        ),
        ({"title": "t", "content": "c", "contributors": [{"address": "0x12", "share_bps": 10000}]}, 422, "address"),
        ({"title": "t", "content": "c", "provenance": {"origin": "ai_generated"}}, 400, "model id"),
        ({"title": "t", "content": "c", "provenance": {"origin": "alien"}}, 422, "origin"),
        ({"title": "t", "content": "c", "parents": [999]}, 404, "parent"),
        ({"title": "t", "content": "c", "price": 3}, 422, "price"),
    ],
)
def test_bad_registrations_say_what_is_wrong(client, owner, body, status, needle):
    response = client.post("/v1/works", headers=owner.headers, json=body)
    assert response.status_code == status, response.text
    assert needle in error(response)
    if "title" in body and status == 400 and "encoded" in needle:
        assert response.json()["error"]["param"] == "title"


def test_a_purchase_never_pays_more_than_the_buyer_agreed(client, member):
    seller, buyer = member("seller"), member("thrifty")
    work = client.post("/v1/works", headers=seller.headers, json={"title": "Priced", "content": "priced"}).json()
    client.put(
        f"/v1/works/{work['id']}/terms",
        headers=seller.headers,
        json={"template": "commercial_use", "fee_wei": 3 * 10**15},
    )
    balance = client.get("/v1/account", headers=buyer.headers).json()["balance_wei"]
    response = client.post(f"/v1/works/{work['id']}/licenses", headers=buyer.headers, json={"max_fee_wei": 10**15})
    assert response.status_code == 409, response.text
    assert response.json()["error"] | {"message": ""} == {
        "message": "",
        "type": "conflict_error",
        "param": "max_fee_wei",
        "code": None,
        "fee_wei": 3 * 10**15,
    }
    assert client.get("/v1/account", headers=buyer.headers).json()["balance_wei"] == balance
    assert client.get("/v1/licenses", params={"holder": buyer.user.address}).json()["total"] == 0
    response = client.post(f"/v1/works/{work['id']}/licenses", headers=buyer.headers, json={"max_fee_wei": 3 * 10**15})
    assert response.status_code == 201 and response.json()["terms"]["fee_wei"] == 3 * 10**15
    response = client.post(
        f"/v1/works/{work['id']}/licenses",
        headers=seller.headers,
        json={"grant_to": buyer.user.address, "max_fee_wei": 1},
    )
    assert response.status_code == 422 and "grant is free" in error(response)


def test_bad_bodies_and_sizes(client, owner, work):
    response = client.post("/v1/works", headers=owner.headers, content=b"not json")
    assert response.status_code == 422 and "not JSON" in error(response)
    response = client.post("/v1/works", headers=owner.headers, json={"title": "O", "content": "O autumn"})
    assert response.status_code == 400 and "already registered" in error(response)
    big = b"x" * (MAX_CONTENT_BYTES + 1)
    response = client.post("/v1/works", headers=owner.headers, files={"file": ("big", big)}, data={"title": "Big"})
    assert response.status_code == 413
    response = client.post("/v1/works", headers=owner.headers, data={"title": "No file"}, files={"other": ("x", b"x")})
    assert response.status_code == 422 and "file" in error(response)


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"template": "all_rights"}, "template"),
        ({"template": "cc_by", "fee_wei": -1}, "fee_wei"),
        ({"template": "cc_by", "rev_share_bps": 10_001}, "rev_share_bps"),
        ({"template": "cc_by", "duration_s": 2**64}, "duration_s"),
    ],
)
def test_bad_terms(client, owner, work, body, needle):
    response = client.put(f"/v1/works/{work['id']}/terms", headers=owner.headers, json=body)
    assert response.status_code == 422 and needle in error(response)


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"work_id": 1, "holder": "0x12"}, "holder"),
        ({"work_id": 1, "holder": "0x" + "1" * 40, "use": "resell"}, "use"),
        ({"work_id": 0, "holder": "0x" + "1" * 40}, "work_id"),
    ],
)
def test_bad_verify_queries(client, params, needle):
    response = client.get("/v1/licenses/verify", params=params)
    assert response.status_code == 422 and needle in error(response)


def test_the_whole_flow(client, member):
    writer, buyer, stranger = member("writer"), member("buyer"), member("stranger")
    work = client.post("/v1/works", headers=writer.headers, json={"title": "Leaves", "content": "falling"}).json()
    terms = {"template": "commercial_use", "fee_wei": ETHER // 100}
    response = client.put(f"/v1/works/{work['id']}/terms", headers=writer.headers, json=terms)
    assert response.json()["terms"]["fee_wei"] == ETHER // 100
    response = client.post(f"/v1/works/{work['id']}/licenses", headers=buyer.headers)
    assert response.status_code == 201 and response.json()["holder"] == buyer.user.address

    def verify(who, source="chain"):
        return client.get(
            "/v1/licenses/verify",
            params={"work_id": work["id"], "holder": who.user.address, "use": "commercial", "source": source},
        ).json()["valid"]

    assert verify(buyer) and verify(buyer, "index")
    assert not verify(stranger) and not verify(stranger, "index")
    assert client.get("/v1/account", headers=writer.headers).json()["royalties_wei"] == ETHER // 100
    before = client.get("/v1/account", headers=writer.headers).json()["balance_wei"]
    withdrawn = client.post("/v1/account/withdraw", headers=writer.headers).json()
    assert withdrawn["withdrawn_wei"] == ETHER // 100 and withdrawn["royalties_wei"] == 0
    assert withdrawn["balance_wei"] > before  # the payout exceeds the gas
    mine = client.get("/v1/works", params={"owner": "me"}, headers=writer.headers).json()
    assert [w["title"] for w in mine["items"]] == ["Leaves"]
    held = client.get("/v1/licenses", params={"holder": "me"}, headers=buyer.headers).json()
    assert [lic["work_id"] for lic in held["items"]] == [work["id"]]
    assert client.get("/v1/works", params={"owner": "me"}).status_code == 401


def test_an_idempotency_key_makes_a_repeated_registration_one(client, member):
    poet = member("poet")
    headers = {**poet.headers, "Idempotency-Key": "register-once"}
    body = {"title": "Once", "content": "said once"}
    first, again = (client.post("/v1/works", headers=headers, json=body) for _ in range(2))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    mine = client.get("/v1/works", params={"owner": "me"}, headers=poet.headers).json()
    assert mine["total"] == 1


@pytest.mark.parametrize("key, needle", [("k" * 201, "at most 200"), ("with space", "match"), ("", "at least 1")])
def test_bad_idempotency_keys(client, owner, work, key, needle):
    response = client.post("/v1/account/withdraw", headers={**owner.headers, "Idempotency-Key": key})
    assert response.status_code == 422 and needle in error(response), response.text
    assert response.json()["error"]["param"] == "Idempotency-Key"


def test_an_unknown_key_is_told_which_data_folder_the_server_uses(client):
    from core.paths import muse_home

    response = client.get("/v1/account", headers={"Authorization": "Bearer muse_from-another-folder"})
    assert response.status_code == 401 and f"MUSE_HOME={muse_home()}" in response.json()["error"]["message"]


def test_earnings_are_the_callers_own(client, work, owner, member):
    client.put(f"/v1/works/{work['id']}/terms", headers=owner.headers, json={"template": "cc_by", "fee_wei": 1000})
    buyer = member("earnings_buyer")
    assert client.post(f"/v1/works/{work['id']}/licenses", headers=buyer.headers).status_code == 201
    mine = client.get("/v1/account/earnings", headers=owner.headers, params={"work_id": work["id"]})
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["total_wei"] >= 1000 and body["works"][0]["licenses"][0]["holder"] == buyer.user.address
    assert body["works"][0]["licenses"][0]["kind"] == "bought" and body["daily"][-1]["earned_wei"] >= 1000
    theirs = client.get("/v1/account/earnings", headers=buyer.headers, params={"work_id": work["id"]})
    assert theirs.status_code == 403 and "neither owned nor co-created" in error(theirs)
    assert client.get("/v1/account/earnings", headers=buyer.headers).json()["works"] == []
    assert client.get("/v1/account/earnings", headers=owner.headers, params={"limit": 51}).status_code == 422


def test_a_near_copy_by_another_user_is_a_409_naming_the_work(client, member):
    author, copier = member("verse-author"), member("verse-copier")
    verse = "The harbour lamps are lit, and all the little boats come home to sleep."
    work = client.post("/v1/works", headers=author.headers, json={"title": "Lamps", "content": verse}).json()
    response = client.post("/v1/works", headers=copier.headers, json={"title": "Mine", "content": verse.upper()})
    assert response.status_code == 409, response.text
    assert response.json()["error"] == {
        "message": response.json()["error"]["message"],
        "type": "conflict_error",
        "param": "content",
        "code": None,
        "work_id": work["id"],
        "similarity": 1.0,
    }
    assert f"declare work {work['id']} in parents" in error(response)
