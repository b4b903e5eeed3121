"""Issue 13, the assistant's works tools: the rules read requests for works on offer or like the caller's, and
registrations declared as derivatives (English and Chinese); the replies list the works and explain a near-copy;
on real in-process services a near-copy refusal is followed by its registration as a derivative, whose approval
states the share owed to the parent. The works recommendation through ``muse serve`` is in
tests/integration/test_chat_works_http.py."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from assistant.chat import Decision
from assistant.intents import Plan, Reply, read_request
from assistant.planner import Planner
from assistant.replies import done, reason_zh, summary
from ledger.metadata import Metadata
from ledger.types import Template, Terms
from tests.assistant.conftest import collect

# (request, expected recommend_works arguments): all of them, so that an extra one fails the test.
WORKS_REQUESTS = [
    ("Recommend me poems I could license", {"form": "poem", "licensable": True}),
    ("Which poems can I license?", {"form": "poem", "licensable": True}),
    ("What can I license?", {"licensable": True}),
    ("Are there any licensable works?", {"licensable": True}),
    ("Show me stories that are available to license", {"form": "story", "licensable": True}),
    (
        "Recommend 3 poems about the sea that I can license",
        {"form": "poem", "licensable": True, "k": 3, "query": "sea"},
    ),
    ("Find works similar to mine", {"like_mine": True}),
    ("Recommend works like mine", {"like_mine": True}),
    ("Suggest poems similar to my own works", {"form": "poem", "like_mine": True}),
    ("Recommend some poems", {"form": "poem"}),
    ("有什么可以授权的诗？", {"form": "poem", "licensable": True}),
    ("哪些作品可以授权？", {"licensable": True}),
    ("推荐几首可以购买授权的诗", {"form": "poem", "licensable": True}),
    ("找和我的作品相似的作品", {"like_mine": True}),
    ("给我推荐 3 件和我的作品类似的作品", {"like_mine": True, "k": 3}),
    ("推荐几首关于大海的诗", {"form": "poem", "query": "大海"}),
]

# Requests that must keep their old meaning (not a works recommendation): their first tool, or None for the
# question they get.
NOT_WORKS = [
    ("Offer my poems for sale at 1 ETH for commercial use", None),  # which work? (selling, not shopping)
    ("Offer my latest poem for sale at 1 ETH for commercial use", "my_works"),
    ("Recommend 5 movies like Toy Story", "recommend"),
    ("Show my works", "my_works"),
    ("Buy a license for work 4", "work_details"),
    ("作品5可以商用吗？", "work_details"),
    ("显示我的作品", "my_works"),
]

DERIVATIVES = [
    ('Register "Salt wind at the pier" as a derivative of work 3', [3]),
    ('Register "Tide" as a remix of works 3 and 5', [3, 5]),
    ("登记这首诗为作品3的衍生作品：「海风吹过码头」", [3]),
    ("把「春雨」登记为作品 2 和 4 的衍生作品", [2, 4]),
    ('Register "Salt wind" as mine. Register it as a derivative of work 7', [7]),  # one registration, amended
]


@pytest.mark.parametrize(("request_text", "args"), WORKS_REQUESTS, ids=[r[0] for r in WORKS_REQUESTS])
def test_works_requests_plan_one_recommendation(request_text, args):
    plan = read_request(request_text)
    assert isinstance(plan, Plan), plan
    assert [(s.tool, s.args) for s in plan.steps] == [("recommend_works", args)]


@pytest.mark.parametrize(("request_text", "tool"), NOT_WORKS)
def test_other_requests_keep_their_meaning(request_text, tool):
    plan = read_request(request_text)
    if tool is None:
        assert isinstance(plan, Reply) and plan.kind == "clarify" and "Which work" in plan.text, plan
    else:
        assert isinstance(plan, Plan) and plan.steps[0].tool == tool, plan


def test_each_text_written_is_registered_once():
    plan = read_request(
        "Write a poem about rain and register it, then write a poem about snow and register it as a "
        "derivative of work 2"
    )
    assert [(s.tool, s.args.get("parents")) for s in plan.steps] == [
        ("generate_text", None),
        ("register_work", None),
        ("generate_text", None),
        ("register_work", [2]),
    ]


@pytest.mark.parametrize(("request_text", "parents"), DERIVATIVES)
def test_derivatives_declare_their_parents(request_text, parents):
    plan = read_request(request_text)
    assert isinstance(plan, Plan), plan
    (step,) = plan.steps
    assert step.tool == "register_work" and step.args["parents"] == parents and step.args["content"]


def test_a_derivative_without_its_text_asks_for_it_and_the_answer_completes_it():
    reply = read_request("Register it as a derivative of work 3")
    assert isinstance(reply, Reply) and reply.kind == "clarify"
    planner = Planner()
    messages = [HumanMessage("Register it as a derivative of work 3")]
    messages += [planner.invoke(messages), HumanMessage('"Salt wind at the pier"')]
    (call,) = planner.invoke(messages).tool_calls
    assert call["args"]["parents"] == [3] and call["args"]["content"] == "Salt wind at the pier"


WORK = {
    "id": 3,
    "title": "Harbour",
    "creator": "0x" + "ab" * 20,
    "media_type": "text/plain",
    "fee_eth": "0.01",
    "template": "commercial_remix",
    "reason": "new on Muse, similar to Pier",
}


def test_works_answers_list_id_title_creator_fee_and_reason_in_the_request_language():
    unpriced = {**WORK, "id": 4, "title": "Dunes", "fee_eth": None, "template": None, "reason": "popular on Muse"}
    value = {"query": None, "form": "poem", "licensable": False, "like_mine": True, "items": [WORK, unpriced]}
    english, chinese = done("recommend_works", value, "en"), done("recommend_works", value, "zh")
    assert english.splitlines() == [
        "Works like yours:",
        f'- work 3 "Harbour" by {WORK["creator"]}: 0.01 ETH (commercial_remix); new on Muse, similar to Pier',
        f'- work 4 "Dunes" by {WORK["creator"]}: no license on offer; popular on Muse',
    ]
    assert chinese.splitlines()[0] == "和你的作品相似的作品："
    assert f"作品 3《Harbour》，创作者 {WORK['creator']}：0.01 ETH（commercial_remix）" in chinese
    assert "暂无授权出售" in chinese and "Muse 上的新作品，与《Pier》相似" in chinese
    licensable = done("recommend_works", {**value, "like_mine": False, "licensable": True, "items": []}, "en")
    assert licensable == "Works you could license: none"
    assert reason_zh("matches 'poem sea'") == "与“poem sea”相符" and reason_zh("odd reason") == "odd reason"


def test_a_near_copy_reply_names_the_work_and_how_to_register_a_derivative():
    refused = {
        "tool": "register_work",
        "error": "near-copy",
        "value": {"error": "this content is a near-copy of work 3 ...", "work_id": 3, "similarity": 0.82},
    }
    english = summary(read_request('Register "x y" as mine'), [refused])
    chinese = summary(read_request("登记这首诗：“春天的雨”"), [refused])
    assert "near-copy of work 3 (82% alike)" in english and '"register it as a derivative of work 3"' in english
    assert "作品 3" in chinese and "82%" in chinese and "“登记为作品3的衍生作品”" in chinese
    other = {"tool": "register_work", "error": "title too long", "value": {"error": "title too long"}}
    assert "did not go through: title too long" in summary(read_request('Register "x y" as mine'), [other])


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


VERSE = "Salt wind at the pier, grey gulls over the harbour wall, and the boats asleep till morning."


def test_a_near_copy_then_registered_as_a_derivative_through_approval(world):
    """Refused as a near-copy, the reply says how; "register it as a derivative of work N" then registers the same
    text with that parent, after an approval that states the parent's revenue share (in the request's language)."""
    author, copier = world.context("harbour-poet"), world.context("harbour-remixer")
    work = world.ledger.register(
        author.credentials, hashlib.sha256(VERSE.encode()).hexdigest(), Metadata("Harbour"), text=VERSE
    )
    world.ledger.set_terms(author.credentials, work["id"], Terms(Template.COMMERCIAL_REMIX, rev_share_bps=1_500))
    copy = VERSE.upper()

    async def scenario():
        assistant = await world.assistant()
        await collect(assistant.send(copier, "remix", f'Register this as mine: "{copy}"'))
        refused = await collect(assistant.decide(copier, "remix", Decision("approve")))
        assert f"register it as a derivative of work {work['id']}" in refused[-1]["content"]

        unlicensed = await collect(assistant.send(copier, "remix", f"Register it as a derivative of work {work['id']}"))
        (pending,) = unlicensed[-1]["pending"]
        assert pending["args"]["parents"] == [work["id"]] and pending["args"]["content"] == copy
        assert "You hold no license on work" in pending["summary"] and "will refuse" in pending["summary"]
        await collect(assistant.decide(copier, "remix", Decision("reject")))

        world.ledger.buy_license(copier.credentials, work["id"])
        waiting = await collect(assistant.send(copier, "zh", f"登记这首诗为作品{work['id']}的衍生作品：「{copy}」"))
        (pending,) = waiting[-1]["pending"]
        assert f"作品 {work['id']}《Harbour》的衍生作品" in pending["summary"] and "15%" in pending["summary"]
        registered = await collect(assistant.decide(copier, "zh", Decision("approve")))
        (finished,) = of_type(registered, "step_finished")
        assert finished["ok"], finished
        await assistant.close()
        return finished["result"]

    derivative = asyncio.run(scenario())
    assert derivative["parents"] == [{"work_id": work["id"], "share_bps": 1_500}]
    assert world.ledger.works(owner=copier.user.address)["total"] == 1


def test_a_new_request_after_a_near_copy_is_read_on_its_own():
    planner = Planner()
    messages = [
        HumanMessage('Register "x y" as mine'),
        AIMessage("near-copy of work 3", response_metadata={"near_copy": 3}),
        HumanMessage("Show my works"),
    ]
    (call,) = planner.invoke(messages).tool_calls
    assert call["name"] == "my_works"
