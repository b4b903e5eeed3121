"""Per-request tool schemas whose copy arguments admit only spans of the request (assistant/copy_spans.py),
checked with jsonschema and, as the server applies them, with llguidance and muse-planner's tokenizer."""

from __future__ import annotations

import json

import jsonschema
import pytest
from transformers import AutoTokenizer

from assistant.copy_spans import MAX_PATTERN_CHARS, MAX_SPAN_WORDS, request_tools, span_pattern
from assistant.plan_sources import ModelPlanSource
from deployments.api.tool_calling import MAX_SCHEMA_BYTES, bounded_schema
from models.planner.train_config import TrainConfig
from models.text.grammar import optional_tool_call_grammar
from models.text.grammar_mask import GrammarMasks

ALICE = "0x" + "a11ce" * 8
BOB = "0x" + "b0b" * 13 + "b"


def parameters(request: str) -> dict[str, dict]:
    return {t["function"]["name"]: t["function"]["parameters"] for t in request_tools(request)}


def valid(schema: dict, value: object) -> bool:
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return False
    return True


def test_a_topic_is_a_span_of_whole_words_of_the_request():
    topic = parameters('Write a lullaby about "the moon", please.')["generate_text"]["properties"]["topic"]
    for span in ("the moon", "moon", "lullaby about", '"the moon",', "please", "Write a lullaby"):
        assert valid(topic, span), span
    for other in ("the sun", "the mo", "moon please", "a lullaby about the moon", ""):
        assert not valid(topic, other), other


def test_a_chinese_topic_is_a_span_of_characters():
    topic = parameters("写一首关于大海的诗，谢谢")["generate_text"]["properties"]["topic"]
    assert valid(topic, "大海") and valid(topic, "关于大海的诗")
    assert not valid(topic, "月亮") and not valid(topic, "大海，诗")


def test_spans_are_bounded_and_a_long_request_keeps_a_bounded_pattern():
    words = [f"w{i}" for i in range(40)]
    topic = parameters(" ".join(words))["generate_text"]["properties"]["topic"]
    assert valid(topic, " ".join(words[3 : 3 + MAX_SPAN_WORDS]))
    assert not valid(topic, " ".join(words[3 : 4 + MAX_SPAN_WORDS]))
    long_request = " ".join(f"word{i}" for i in range(600))
    pattern = span_pattern(long_request, "en")
    assert pattern is None or len(pattern) <= MAX_PATTERN_CHARS
    for tool in request_tools(long_request):  # within what the server takes, constrained or not
        assert len(json.dumps(tool["function"]["parameters"], ensure_ascii=False).encode()) <= MAX_SCHEMA_BYTES


def test_texts_are_quoted_passages_spans_or_references():
    quote = "the wind remembers every name / a thousand birds and one small word"
    register = parameters(f'Register “{quote}” as mine, titled "Small Word"')["register_work"]["properties"]
    assert valid(register["content"], quote)  # longer than a span: a quoted passage
    assert valid(register["content"], "$1.text")
    assert not valid(register["content"], quote + " again")
    assert valid(register["title"], "Small Word")
    assert valid(register["title"], "the wind remembers every name /…")  # the start of a quote, shortened
    assert valid(register["title"], "$1.title")
    assert not valid(register["title"], "A Different Title")


def test_addresses_come_from_the_request_and_other_arguments_may_refer_to_earlier_calls():
    tools = parameters(f"Grant {ALICE} a license on work 5 and check that {BOB} holds one")
    assert valid(tools["grant_license"]["properties"]["address"], ALICE)
    assert not valid(tools["grant_license"]["properties"]["address"], "0x" + "c" * 40)
    assert valid(tools["verify_license"]["properties"]["holder"], "me")
    co_author = tools["register_work"]["properties"]["co_authors"]
    assert valid(co_author, [{"address": BOB, "share_percent": 30}])
    assert not valid(co_author, [{"address": "0x" + "c" * 40, "share_percent": 30}])
    work_id = tools["buy_license"]["properties"]["work_id"]
    assert valid(work_id, 5) and valid(work_id, "$1.items.0.id") and not valid(work_id, "five")
    without = parameters("Grant a license on work 5")["grant_license"]["properties"]["address"]
    assert valid(without, "0x" + "c" * 40)  # no address to copy: the tool's own schema stands


def test_work_ids_are_the_requests_whole_numbers_or_references():
    tools = parameters(f"Set work #21 to commercial use for 0.02 ETH, 30 days, and grant {ALICE} work 7.")
    for tool in ("set_license_terms", "grant_license", "buy_license", "work_details"):
        work_id = tools[tool]["properties"]["work_id"]
        assert valid(work_id, 21) and valid(work_id, 7) and valid(work_id, 30) and valid(work_id, "$1.id")
        assert not valid(work_id, 22) and not valid(work_id, 2) and not valid(work_id, 0), tool
    earnings = tools["my_earnings"]["properties"]["work_id"]
    assert valid(earnings, 21) and valid(earnings, None) and not valid(earnings, 5)
    assert valid(parameters("作品21可以商用吗？")["work_details"]["properties"]["work_id"], 21)
    named = parameters("Buy a license for my latest work")["buy_license"]["properties"]["work_id"]
    assert valid(named, 5)  # no number to copy: the tool's own schema stands


def test_percentages_written_with_a_percent_sign_are_the_requests_own():
    tools = parameters(f"Register it with {ALICE} at 30% and let derivatives owe me 12.5 percent")
    share = tools["register_work"]["properties"]["co_authors"]
    assert valid(share, [{"address": ALICE, "share_percent": 30}]) and valid(
        share, [{"address": ALICE, "share_percent": 30.0}]
    )
    assert not valid(share, [{"address": ALICE, "share_percent": 11.0}])
    rev_share = tools["set_license_terms"]["properties"]["rev_share_percent"]
    assert valid(rev_share, 12.5) and valid(rev_share, 30) and not valid(rev_share, 20)
    in_words = parameters(f"Register it with {ALICE} getting thirty percent")["register_work"]["properties"]
    assert valid(in_words["co_authors"], [{"address": ALICE, "share_percent": 30.0}])  # words: left free
    assert valid(in_words["co_authors"], [{"address": ALICE, "share_percent": 11.0}])


def test_the_recommend_arguments_keep_the_planners_order():
    assert list(parameters("Movies like Heat")["recommend"]["properties"]) == ["k", "query", "like_item"]


@pytest.fixture(scope="module")
def planner_masks():
    tokenizer = AutoTokenizer.from_pretrained(TrainConfig().out_dir)
    return tokenizer, GrammarMasks(tokenizer, len(tokenizer))


LULLABY = [
    ("generate_text", {"topic": "the moon", "form": "lullaby"}),
    ("register_work", {"title": "$1.title", "content": "$1.text", "origin": "ai_generated"}),
]
SHARED = {"title": "low tide", "content": "low tide", "origin": "human"}
BUY = [("work_details", {"work_id": 21}), ("buy_license", {"work_id": 21, "max_fee_wei": "$1.terms.fee_wei"})]


@pytest.mark.parametrize(
    "request_text, plan, guessed",
    [
        (
            "Write a lullaby about the moon and register it",
            LULLABY,
            [("generate_text", {**LULLABY[0][1], "topic": "autumn"}), LULLABY[1]],
        ),
        (
            "写一首关于大海的诗",
            [("generate_text", {"topic": "大海", "form": "poem", "language": "zh"})],
            [("generate_text", {"topic": "秋天", "form": "poem", "language": "zh"})],
        ),
        ("Buy a license for work 21.", BUY, [("work_details", {"work_id": 22}), BUY[1]]),
        (
            f"Register the text 'low tide' with my co-author {ALICE} getting 30% of the royalties",
            [("register_work", {**SHARED, "co_authors": [{"address": ALICE, "share_percent": 30}]})],
            [("register_work", {**SHARED, "co_authors": [{"address": ALICE, "share_percent": 11}]})],
        ),
    ],
)
def test_the_server_grammar_admits_the_plan_and_not_a_guessed_value(planner_masks, request_text, plan, guessed):
    """As the server compiles it (bounded, strict under auto), for muse-planner's tokens: the request's plan
    passes; the same plan with a topic, work id or share that is not in the request does not; a plain reply still
    passes."""
    tokenizer, masks = planner_masks
    grammar = optional_tool_call_grammar([bounded_schema(t) for t in request_tools(request_text)], "hermes")

    def accepted(text: str) -> bool:
        matcher = masks.matcher(grammar)
        return matcher.consume_tokens(tokenizer.encode(text, add_special_tokens=False)) and matcher.is_accepting()

    def written(steps: list) -> str:
        return "".join(
            f"<tool_call>{json.dumps({'name': n, 'arguments': a}, ensure_ascii=False)}</tool_call>" for n, a in steps
        )

    assert accepted(written(plan))
    assert not accepted(written(guessed))
    assert accepted("What should the poem be about?")


def test_the_model_source_binds_the_request_tools_only_when_asked():
    from langchain_openai import ChatOpenAI

    endpoint = ChatOpenAI(base_url="http://127.0.0.1:9/v1", model="muse-planner", api_key="unused")
    request = "Write a haiku about rain"
    bound = ModelPlanSource(endpoint, "system", copy_spans=True)._bound(request)
    tools = bound.kwargs["tools"]
    assert all(t["function"]["strict"] for t in tools)
    assert tools == request_tools(request)
    free = ModelPlanSource(endpoint, "system")._bound(request).kwargs["tools"]
    assert not any(t["function"].get("strict") for t in free)
