"""Issue 11's ledger attacks tried against the running application: what a buyer paid for stays theirs, a
purchase never pays more than agreed, and a hostile title is a 4xx that names it, not a 500."""

from __future__ import annotations

import time

import httpx

from ledger.units import WEI_PER_ETH as ETHER
from tests.integration.http_helpers import as_user


def test_an_owner_cannot_take_back_a_paid_license(server):
    owner, buyer = server.add_user("trust-owner"), server.add_user("trust-buyer")
    client = httpx.Client(base_url=server.url, timeout=60)
    buyer_address = client.get("/v1/account", headers=as_user(buyer)).json()["address"]
    work = client.post("/v1/works", headers=as_user(owner), json={"title": "Sold", "content": "sold for good"}).json()
    client.put(
        f"/v1/works/{work['id']}/terms",
        headers=as_user(owner),
        json={"template": "commercial_use", "fee_wei": ETHER // 100},
    )
    assert client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(buyer)).status_code == 201

    # The attack: a one-second non-commercial license granted over the paid, perpetual commercial one.
    client.put(
        f"/v1/works/{work['id']}/terms",
        headers=as_user(owner),
        json={"template": "non_commercial_remix", "duration_s": 1},
    )
    response = client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(owner), json={"grant_to": buyer_address})
    assert response.status_code == 201, response.text
    assert response.json()["uses"]["commercial"] is None  # still perpetual
    time.sleep(2)
    for source in ("chain", "index"):
        verdict = client.get(
            "/v1/licenses/verify",
            params={"work_id": work["id"], "holder": buyer_address, "use": "commercial", "source": source},
        ).json()
        assert verdict["valid"], (source, verdict)


def test_a_purchase_above_the_agreed_fee_moves_no_wei(server):
    owner, buyer = server.add_user("price-owner"), server.add_user("price-buyer")
    client = httpx.Client(base_url=server.url, timeout=60)
    work = client.post("/v1/works", headers=as_user(owner), json={"title": "Priced", "content": "a price"}).json()
    client.put(
        f"/v1/works/{work['id']}/terms",
        headers=as_user(owner),
        json={"template": "commercial_use", "fee_wei": ETHER // 100},
    )
    agreed = client.get(f"/v1/works/{work['id']}").json()["terms"]["fee_wei"]
    client.put(
        f"/v1/works/{work['id']}/terms",
        headers=as_user(owner),  # the owner raises it meanwhile
        json={"template": "commercial_use", "fee_wei": ETHER},
    )
    balance = client.get("/v1/account", headers=as_user(buyer)).json()["balance_wei"]
    response = client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(buyer), json={"max_fee_wei": agreed})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["fee_wei"] == ETHER and response.json()["error"]["param"] == "max_fee_wei"
    assert client.get("/v1/account", headers=as_user(buyer)).json()["balance_wei"] == balance
    assert client.get("/v1/account", headers=as_user(owner)).json()["royalties_wei"] == 0


def test_a_title_that_encodes_too_long_is_a_4xx_naming_it(server):
    key = server.add_user("quote-titles")
    client = httpx.Client(base_url=server.url, timeout=60)
    for title in ('"' * 100, "\x01" * 100):
        response = client.post("/v1/works", headers=as_user(key), json={"title": title, "content": repr(title)})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == "title"
    assert client.get("/healthz").status_code == 200
