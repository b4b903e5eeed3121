"""GET /v1/account/earnings through the real application: a key is required, each creator sees only their
own works and earnings (co-creators their shares), and the answer has the documented shape."""

from __future__ import annotations

import httpx

from tests.integration.http_helpers import as_user

FEE = 10**16 + 1  # odd, so the 30/70 split leaves a wei of dust to the first contributor


def test_earnings_are_private_and_add_up(server):
    owner, partner, buyer = (server.add_user(n) for n in ("earn-owner", "earn-partner", "earn-buyer"))
    client = httpx.Client(base_url=server.url, timeout=60)
    address = {
        key: client.get("/v1/account", headers=as_user(key)).json()["address"] for key in (owner, partner, buyer)
    }
    work = client.post(
        "/v1/works",
        headers=as_user(owner),
        json={
            "title": "Shared Ode",
            "content": "two hands, one ode",
            "contributors": [
                {"address": address[owner], "share_bps": 3_000},
                {"address": address[partner], "share_bps": 7_000},
            ],
        },
    ).json()
    client.put(
        f"/v1/works/{work['id']}/terms", headers=as_user(owner), json={"template": "commercial_use", "fee_wei": FEE}
    )
    assert client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(buyer)).status_code == 201
    assert (
        client.post(
            f"/v1/works/{work['id']}/licenses", headers=as_user(owner), json={"grant_to": address[partner]}
        ).status_code
        == 201
    )

    assert client.get("/v1/account/earnings").status_code == 401
    assert client.get("/v1/account/earnings", headers=as_user("muse_not-a-key")).status_code == 401

    earned = {}
    for key in (owner, partner):
        response = client.get("/v1/account/earnings", headers=as_user(key))
        assert response.status_code == 200, response.text
        earned[key] = response.json()
        assert set(earned[key]) == {
            "address",
            "total_wei",
            "works_total",
            "limit",
            "offset",
            "licenses_limit",
            "works",
            "daily",
        }
        assert earned[key]["address"] == address[key]
        assert earned[key]["total_wei"] == client.get("/v1/account", headers=as_user(key)).json()["royalties_wei"]
        (entry,) = earned[key]["works"]
        assert entry["work_id"] == work["id"] and entry["title"] == "Shared Ode" and entry["licenses_count"] == 2
        assert [(lic["holder"], lic["kind"]) for lic in entry["licenses"]] == [
            (address[partner], "granted"),
            (address[buyer], "bought"),
        ]
        assert sum(day["earned_wei"] for day in earned[key]["daily"]) == earned[key]["total_wei"]
    assert earned[partner]["total_wei"] == FEE * 7_000 // 10_000
    assert earned[owner]["total_wei"] + earned[partner]["total_wei"] == FEE

    response = client.get("/v1/account/earnings", headers=as_user(buyer))
    assert response.json()["works"] == [] and response.json()["total_wei"] == 0  # the buyer sees none of it
    response = client.get("/v1/account/earnings", headers=as_user(buyer), params={"work_id": work["id"]})
    assert response.status_code == 403
    assert client.get("/v1/account/earnings", headers=as_user(owner), params={"days": 0}).status_code == 422
