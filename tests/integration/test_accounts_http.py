"""Accounts over the real CLI and HTTP: `muse users list` shows no key, `muse users rotate` gives a new key that
still owns the user's ledger account and works (the old key is refused at once), and `muse users revoke` locks
the key out of every route, on the gateway and on the recommender's own application."""

from __future__ import annotations

import httpx

from tests.integration.http_helpers import as_user


CHANGING_METHODS = {"post", "put", "patch", "delete"}
TERMS = {"template": "commercial_use", "fee_wei": 10**16}


def authenticated_routes(client: httpx.Client, work_id: int) -> list[tuple[str, str]]:
    """Every route that changes something (from the OpenAPI schema, which has the recommender's /v1/recommend
    too) and the caller's own reads: all of them must refuse a key that is no longer valid."""
    paths = client.get("/openapi.json").json()["paths"]
    changing = [
        (method, path.replace("{work_id}", str(work_id)).replace("{id}", str(work_id)).replace("{thread_id}", "t"))
        for path, operations in paths.items()
        for method in operations
        if method in CHANGING_METHODS
        and path not in {"/v1/generate", "/v1/completions", "/v1/chat/completions", "/v1/embeddings"}
    ]
    assert ("post", "/v1/recommend") in changing
    return [*changing, ("get", "/v1/account"), ("get", "/v1/chat/t")]


def assert_refused_everywhere(client: httpx.Client, key: str, routes: list[tuple[str, str]]) -> None:
    for method, path in routes:
        response = client.request(method, path, json={}, headers=as_user(key))
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert response.json()["error"]["type"] == "authentication_error"


def test_list_rotate_and_revoke(server):
    key = server.add_user("acct-rotor")
    client = httpx.Client(base_url=server.url, timeout=120)
    address = client.get("/v1/account", headers=as_user(key)).json()["address"]
    work = client.post("/v1/works", headers=as_user(key), json={"title": "Before the rotation", "content": "mine"})
    assert work.status_code == 201, work.text
    work_id = work.json()["id"]
    routes = authenticated_routes(client, work_id)

    listed = server.muse("users", "list")
    line = next(line for line in listed.stdout.splitlines() if "acct-rotor" in line)
    assert address in line and "active" in line
    assert "muse_" not in listed.stdout + listed.stderr  # never a key

    wrong = server.muse("users", "rotate", "acct-rotor", stdin="muse_not-her-key\n", check=False)
    assert wrong.returncode != 0 and "not the current API key of acct-rotor" in wrong.stderr
    assert client.get("/v1/account", headers=as_user(key)).status_code == 200  # nothing changed

    rotated = server.muse("users", "rotate", "acct-rotor", stdin=key + "\n")
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert new_key.startswith("muse_") and new_key != key
    assert_refused_everywhere(client, key, routes)  # at once, with no wait for any cache
    assert client.get("/v1/account", headers=as_user(new_key)).json()["address"] == address
    terms = client.put(f"/v1/works/{work_id}/terms", headers=as_user(new_key), json=TERMS)
    assert terms.status_code == 200, terms.text  # the work registered under the old key is still hers
    assert terms.json()["terms"]["fee_wei"] == TERMS["fee_wei"] and terms.json()["owner"] == address

    revoked = server.muse("users", "revoke", "acct-rotor")
    assert "revoked" in revoked.stdout + revoked.stderr
    assert_refused_everywhere(client, new_key, routes)
    assert "revoked" in next(line for line in server.muse("users", "list").stdout.splitlines() if "acct-rotor" in line)
    again = server.muse("users", "rotate", "acct-rotor", stdin=new_key + "\n", check=False)
    assert again.returncode != 0 and "revoked" in again.stderr
    assert server.muse("users", "revoke", "nobody-by-this-name", check=False).returncode != 0
