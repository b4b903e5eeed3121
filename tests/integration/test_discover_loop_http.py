"""Issue 13's loop, over HTTP through ``muse serve``: a creator registers a work with terms → a buyer finds it by
its content (the goal: within 2 s) → the buyer likes it, and their own list moves towards it → the buyer buys a
license, and the work leaves their lists → the creator's earnings show the license and its fee to the wei.

The times are printed (``pytest -s``): registration → recommended, purchase → excluded, purchase → earnings.
Only the 2 s goal is a limit, and only as a report: the polls wait far longer, so a slow machine prints its time
instead of failing."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.integration.http_helpers import as_user

POLL_FOR_S = 60
GOAL_S = 2.0
FEE_WEI = 1_234_567_890_123_457  # odd: shown to the wei, not rounded through ether
WORK = {
    "title": "Saffron Over the Salt Flats",
    "content": "A caravan of cooks crosses the salt flats at dawn, grinding saffron and cardamom for a feast "
    "cooked on hot stones under the open desert sky.",
}
SIBLING = {
    "title": "The Spice Road Kitchen",
    "content": "Cooks on the spice road roast cumin and saffron over desert fires, and every caravan "
    "stops for their flatbread and stew.",
}
UNRELATED = {
    "title": "Ledger of Frost",
    "content": "A glacier counts the winters in blue ice; a seal sleeps on the floe while the aurora "
    "flickers above the frozen sea.",
}
QUERY = "desert caravan cooking with saffron"


def poll(check: Callable[[], bool], since: float, what: str) -> float:
    """Seconds from ``since`` (a ``time.monotonic()``) until ``check()`` holds, polled every 50 ms for up to
    POLL_FOR_S."""
    while not check():
        assert time.monotonic() - since < POLL_FOR_S, f"never: {what}"
        time.sleep(0.05)
    return time.monotonic() - since


def test_register_recommend_like_license_and_earn(server):
    creator, buyer = server.add_user("loop-creator"), server.add_user("loop-buyer")
    client = httpx.Client(base_url=server.url, timeout=60)

    def register(body: dict) -> dict:
        response = client.post("/v1/works", headers=as_user(creator), json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def works(key: str, **body) -> list[dict]:
        response = client.post("/v1/recommend", headers=as_user(key), json={"catalogue": "works", "k": 10, **body})
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def ids(items: list[dict]) -> list[int]:
        return [i["id"] for i in items]

    sibling, unrelated = register(SIBLING), register(UNRELATED)
    sent = time.monotonic()
    work = register(WORK)
    registered = time.monotonic()
    to_recommended = poll(
        lambda: work["id"] in ids(works(buyer, query=QUERY)), registered, "the work recommended by content"
    )
    terms = client.put(
        f"/v1/works/{work['id']}/terms",
        headers=as_user(creator),
        json={"template": "commercial_use", "fee_wei": FEE_WEI},
    )
    assert terms.status_code == 200, terms.text
    found = next(i for i in works(buyer, query=QUERY) if i["id"] == work["id"])
    assert found["creator"] == work["owner"] and found["reason"] == f"matches '{QUERY}'"
    assert found["terms"] == {"template": "commercial_use", "fee_wei": FEE_WEI, "duration_s": 0, "active": True}

    before = works(buyer)  # no history yet: popular, then newest
    liked = client.post(
        "/v1/interactions",
        headers=as_user(buyer),
        json={"catalogue": "works", "item_id": str(work["id"]), "kind": "like"},
    )
    assert liked.status_code == 201, liked.text
    after_like = works(buyer)
    assert ids(after_like) != ids(before), "a like did not move the buyer's list"
    assert work["id"] not in ids(after_like)  # seen
    near = next(i for i in after_like if i["id"] == sibling["id"])
    assert near["reason"].endswith(f"similar to {WORK['title']}")
    assert unrelated["id"] not in ids(after_like) or ids(after_like).index(sibling["id"]) < ids(after_like).index(
        unrelated["id"]
    )
    assert work["id"] in ids(works(buyer, query=QUERY))  # a like leaves it in search: only a license excludes it

    bought = client.post(f"/v1/works/{work['id']}/licenses", headers=as_user(buyer), json={"max_fee_wei": FEE_WEI})
    assert bought.status_code == 201, bought.text
    paid = time.monotonic()
    to_excluded = poll(lambda: work["id"] not in ids(works(buyer, query=QUERY)), paid, "the licensed work excluded")
    buyer_address = client.get("/v1/account", headers=as_user(buyer)).json()["address"]

    def earned() -> dict:
        response = client.get("/v1/account/earnings", headers=as_user(creator), params={"work_id": work["id"]})
        assert response.status_code == 200, response.text
        return response.json()

    to_earnings = poll(lambda: earned()["total_wei"] > 0, paid, "the license in the creator's earnings")
    after_license = works(buyer)
    assert work["id"] not in ids(after_license) and sibling["id"] in ids(after_license)

    (entry,) = earned()["works"]
    assert entry["work_id"] == work["id"] and entry["earned_wei"] == FEE_WEI and entry["licenses_count"] == 1
    (sale,) = entry["licenses"]
    assert (sale["holder"], sale["kind"], sale["fee_wei"], sale["paid_wei"]) == (
        buyer_address,
        "bought",
        FEE_WEI,
        FEE_WEI,
    )
    assert earned()["total_wei"] == FEE_WEI

    print(
        f"\nregistration request {registered - sent:.2f} s; registration -> recommended by content "
        f"{to_recommended:.2f} s (goal {GOAL_S} s: {'met' if to_recommended <= GOAL_S else 'MISSED'}); "
        f"purchase -> excluded {to_excluded:.2f} s; purchase -> in earnings {to_earnings:.2f} s"
    )
