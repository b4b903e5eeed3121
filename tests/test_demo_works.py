"""The Discover tab's works view without a server: the client's requests for it (works catalogue, deleting the
license conversation) and how the view reads the assistant's events."""

from __future__ import annotations

import json

import httpx
import pytest

from muse.client import MuseError
from assistant.events import PendingCall, parse_event
from muse.demo import _license_summary, _outcome, _recommended_work_rows
from tests.test_client import client_for, error

WORK = {
    "id": 7,
    "title": "Saffron",
    "creator": "0xabc",
    "media_type": "text/plain",
    "score": 0.5,
    "explore": False,
    "reason": "matches 'spice'",
    "terms": {"template": "commercial_use", "fee_wei": 2 * 10**15, "duration_s": 0, "active": True},
}


def test_works_are_asked_for_by_catalogue_and_a_conversation_is_deleted_by_id():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.raw_path.decode()))
        if request.method == "POST":
            assert json.loads(request.content) == {"k": 10, "catalogue": "works", "query": "spice"}
            return httpx.Response(200, json={"items": [WORK]})
        if request.url.raw_path.decode() == "/v1/chat/ui-license-1":
            return httpx.Response(204)
        return error(404, "no conversation 'gone'")

    with client_for(handler) as client:
        assert client.recommend(query="spice", catalogue="works") == [WORK]
        assert client.forget("ui-license-1") is None
        with pytest.raises(MuseError) as info:
            client.forget("gone")
    assert info.value.status == 404
    assert seen == [("POST", "/v1/recommend"), ("DELETE", "/v1/chat/ui-license-1"), ("DELETE", "/v1/chat/gone")]


def test_rows_show_the_creator_and_the_fee_and_not_offered_works_say_so():
    rows = _recommended_work_rows([WORK, {**WORK, "id": 8, "terms": None}])
    assert rows == [
        [7, "Saffron", "0xabc", "commercial_use · 0.002 ETH", "matches 'spice'"],
        [8, "Saffron", "0xabc", "not offered", "matches 'spice'"],
    ]


def test_the_summary_is_what_is_shown_for_approval():
    shown = _license_summary(
        [PendingCall(id="c1", tool="buy_license", args={"work_id": 7}, summary="Pays 0.002 ETH from your account")]
    )
    assert "`buy_license`: Pays 0.002 ETH from your account" in shown


@pytest.mark.parametrize(
    "events, outcome",
    [
        (
            [
                {"type": "step_finished", "id": "c1", "tool": "buy_license", "ok": True},
                {"type": "message", "content": "You now hold a license on work 7"},
            ],
            "You now hold a license on work 7",
        ),
        (
            [{"type": "message", "content": "first"}, {"type": "error", "message": "the ledger refused"}],
            "Error: the ledger refused",
        ),
        ([{"type": "token", "text": "x"}], ""),
    ],
)
def test_the_outcome_is_the_runs_last_word(events, outcome):
    assert _outcome([parse_event(event) for event in events]) == outcome
