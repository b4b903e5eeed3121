"""Grammar builders (models/text/grammar.py) and the per-row masks, without the generation loop."""

import json
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoTokenizer

from core.paths import BUNDLED_TEXT_MODEL
from models.planner.train_config import TrainConfig as PlannerTrainConfig
from models.text.grammar import (
    MAX_TOOL_CALLS,
    GrammarError,
    json_object_grammar,
    json_schema_grammar,
    optional_tool_call_grammar,
    tool_call_grammar,
)
from models.text.grammar_mask import GrammarMasks, unpack_bitmask
from models.text.params import MAX_GRAMMAR_CHARS

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "generate_text",
            "parameters": {
                "type": "object",
                "properties": {"topic": {"type": "string"}, "form": {"enum": ["poem", "lullaby"]}},
                "required": ["topic", "form"],
                "additionalProperties": False,
            },
        },
    },
    {"type": "function", "function": {"name": "ping", "description": "no parameters"}},
]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(BUNDLED_TEXT_MODEL)


@pytest.fixture(scope="module")
def masks(tokenizer):
    return GrammarMasks(tokenizer, vocab_size=len(tokenizer) + 52)  # logits wider than the vocabulary


def accepts(masks: GrammarMasks, grammar: str, text: str) -> bool:
    """Whether ``text`` is a complete sentence of ``grammar``."""
    matcher = masks.matcher(grammar)
    return matcher.consume_tokens(masks.tokenizer.tokenize_str(text)) and matcher.is_accepting()


def test_json_is_compact_and_follows_the_schema(masks):
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "mood": {"enum": ["merry", "sad"]}},
        "required": ["n", "mood"],
        "additionalProperties": False,
    }
    grammar = json_schema_grammar(schema)
    assert accepts(masks, grammar, '{"n": 3, "mood": "sad"}')
    assert not accepts(masks, grammar, '{"n":3,"mood":"sad"}')  # json.dumps spacing only
    assert not accepts(masks, grammar, '{"n": 3, "mood": "glad"}')
    assert not accepts(masks, grammar, '{"n": 3.5, "mood": "sad"}')
    assert not accepts(masks, grammar, '{"n": 3}')
    assert accepts(masks, json_object_grammar(), '{"any": [1, {"x": null}]}')
    assert not accepts(masks, json_object_grammar(), "[1]")


def test_hermes_calls_required_and_named(masks):
    one = '<tool_call>{"name": "generate_text", "arguments": {"topic": "moon", "form": "poem"}}</tool_call>'
    ping = '<tool_call>{"name": "ping", "arguments": {}}</tool_call>'
    required = tool_call_grammar(TOOLS, "hermes")
    assert accepts(masks, required, one)
    assert accepts(masks, required, one + "\n" + ping)
    assert accepts(masks, required, "\n".join([ping] * MAX_TOOL_CALLS))
    assert not accepts(masks, required, "\n".join([ping] * (MAX_TOOL_CALLS + 1)))
    assert not accepts(masks, required, "Sure! " + one)
    assert not accepts(masks, required, one.replace('"poem"', '"ode"'))
    assert not accepts(masks, tool_call_grammar(TOOLS, "hermes", parallel=False), one + "\n" + ping)
    named = tool_call_grammar(TOOLS, "hermes", name="ping")
    assert accepts(masks, named, ping)
    assert not accepts(masks, named, one)
    assert not accepts(masks, named, ping + "\n" + ping)


def test_optional_calls_are_plain_text_or_calls_to_strict_schemas(masks):
    """``tool_choice: auto`` with a strict tool: text the parser reads as content, or calls whose arguments
    follow the strict tools' schemas (any object for the others)."""
    tools = [{**TOOLS[0], "function": {**TOOLS[0]["function"], "strict": True}}, TOOLS[1]]
    one = '<tool_call>{"name": "generate_text", "arguments": {"topic": "moon", "form": "poem"}}</tool_call>'
    hermes = optional_tool_call_grammar(tools, "hermes")
    assert accepts(masks, hermes, "What should the poem be about?")
    assert accepts(masks, hermes, one)
    assert accepts(masks, hermes, one + one)  # calls may follow each other directly, as muse-planner writes them
    assert accepts(masks, hermes, '<tool_call>{"name": "ping", "arguments": {"free": [1]}}</tool_call>')
    assert not accepts(masks, hermes, one.replace('"poem"', '"ode"'))
    assert not accepts(masks, hermes, "Sure! " + one)  # no call hidden after text
    assert not accepts(masks, optional_tool_call_grammar(tools, "hermes", parallel=False), one + one)
    llama = optional_tool_call_grammar(tools, "llama3_json")
    assert accepts(masks, llama, "Which form?")
    assert accepts(masks, llama, '{"name": "generate_text", "parameters": {"topic": "moon", "form": "lullaby"}}')
    assert not accepts(masks, llama, '{"name": "generate_text", "parameters": {"topic": "moon"}}')
    assert not accepts(masks, llama, ' {"not": "a call"}')


def test_added_tokens_that_are_not_special_are_text():
    """muse-planner writes ``<tool_call>`` and ``{"name": "generate_text", "arguments": {`` as single added
    tokens: a grammar that spells them out must take those tokens, not only their pieces."""
    planner = AutoTokenizer.from_pretrained(PlannerTrainConfig().out_dir)
    masks = GrammarMasks(planner, vocab_size=len(planner))
    call = '<tool_call>{"name": "generate_text", "arguments": {"topic": "the moon", "form": "poem"}}</tool_call>'
    ids = planner.encode(call, add_special_tokens=False)
    assert planner.convert_ids_to_tokens(ids[:2]) == ["<tool_call>", '{"name": "generate_text", "arguments": {']
    matcher = masks.matcher(tool_call_grammar(TOOLS, "hermes"))
    assert matcher.consume_tokens(ids) and matcher.is_accepting()
    eos = masks.matcher(json_object_grammar())  # special tokens stay special: EOS is no text
    assert not eos.consume_tokens([planner.eos_token_id])


def test_llama3_json_calls(masks):
    one = '{"name": "generate_text", "parameters": {"topic": "moon", "form": "lullaby"}}'
    ping = '{"name": "ping", "parameters": {}}'
    assert accepts(masks, tool_call_grammar(TOOLS, "llama3_json"), one + "; " + ping)
    named = tool_call_grammar(TOOLS, "llama3_json", "generate_text")
    assert accepts(masks, named, one)
    assert not accepts(masks, named, ping)
    assert not accepts(masks, named, one.replace("parameters", "arguments"))


def test_schema_refs_resolve_inside_each_tool(masks):
    tools = [
        {
            "type": "function",
            "function": {
                "name": f"t{i}",
                "parameters": {
                    "type": "object",
                    "properties": {"x": {"$ref": "#/$defs/X"}},
                    "required": ["x"],
                    "$defs": {"X": {"enum": [f"v{i}"]}},
                },
            },
        }
        for i in range(2)
    ]
    grammar = tool_call_grammar(tools, "hermes")
    assert accepts(masks, grammar, '<tool_call>{"name": "t1", "arguments": {"x": "v1"}}</tool_call>')
    assert not accepts(masks, grammar, '<tool_call>{"name": "t1", "arguments": {"x": "v0"}}</tool_call>')


@pytest.mark.parametrize(
    "schema, message",
    [
        ({"type": "foo"}, "Invalid type"),
        ({"not": {"type": "string"}}, "Unimplemented"),
        ({"type": "string", "pattern": "(("}, "regex"),
        ({"$ref": "#/$defs/missing"}, "does not exist"),
        ({"type": "integer", "minimum": "zero"}, "minimum"),
        ("not a dict", "must be a JSON object"),
    ],
)
def test_schemas_that_cannot_compile_are_refused(schema, message):
    with pytest.raises(GrammarError, match=message):
        json_schema_grammar(schema)


@pytest.mark.parametrize(
    "tools, style, name, message",
    [
        ([], "hermes", None, "non-empty"),
        ([{"type": "function"}], "hermes", None, "tools\\[0\\] must be"),
        ([{"type": "function", "function": {"name": "has space"}}], "hermes", None, "letters, digits"),
        ([TOOLS[1], TOOLS[1]], "hermes", None, "two tools are named 'ping'"),
        (TOOLS, "hermes", "missing", "not one of the tools"),
        (TOOLS, "xml", None, "style must be one of"),
        (
            [{"type": "function", "function": {"name": "f", "parameters": {"type": "nope"}}}],
            "hermes",
            None,
            "Invalid type",
        ),
    ],
)
def test_bad_tool_lists_are_refused(tools, style, name, message):
    with pytest.raises(GrammarError, match=message):
        tool_call_grammar(tools, style, name)


def test_grammars_over_the_size_limit_are_refused():
    schema = {"enum": ["x" * 1000 + str(i) for i in range(MAX_GRAMMAR_CHARS // 1000 + 1)]}
    with pytest.raises(GrammarError, match="limit"):
        json_schema_grammar(schema)


def test_a_grammar_llguidance_refuses_is_a_value_error(masks):
    with pytest.raises(ValueError, match="refused"):
        masks.matcher("start: undefined_rule")
    with pytest.raises(ValueError, match="refused"):
        masks.matcher(json.dumps({"grammars": [{"lark_grammar": "start: @nowhere"}]}))


def test_unpack_bitmask_reads_bit_t_mod_32_of_word_t_div_32():
    bitmask = torch.tensor([[0b101, -(2**31)]], dtype=torch.int32)  # tokens 0, 2 and 63
    assert unpack_bitmask(bitmask, 64)[0].nonzero().flatten().tolist() == [0, 2, 63]
    assert unpack_bitmask(bitmask, 40).shape == (1, 40)


def request(request_id: str, generated: list[int]):
    return SimpleNamespace(
        state=SimpleNamespace(
            request_id=request_id, generated_tokens=generated, initial_tokens=[5, 6], _true_initial_tokens=0
        )
    )


def step(masks: GrammarMasks, requests: list, width: int) -> torch.Tensor:
    flags = masks.prepare_tensor_args(requests)
    scores = masks(torch.zeros(len(requests), width), flags)
    assert flags.tolist() == [int(r.state.request_id.startswith("g")) for r in requests]
    return torch.isfinite(scores)


def test_masks_touch_only_constrained_rows_and_follow_the_tokens(masks, tokenizer):
    width = masks.tokenizer.vocab_size
    grammar = json_schema_grammar({"enum": ["ab"]})
    masks.attach("g1", masks.matcher(grammar))
    try:
        free, constrained = request("free", [7, 8]), request("g1", [])
        allowed = step(masks, [free, constrained], width)
        assert allowed[0].all()  # the free row is untouched
        assert 0 < allowed[1].sum() < 10 and not allowed[1, len(tokenizer) :].any()  # padding ids never
        quote = tokenizer('"')["input_ids"]
        assert allowed[1, quote[0]]
        constrained.state.generated_tokens = tokenizer('"ab"')["input_ids"]  # the grammar is complete
        allowed = step(masks, [constrained, free], width)
        assert allowed[0].nonzero().flatten().tolist() == [tokenizer.eos_token_id]
    finally:
        masks.detach("g1")
    assert masks.active == 0


def test_a_token_outside_the_grammar_leaves_only_eos(masks, tokenizer):
    masks.attach("g2", masks.matcher(json_object_grammar()))
    try:
        off_grammar = tokenizer("ROMEO")["input_ids"]
        allowed = step(masks, [request("g2", off_grammar)], masks.tokenizer.vocab_size)
        assert allowed[0].nonzero().flatten().tolist() == [tokenizer.eos_token_id]
    finally:
        masks.detach("g2")


def test_tokens_moved_into_the_prompt_by_a_soft_reset_still_count(masks, tokenizer):
    """transformers' offloading may restart a request with its generated tokens appended to the prompt."""
    masks.attach("g3", masks.matcher(json_schema_grammar({"enum": ["ab"]})))
    try:
        prompt = [5, 6]
        moved = SimpleNamespace(
            state=SimpleNamespace(
                request_id="g3",
                generated_tokens=[],
                initial_tokens=prompt + tokenizer('"ab"')["input_ids"],
                _true_initial_tokens=len(prompt),
            )
        )
        allowed = step(masks, [moved], masks.tokenizer.vocab_size)
        assert allowed[0].nonzero().flatten().tolist() == [tokenizer.eos_token_id]
    finally:
        masks.detach("g3")
