"""The assistant's works tools through ``POST /v1/chat`` on the real application (issue 13): a poem registered and
offered through the chat is what another user's "which poems can I license?" lists, with its creator and fee (an
unoffered work is left out), in English and Chinese; "find works similar to mine" lists others' works like the
caller's own; and a licensee registers a remix as a derivative through approval, the approval stating the
parent's revenue share, which the ledger records."""

from __future__ import annotations

import time

import httpx

from tests.integration.http_helpers import as_user, chat_events

SEEN_WITHIN_S = 60  # the Recommender replicas follow the ledger's index every 0.5 s
POEM = (
    "Lanterns drift on the night river, paper moons for the drowned stars, and the ferryman hums an old "
    "lullaby to the reeds."
)
UNOFFERED = "Lanterns on the river at night: a ferryman's lullaby, paper moons and the reeds asleep."
MINE = "A ferryman rows lanterns across a midnight river while the reeds sing him to sleep."
FEE_ETH = "0.002"


def _finished(events: list[dict], tool: str) -> dict:
    (step,) = [e for e in events if e["type"] == "step_finished" and e["tool"] == tool]
    assert step["ok"], step
    return step["result"]


def _approve(client: httpx.Client, key: str, thread: str) -> list[dict]:
    return chat_events(client, f"/v1/chat/{thread}/approve", key, {"decision": "approve"})


def _wait_until_recommendable(client: httpx.Client, *work_ids: int) -> None:
    """Until the Recommender follows these works (a liked work it does not know yet is a 404)."""
    deadline = time.monotonic() + SEEN_WITHIN_S
    body = {"catalogue": "works", "liked_items": [str(i) for i in work_ids]}
    while client.post("/v1/recommend", json=body).status_code != 200:
        assert time.monotonic() < deadline, f"works {work_ids} never reached the recommender"
        time.sleep(0.2)


def test_licensable_works_works_like_mine_and_a_derivative_through_the_chat(server):
    creator, reader = server.add_user("lantern-poet"), server.add_user("lantern-reader")
    client = httpx.Client(base_url=server.url, timeout=120)

    # The creator registers and offers a poem through the chat (two approvals), and one more without an offer.
    events = chat_events(
        client,
        "/v1/chat",
        creator,
        {
            "thread_id": "offer",
            "message": f'Register "{POEM}" titled "Night Ferry" and offer it for commercial remix at {FEE_ETH} ETH '
            "with 10% revenue share",
        },
    )
    assert [p["tool"] for p in events[-1]["pending"]] == ["register_work"], events[-1]
    work = _finished(_approve(client, creator, "offer"), "register_work")
    events = _approve(client, creator, "offer")
    assert _finished(events, "set_license_terms")["terms"]["rev_share_bps"] == 1_000
    unoffered = client.post(
        "/v1/works", headers=as_user(creator), json={"title": "River Lullaby", "content": UNOFFERED}
    ).json()
    _wait_until_recommendable(client, work["id"], unoffered["id"])

    # Another user asks what they could license, in English and in Chinese.
    for thread, message in (("en", "Which poems can I license?"), ("zh", "有什么可以授权的诗？")):
        events = chat_events(client, "/v1/chat", reader, {"thread_id": thread, "message": message})
        assert [s["tool"] for s in events[0]["steps"]] == ["recommend_works"], events[0]
        listed = _finished(events, "recommend_works")["items"]
        offered = next(i for i in listed if i["id"] == work["id"])
        assert offered["title"] == "Night Ferry" and offered["creator"] == work["owner"]
        assert offered["fee_eth"] == FEE_ETH and offered["template"] == "commercial_remix" and offered["reason"]
        assert unoffered["id"] not in {i["id"] for i in listed} and all(i["fee_eth"] is not None for i in listed)
        reply = events[-1]["content"]
        assert "Night Ferry" in reply and work["owner"] in reply and f"{FEE_ETH} ETH" in reply
        assert reply.startswith("可以授权的作品：" if thread == "zh" else "Works you could license:")

    # Works like the reader's own: the creator's, never the reader's.
    mine = client.post("/v1/works", headers=as_user(reader), json={"title": "Midnight Crossing", "content": MINE})
    assert mine.status_code == 201, mine.text
    _wait_until_recommendable(client, mine.json()["id"])
    events = chat_events(client, "/v1/chat", reader, {"thread_id": "like", "message": "Find works similar to mine"})
    listed = _finished(events, "recommend_works")["items"]
    assert {work["id"], unoffered["id"]} <= {i["id"] for i in listed} and mine.json()["id"] not in {
        i["id"] for i in listed
    }
    assert next(i for i in listed if i["id"] == work["id"])["reason"].endswith("similar to Midnight Crossing")
    assert events[-1]["content"].startswith("Works like yours:")

    # A remix of the poem: bought a license through the chat, then registered as its derivative.
    chat_events(client, "/v1/chat", reader, {"thread_id": "remix", "message": f"Buy a license for work {work['id']}"})
    assert _finished(_approve(client, reader, "remix"), "buy_license")["work_id"] == work["id"]
    remix = POEM.upper().replace("LANTERNS", "CANDLES")
    events = chat_events(
        client,
        "/v1/chat",
        reader,
        {
            "thread_id": "remix",
            "message": f'Register "{remix}" titled "Candle Ferry" as a derivative of work {work["id"]}',
        },
    )
    (pending,) = events[-1]["pending"]
    assert pending["args"]["parents"] == [work["id"]]
    assert f'derivative of work {work["id"]} "Night Ferry", which is owed 10%' in pending["summary"]
    registered = _finished(_approve(client, reader, "remix"), "register_work")
    assert registered["parents"] == [{"work_id": work["id"], "share_bps": 1_000}]
    on_chain = client.get(f"/v1/works/{registered['id']}").json()
    assert on_chain["parents"] == registered["parents"] and on_chain["title"] == "Candle Ferry"
