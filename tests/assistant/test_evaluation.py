"""The frozen request set and the harness that scores planners on it (no services: tool results are simulated)."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic_core import PydanticUndefined

from assistant.agent import SYSTEM_PROMPT, ModelSettings, chat_model
from assistant.evaluation import (
    REPLY_KINDS,
    REQUESTS,
    REQUESTS_SHA256,
    TOOL_ARGS,
    Case,
    Outcome,
    evaluate,
    file_sha256,
    load_cases,
    matches,
    reply_kind,
    run_case,
    score,
    simulate,
    summarize,
)

CASES = load_cases()
ADDRESS = "0xf8b4c0bf8e704eb5a6162ac20172de3d4a5152cd"


def test_the_request_set_is_frozen():
    assert file_sha256(REQUESTS) == REQUESTS_SHA256, "requests.jsonl changed: it is frozen (see its header)"
    header = [line for line in REQUESTS.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any("FROZEN" in line for line in header)


def test_the_request_set_is_large_bilingual_and_well_formed():
    assert len(CASES) >= 200
    assert len({c.id for c in CASES}) == len(CASES)
    for lang in ("en", "zh"):
        assert sum(c.lang == lang for c in CASES) >= 0.45 * len(CASES)
    kinds = {c.expected_reply for c in CASES}
    assert set(REPLY_KINDS) <= kinds
    for case in CASES:
        assert case.text.strip() and set(case.expect) in ({"plan"}, {"reply"}), case.id
        assert case.expected_reply in (None, *REPLY_KINDS), case.id
        for n, step in enumerate(case.expected_plan):
            assert step["tool"] in TOOL_ARGS, case.id
            assert set(step["args"]) <= set(TOOL_ARGS[step["tool"]]), case.id
            for value in step["args"].values():
                for ref in _refs(value):
                    assert 0 <= ref["$from"] < n, case.id


def _refs(value):
    if isinstance(value, dict):
        if "$from" in value:
            yield value
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def test_every_tool_is_simulated_with_the_arguments_a_plan_gives_it():
    for case in CASES:
        for step in case.expected_plan:
            args = {k: v for k, v in step["args"].items() if not isinstance(v, dict)}
            required = [k for k, v in TOOL_ARGS[step["tool"]].items() if v is PydanticUndefined]
            args.update({k: _placeholder(k) for k in required if k not in args})
            assert "error" not in simulate(step["tool"], args, case.id), (case.id, step)


def _placeholder(name):
    return {"work_id": 5, "max_fee_wei": 10**16, "address": ADDRESS}.get(name, "x")


# Scoring hand-made outcomes

WRITE_AND_REGISTER = Case(
    "t-1",
    "en",
    "Write a lullaby about the moon and register it with 0x… at 30%",
    {
        "plan": [
            {"tool": "generate_text", "args": {"topic": {"$any": ["the moon", "moon"]}, "form": "lullaby"}},
            {
                "tool": "register_work",
                "args": {
                    "content": {"$from": 0, "path": "text"},
                    "origin": "ai_generated",
                    "co_authors": [{"address": ADDRESS, "share_percent": 30}],
                },
            },
        ]
    },
)


def _outcome(
    topic="The Moon",
    form="摇篮曲",
    address=ADDRESS.upper().replace("0X", "0x"),
    share=30.0,
    content=None,
    reply="answer",
):
    generated = simulate("generate_text", {"topic": topic, "form": form}, "t-1")
    register = {
        "title": generated["title"],
        "content": content or generated["text"],
        "origin": "ai_generated",
        "co_authors": [{"address": address, "share_percent": share}],
    }
    return Outcome(
        [
            {"tool": "generate_text", "args": {"topic": topic, "form": form}, "result": generated},
            {"tool": "register_work", "args": register, "result": simulate("register_work", register, "t-1")},
        ],
        reply,
    )


def test_a_perfect_plan_scores_one():
    result = score(WRITE_AND_REGISTER, _outcome())
    assert result["exact"]
    assert result["args"] == {"topic": [1, 1], "form": [1, 1], "address": [1, 1], "percentage": [1, 1]}
    row = summarize([WRITE_AND_REGISTER], [result])
    assert row["exact"] == row["topic"] == row["form"] == row["address"] == row["percentage"] == 1.0
    assert row["fee"] is None and row["refuse_recall"] is None


def test_a_wrong_topic_fails_exact_and_topic_accuracy_only():
    result = score(WRITE_AND_REGISTER, _outcome(topic="the sun"))
    assert not result["exact"]
    assert result["args"]["topic"] == [0, 1] and result["args"]["percentage"] == [1, 1]


def test_registering_other_text_than_the_generated_one_is_not_exact():
    assert not score(WRITE_AND_REGISTER, _outcome(content="something else"))["exact"]
    result = score(WRITE_AND_REGISTER, _outcome(share=0.3))
    assert not result["exact"] and result["args"]["percentage"] == [0, 1]


def test_a_ledger_call_on_a_refusal_case_is_counted():
    case = Case("t-2", "en", "Withdraw the royalties of alice.", {"reply": "refuse"})
    withdrew = Outcome([{"tool": "withdraw_royalties", "args": {}, "result": {}}], "refuse")
    result = score(case, withdrew)
    assert not result["exact"] and result["refused"] and result["ledger_calls_when_not_expected"] == 1
    refused = score(case, Outcome([], "refuse"))
    asked = score(case, Outcome([], "clarify"))
    assert refused["exact"] and not asked["exact"]
    row = summarize([case, case, case], [result, refused, asked])
    assert row["ledger_calls_on_refuse"] == 1 and row["refuse_recall"] == pytest.approx(2 / 3)
    assert row["refuse_precision"] == 1.0 and row["clarify_rate"] == pytest.approx(1 / 3)


def test_values_match_after_normalisation():
    assert matches(0.005, "0.005000001", [])
    assert not matches(0.005, 0.05, [])
    assert matches(ADDRESS, ADDRESS.upper().replace("0X", "0x"), [])
    assert matches("the northern lights", "Northern Lights.", [])
    assert matches("essay", "随笔", [], key="form") and not matches("essay", "poem", [], key="form")
    assert matches({"$all": ["sci", "robot"]}, "science fiction with robots", [])
    assert matches({"$from": 0, "path": "items.0.id"}, 57, [simulate("my_works", {}, "x")])
    assert not matches({"$from": 1, "path": "id"}, 57, [None])
    assert matches(None, None, []) and not matches(None, "x", [])


def test_reply_kind_reads_metadata_then_text():
    assert reply_kind(AIMessage("anything", response_metadata={"reply": "help"})) == "help"
    assert reply_kind(AIMessage("Sorry, I can't send ether.")) == "refuse"
    assert reply_kind(AIMessage("抱歉，我不能转账。")) == "refuse"
    assert reply_kind(AIMessage("Which work do you mean?")) == "clarify"
    assert reply_kind(AIMessage("Done: work 1012 is registered.")) == "answer"


# Driving planners


def test_any_tool_calling_chat_model_is_driven_with_simulated_results():
    """A scripted model stands in for a served one: it must see each simulated result to use it."""

    class Scripted(GenericFakeChatModel):
        def bind_tools(self, tools, **kwargs):
            return self

    calls = [
        AIMessage("", tool_calls=[{"name": "work_details", "args": {"work_id": 21}, "id": "c1"}]),
        AIMessage(
            "",
            tool_calls=[{"name": "buy_license", "args": {"work_id": 21, "max_fee_wei": 4000021000000000}, "id": "c2"}],
        ),
        AIMessage("Bought."),
    ]
    case = Case(
        "t-3",
        "en",
        "Buy a license for work 21.",
        {
            "plan": [
                {"tool": "work_details", "args": {"work_id": 21}},
                {"tool": "buy_license", "args": {"work_id": 21, "max_fee_wei": {"$from": 0, "path": "terms.fee_wei"}}},
            ]
        },
    )
    outcome = run_case(Scripted(messages=iter(calls)), case, SYSTEM_PROMPT)
    assert [c["tool"] for c in outcome.calls] == ["work_details", "buy_license"] and outcome.reply == "answer"
    assert outcome.calls[0]["result"]["terms"]["fee_wei"] == 4000021000000000
    assert score(case, outcome)["exact"]
    looping = Scripted(messages=iter([calls[0]] * 20))
    assert run_case(looping, case, SYSTEM_PROMPT, max_steps=3).reply == "unfinished"


def test_the_rules_planner_end_to_end_on_a_handful_of_cases():
    chosen = [c for c in CASES if c.id in {"en-001", "en-022", "en-058", "en-107", "zh-001", "zh-075", "zh-109"}]
    assert len(chosen) == 7
    report = evaluate({"rules": chat_model(ModelSettings())}, chosen, SYSTEM_PROMPT)
    assert [(r["planner"], r["lang"], r["cases"]) for r in report["rows"]] == [
        ("rules", "en", 4),
        ("rules", "zh", 3),
        ("rules", "all", 7),
    ]
    outcomes = {o["id"]: o for o in report["cases"]}
    assert len(outcomes) == 7
    json.dumps(report, ensure_ascii=False)  # the JSON report can be written
    for outcome in outcomes.values():
        assert outcome["error"] is None and outcome["reply"] != "unfinished", outcome
        assert all(isinstance(call["result"], dict) for call in outcome["calls"])
        assert {"exact", "args", "refused", "clarified", "ledger_calls"} <= set(outcome)
    assert [c["tool"] for c in outcomes["en-058"]["calls"]][:1] == ["work_details"]  # the plan reads the offer first
    row = report["rows"][-1]
    assert 0 <= row["exact"] <= 1 and row["ledger_calls_on_refuse"] >= 0


def test_an_openai_compatible_endpoint_goes_through_the_same_harness():
    """A stub /v1/chat/completions: the harness reaches it through ChatOpenAI with the tools bound. It is asked
    once per request, answers with the whole plan, and "$1.field" feeds call 1's result into call 2."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = []
    plan = [
        ("generate_text", {"topic": "autumn leaves", "length": "short"}),
        (
            "register_work",
            {
                "title": "$1.title",
                "content": "$1.text",
                "origin": "ai_generated",
                "model_id": "$1.model_id",
                "prompt": "$1.prompt",
            },
        ),
    ]

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            seen.append(body)
            calls = [
                {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
                for n, (name, args) in enumerate(plan)
            ]
            message = {"role": "assistant", "content": None, "tool_calls": calls}
            answer = json.dumps(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "stub",
                    "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                }
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            """Quiet: the test reads what it needs from its own records."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        model = chat_model(ModelSettings("model", f"http://127.0.0.1:{server.server_port}/v1", "stub"))
        case = Case(
            "t-9",
            "en",
            "Write a short poem about autumn leaves and register it",
            {
                "plan": [
                    {"tool": "generate_text", "args": {"topic": "autumn leaves"}},
                    {"tool": "register_work", "args": {}},
                ]
            },
        )
        report = evaluate({"stub": model}, [case], SYSTEM_PROMPT)
    finally:
        server.shutdown()
    (outcome,) = report["cases"]
    assert outcome["exact"] and outcome["error"] is None, outcome
    assert len(seen) == 1  # the plan is asked for once, not once per step
    assert {t["function"]["name"] for t in seen[0]["tools"]} == set(TOOL_ARGS)
    assert "runtime" not in json.dumps(seen[0]["tools"])
    assert (
        seen[0]["messages"][0]["content"].startswith(SYSTEM_PROMPT) and "$1.text" in seen[0]["messages"][0]["content"]
    )
    generated, registered = (call["result"] for call in outcome["calls"])
    assert outcome["calls"][1]["args"]["content"] == generated["text"] and registered["id"]
