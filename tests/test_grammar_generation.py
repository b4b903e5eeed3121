"""Grammar-constrained requests through TextGenerator with the bundled model (a tiny Shakespeare Llama that has
never seen JSON), sampled at temperature 1.0: whatever it would say, the grammar shapes it."""

import asyncio
import json

import jsonschema
import pytest

from models.text.grammar import MAX_TOOL_CALLS, json_object_grammar, json_schema_grammar, tool_call_grammar
from models.text.params import GenerationParams

SEEDS = range(4)
PROMPT = "ROMEO:\n"

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 16},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "mood": {"enum": ["merry", "sad", "wroth"]},
        "acts": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 5}, "maxItems": 3},
    },
    "required": ["name", "age", "mood"],
    "additionalProperties": False,
}
# Strings are bounded: this model never closes a free string by itself (it would run to max_new_tokens).
# The calls are short, so that up to MAX_TOOL_CALLS of them fit in a quick test.
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "generate_text",
            "description": "write a text",
            "parameters": {
                "type": "object",
                "properties": {"topic": {"type": "string", "maxLength": 12}, "form": {"enum": ["poem", "lullaby"]}},
                "required": ["topic", "form"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "my_works",
            "parameters": {
                "type": "object",
                "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 50}},
                "required": ["limit"],
                "additionalProperties": False,
            },
        },
    },
    {"type": "function", "function": {"name": "ping"}},
]
PARAMETERS = {
    t["function"]["name"]: t["function"].get("parameters", {"type": "object", "maxProperties": 0}) for t in TOOLS
}
ENDLESS = json_schema_grammar({"type": "string", "minLength": 4000})  # longer than max_new_tokens allows
CALL_SYNTAX = {
    "hermes": ("<tool_call>", "</tool_call>", "\n", "arguments"),
    "llama3_json": ("", "", "; ", "parameters"),
}


def run(coro):
    return asyncio.run(coro)


async def sample(generator, grammar: str, max_new_tokens: int = 512, prompt: str = PROMPT) -> list:
    params = [
        GenerationParams(max_new_tokens=max_new_tokens, temperature=1.0, top_k=0, top_p=1.0, seed=seed, grammar=grammar)
        for seed in SEEDS
    ]
    return await asyncio.gather(*(generator.complete(prompt, p) for p in params))


def parse_calls(text: str, style: str) -> list[dict]:
    """The tool calls of ``text``, which must hold nothing else; each checked against its tool's schema."""
    begin, end, separator, arguments = CALL_SYNTAX[style]
    calls, at = [], 0
    newline = "\n" if style == "hermes" else ""  # hermes markers may stand on their own lines
    while True:
        assert text.startswith(begin, at), text
        at += len(begin)
        at += len(newline) if newline and text.startswith(newline, at) else 0
        call, at = json.JSONDecoder().raw_decode(text, at)
        at += len(newline) if newline and text.startswith(newline + end, at) else 0
        assert text.startswith(end, at), text
        at += len(end)
        assert list(call) == ["name", arguments], call
        jsonschema.validate(call[arguments], PARAMETERS[call["name"]])
        calls.append(call)
        if at == len(text):
            return calls
        if style == "hermes" and text.startswith("<tool_call>", at):  # hermes calls may follow each other directly
            continue
        assert text.startswith(separator, at), text
        at += len(separator)


def test_json_schema_outputs_parse_and_validate(generator):
    completions = run(sample(generator, json_schema_grammar(PERSON)))
    for completion in completions:
        assert completion.finish_reason == "stop"
        jsonschema.validate(json.loads(completion.text), PERSON)
        assert completion.text == json.dumps(json.loads(completion.text))  # compact, in the schema's order
    assert len({c.text for c in completions}) == len(SEEDS)  # sampled, not forced to one answer


def test_json_object_outputs_are_objects_or_cut_inside_one(generator):
    """Any object: this model may open a key it never closes, so some outputs end at max_new_tokens; those
    must still be a prefix the grammar accepts."""
    grammar = json_object_grammar()
    completions = run(sample(generator, grammar, max_new_tokens=48))
    complete = [c for c in completions if c.finish_reason == "stop"]
    assert complete, [c.text for c in completions]
    for completion in complete:
        assert isinstance(json.loads(completion.text), dict)
    for completion in completions:
        matcher = generator.grammar_matcher(grammar)
        assert completion.text.startswith("{")
        assert matcher.consume_tokens(generator.tokenizer(completion.text)["input_ids"]), completion.text


STYLES = list(CALL_SYNTAX)


def sample_styles(generator, tools: list[dict], name: str | None) -> dict[str, list]:
    """Both call styles' samples, in one batch (a quicker test)."""

    async def both():
        return await asyncio.gather(*(sample(generator, tool_call_grammar(tools, s, name)) for s in STYLES))

    return dict(zip(STYLES, run(both())))


@pytest.mark.timeout(1200)  # up to 8 calls of ~50 tokens each: about 420 decoding steps, slow on a busy CPU
def test_required_tool_calls_parse_and_validate(generator):
    for style, completions in sample_styles(generator, TOOLS[1:], None).items():  # the short tools
        for completion in completions:
            assert completion.finish_reason == "stop", completion.text
            assert 1 <= len(parse_calls(completion.text, style)) <= MAX_TOOL_CALLS


def test_a_named_tool_is_called_exactly_once(generator):
    for style, completions in sample_styles(generator, TOOLS, "generate_text").items():
        for completion in completions:
            assert completion.finish_reason == "stop", completion.text
            assert [c["name"] for c in parse_calls(completion.text, style)] == ["generate_text"]


def test_free_requests_are_unchanged_by_constrained_neighbours(generator):
    free = [GenerationParams(max_new_tokens=32, temperature=1.0, seed=seed) for seed in (11, 12, 13, 14)]
    constrained = GenerationParams(max_new_tokens=64, temperature=1.0, seed=5, grammar=json_schema_grammar(PERSON))

    async def free_texts(with_neighbours: bool) -> list[str]:
        neighbours = (
            [generator.complete("JULIET:\n", constrained.model_copy(update={"seed": s})) for s in range(4)]
            if with_neighbours
            else []
        )
        results = await asyncio.gather(*(generator.complete(PROMPT, p) for p in free), *neighbours)
        if with_neighbours:
            jsonschema.validate(json.loads(results[-1].text), PERSON)
        return [c.text for c in results[: len(free)]]

    assert run(free_texts(with_neighbours=True)) == run(free_texts(with_neighbours=False))
    assert generator.constrained_requests == 0


def test_bad_grammars_are_refused_before_generation(generator):
    with pytest.raises(ValueError, match="grammar was refused"):
        run(generator.complete(PROMPT, GenerationParams(grammar="start: nowhere")))
    with pytest.raises(ValueError, match="grammar was refused"):
        run(generator.complete_many([PROMPT, PROMPT], GenerationParams(grammar='{"grammars": 7}')))
    assert generator.constrained_requests == 0


def test_no_matcher_is_left_after_requests_finish_stop_or_are_cancelled(generator):
    grammar = json_schema_grammar(PERSON)
    params = GenerationParams(max_new_tokens=64, temperature=1.0, seed=3, grammar=grammar)

    async def scenario() -> None:
        text = (await generator.complete(PROMPT, params)).text  # finished by the grammar
        assert generator.constrained_requests == 0
        stopped = await generator.complete(PROMPT, params.model_copy(update={"stop": ['"age"']}))
        assert stopped.finish_reason == "stop" and stopped.text == text[: text.index('"age"')]
        assert generator.constrained_requests == 0

        endless = params.model_copy(update={"max_new_tokens": 400, "grammar": ENDLESS})
        stream = generator.stream(PROMPT, endless)
        await stream.__anext__()
        assert generator.constrained_requests == 1
        await stream.aclose()  # the caller went away
        assert generator.constrained_requests == 0

        async def consume() -> None:
            async for _ in generator.stream(PROMPT, endless):
                pass

        task = asyncio.create_task(consume())
        while generator.constrained_requests == 0:
            await asyncio.sleep(0.01)
        task.cancel()  # a disconnect cancels the task
        with pytest.raises(asyncio.CancelledError):
            await task
        assert generator.constrained_requests == 0

    run(scenario())
