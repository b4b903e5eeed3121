"""The licensing flow over HTTP against the real application, with three users and a full restart of Muse
in the middle: register, set terms, buy, verify, royalties, withdraw; refusals are 401/403. The restart also
keeps a conversation waiting for approval and the interactions behind recommendations; no log holds a key."""

from __future__ import annotations

from pathlib import Path

import httpx

from ledger.units import WEI_PER_ETH as ETHER
from tests.integration.http_helpers import as_user, chat_events

FEE = ETHER // 100  # 0.01 ether


def logs_mentioning(server, secret: str) -> list[str]:
    files = [
        server.log,
        *Path(server.ray_temp_dir).rglob("*.log"),
        *Path(server.ray_temp_dir).rglob("*.err"),
        *Path(server.ray_temp_dir).rglob("*.out"),
    ]
    return [str(f) for f in files if f.is_file() and secret in f.read_text(errors="ignore")]


def test_three_users_license_a_work_across_a_restart(server):
    owner, buyer, stranger = (server.add_user(name) for name in ("ledger-owner", "ledger-buyer", "ledger-stranger"))
    client = httpx.Client(base_url=server.url, timeout=60)
    address = {
        key: client.get("/v1/account", headers=as_user(key)).json()["address"] for key in (owner, buyer, stranger)
    }
    assert client.get("/v1/account", headers=as_user(buyer)).json()["balance_wei"] > 0  # funded from genesis

    response = client.post(
        "/v1/works",
        headers=as_user(owner),
        json={
            "title": "Autumn Ode",
            "content": "Season of mists and mellow fruitfulness",
            "provenance": {"origin": "ai_assisted", "model_id": "muse-tiny-shakespeare", "prompt": "an ode to autumn"},
        },
    )
    assert response.status_code == 201, response.text
    work = response.json()
    terms = {"template": "commercial_use", "fee_wei": FEE}

    # Refusals: no key, someone else's work, paying for nothing.
    assert client.post("/v1/works", json={"title": "x", "content": "y"}).status_code == 401
    assert client.put(f"/v1/works/{work['id']}/terms", json=terms).status_code == 401
    response = client.put(f"/v1/works/{work['id']}/terms", headers=as_user(stranger), json=terms)
    assert response.status_code == 403 and "belongs to" in response.json()["error"]["message"]
    response = client.post(
        f"/v1/works/{work['id']}/licenses", headers=as_user(stranger), json={"grant_to": address[stranger]}
    )
    assert response.status_code == 403
    assert client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(buyer)).status_code == 404  # no terms

    assert client.put(f"/v1/works/{work['id']}/terms", headers=as_user(owner), json=terms).status_code == 200
    response = client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(buyer))
    assert response.status_code == 201, response.text

    def verify(key: str) -> bool:
        response = client.get(
            "/v1/licenses/verify", params={"work_id": work["id"], "holder": address[key], "use": "commercial"}
        )
        assert response.status_code == 200, response.text
        return response.json()["valid"]

    assert verify(buyer) and not verify(stranger)
    assert client.get("/v1/account", headers=as_user(owner)).json()["royalties_wei"] == FEE
    assert (
        client.post("/v1/interactions", headers=as_user(owner), json={"item_id": "1", "kind": "like"}).status_code
        == 201
    )
    waiting = chat_events(client, "/v1/chat", owner, {"thread_id": "kept", "message": 'Register this as mine: "Kept"'})
    assert waiting[-1]["type"] == "approval_required"
    before = {
        "work": client.get(f"/v1/works/{work['id']}").json(),
        "recommended": client.post("/v1/recommend", headers=as_user(owner), json={"k": 5}).json(),
        "listing": client.get("/v1/works", params={"q": "Autumn"}).json(),
        "accounts": {key: client.get("/v1/account", headers=as_user(key)).json() for key in (owner, buyer, stranger)},
    }

    server.restart()

    assert client.get(f"/v1/works/{work['id']}").json() == before["work"]
    assert client.get("/v1/works", params={"q": "Autumn"}).json() == before["listing"]
    assert {key: client.get("/v1/account", headers=as_user(key)).json() for key in (owner, buyer, stranger)} == before[
        "accounts"
    ]
    assert verify(buyer) and not verify(stranger)
    assert client.post("/v1/recommend", headers=as_user(owner), json={"k": 5}).json() == before["recommended"]
    conversation = client.get("/v1/chat/kept", headers=as_user(owner)).json()
    assert [p["tool"] for p in conversation["pending"]] == ["register_work"]
    resumed = chat_events(client, "/v1/chat/kept/approve", owner, {"decision": "approve"})
    assert any(e["type"] == "step_finished" and e["ok"] for e in resumed), resumed

    response = client.post("/v1/account/withdraw", headers=as_user(owner))
    assert response.status_code == 200, response.text
    assert response.json()["withdrawn_wei"] == FEE and response.json()["royalties_wei"] == 0
    assert response.json()["balance_wei"] > before["accounts"][owner]["balance_wei"]
    assert client.post("/v1/account/withdraw", headers=as_user(stranger)).json()["withdrawn_wei"] == 0
    assert server.replicas("Ledger") == {"RUNNING": 1}
    for key in (owner, buyer, stranger):
        assert not logs_mentioning(server, key), "an API key was written to a log"
