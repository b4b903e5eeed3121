"""The request -> plan grammar: deterministic, and every target is a valid plan for the assistant's tools."""

import re

import pytest

from assistant.tools import TOOLS

from models.planner.corpus import SCENARIOS, generate
from models.planner.replies import is_reply, parse_calls, render_calls

TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}
REF = re.compile(r"^\$(\d+)\.(.+)$")
# What each tool's JSON result holds that a later call may refer to.
RESULT_PATHS = {
    "generate_text": {"title", "text", "prompt", "model_id"},
    "register_work": {"id"},
    "my_works": {"items.0.id"},
    "work_details": {"terms.fee_wei"},
}
INT_ARGS = {"work_id", "max_fee_wei"}


@pytest.fixture(scope="module")
def examples():
    return list(generate(3000, seed=11)) + list(generate(1000, seed=12, split="heldout"))


def test_same_seed_same_corpus_and_seeds_differ():
    assert list(generate(300, seed=5)) == list(generate(300, seed=5))
    assert list(generate(300, seed=5)) != list(generate(300, seed=6))
    assert list(generate(300, seed=5)) != list(generate(300, seed=5, split="heldout"))


def test_targets_are_tool_calls_valid_for_the_tools_or_known_replies(examples):
    calls_seen = set()
    for example in examples:
        calls = parse_calls(example.target)
        if calls is None:
            assert is_reply(example.target), example
            continue
        assert render_calls(calls) == example.target
        for index, (name, args) in enumerate(calls, start=1):
            calls_seen.add(name)
            schema = TOOLS_BY_NAME[name].tool_call_schema
            assert set(args) <= set(schema.model_fields), (name, args)
            concrete = {}
            for key, value in args.items():
                ref = REF.match(value) if isinstance(value, str) else None
                if ref:
                    step = int(ref.group(1))
                    assert 1 <= step < index, example  # refers to an earlier call of the same plan
                    assert ref.group(2) in RESULT_PATHS[calls[step - 1][0]], example
                    value = 1 if key in INT_ARGS else "x"
                concrete[key] = value
            schema.model_validate(concrete)
    assert calls_seen == set(TOOLS_BY_NAME)


def test_every_scenario_in_both_languages(examples):
    seen = {(e.kind, e.language) for e in examples}
    assert {(kind, lang) for kind in SCENARIOS for lang in ("en", "zh")} <= seen


def test_questions_ask_in_the_requests_language(examples):
    for example in examples:
        if example.kind == "clarify":
            zh_reply = bool(re.search(r"[\u4e00-\u9fff]", example.target))
            assert zh_reply == (example.language == "zh"), example


def test_generated_topics_are_copied_from_the_request(examples):
    for example in examples:
        for name, args in parse_calls(example.target) or []:
            if name == "generate_text":
                assert args["topic"] in example.request
                assert args["language"] == example.language


def test_heldout_topics_never_occur_in_training():
    def topics(split, seed):
        return {
            args["topic"]
            for e in generate(4000, seed, split)
            for name, args in parse_calls(e.target) or []
            if name == "generate_text"
        }

    assert not topics("train", 0) & topics("heldout", 1)


def test_invented_spans_are_copied_in_training_and_never_held_out():
    """Topics nobody could memorise (invented words, random characters) appear only in the training split, and
    the plan copies them exactly as the request writes them."""
    import random

    from models.planner.corpus import _Grammar

    assert not any(_Grammar(random.Random(i), "heldout").inventing() for i in range(200))
    train = _Grammar(random.Random(0), "train")
    assert any(train.inventing() for _ in range(50))
    copied = 0
    for example in generate(400, seed=5):
        calls = parse_calls(example.target) or []
        for name, args in calls:
            if name == "generate_text":
                assert args["topic"] in example.request, (example.request, args)
                copied += 1
    assert copied > 20
