"""Tool-call parsers (models/text/tool_parsers.py): whole outputs, malformed ones, and the same outputs streamed
in every split, without Ray or a model."""

from __future__ import annotations

import json

import pytest

from models.text.tool_parsers import ToolCallAssembler, make_parser, parse_tool_calls

TOOLS = frozenset({"get_weather", "generate_text"})

HERMES_TWO = (
    'I will check.\n<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n'
    '<tool_call>{"name": "generate_text", "arguments": {"topic": "the moon"}}</tool_call>'
)
LLAMA_TWO = (
    '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; '
    '{"name": "generate_text", "parameters": {"topic": "the moon"}}'
)


def _calls(message) -> list[tuple[str, dict]]:
    return [(c.name, json.loads(c.arguments)) for c in message.tool_calls]


@pytest.mark.parametrize("parser, text", [("hermes", HERMES_TWO), ("llama3_json", LLAMA_TWO)])
def test_two_calls_are_read_in_order(parser, text):
    message = parse_tool_calls(text, parser, TOOLS)
    assert _calls(message) == [("get_weather", {"city": "Paris"}), ("generate_text", {"topic": "the moon"})]
    assert all(c.id.startswith("call_") for c in message.tool_calls)
    assert len({c.id for c in message.tool_calls}) == 2


def test_hermes_text_before_the_first_call_is_the_content():
    assert parse_tool_calls(HERMES_TWO, "hermes", TOOLS).content == "I will check.\n"


def test_only_calls_give_no_content():
    text = '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>\n'
    assert parse_tool_calls(text, "hermes", TOOLS).content is None
    assert parse_tool_calls('{"name": "get_weather", "parameters": {}}', "llama3_json", TOOLS).content is None


def test_arguments_given_as_a_json_string_are_accepted():
    text = '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Rome\\"}"}</tool_call>'
    assert _calls(parse_tool_calls(text, "hermes", TOOLS)) == [("get_weather", {"city": "Rome"})]


@pytest.mark.parametrize(
    "parser, text",
    [
        ("hermes", '<tool_call>{"name": "get_weather", "arguments": {"city": </tool_call>'),  # bad JSON
        ("hermes", '<tool_call>{"name": "get_weather", "arguments": {"city": "Pa'),  # cut off by the token limit
        ("hermes", '<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>'),  # not one of the tools
        ("hermes", '<tool_call>{"arguments": {}}</tool_call>'),  # no name
        ("hermes", '<tool_call>{"name": "get_weather", "arguments": [1]}</tool_call>'),  # arguments not an object
        ("llama3_json", '{"name": "get_weather", "parameters": {"city": "Pa'),
        ("llama3_json", '{"name": "get_weather", "parameters": {}} and then some words'),
        ("llama3_json", '{"name": "nope", "parameters": {}}'),
    ],
)
def test_malformed_calls_degrade_to_the_raw_text(parser, text):
    message = parse_tool_calls(text, parser, TOOLS)
    assert message.tool_calls == []
    assert message.content == text


def test_any_name_is_accepted_without_a_tool_list():
    text = '<tool_call>{"name": "anything", "arguments": {}}</tool_call>'
    assert _calls(parse_tool_calls(text, "hermes")) == [("anything", {})]


@pytest.mark.parametrize("parser", ["hermes", "llama3_json"])
def test_plain_text_is_content(parser):
    text = "ROMEO:\nBut soft, what light through yonder window breaks?"
    assert parse_tool_calls(text, parser, TOOLS).content == text


def test_an_unknown_parser_is_refused():
    with pytest.raises(ValueError, match="unknown tool parser"):
        make_parser("mistral")


def _stream(text: str, parser: str, step: int) -> tuple[list[str], list]:
    """Feed ``text`` in slices of ``step`` characters; return the content deltas and the calls."""
    assembler = ToolCallAssembler(make_parser(parser), TOOLS)
    deltas = []
    for end in range(step, len(text) + step, step):
        update = assembler.feed(text[:end], final=end >= len(text))
        deltas.append(update.content)
    return deltas, assembler.calls


@pytest.mark.parametrize(
    "parser, text",
    [
        ("hermes", HERMES_TWO),
        ("llama3_json", LLAMA_TWO),
        ("hermes", "no calls here < at all <tool_ca"),
        ("hermes", '<tool_call>{"name": "get_weather", "arguments": {"city": "Pa'),
        (
            "hermes",
            'Hi <tool_call>{"name": "get_weather", "arguments": {}}</tool_call> then <tool_call>{bad}</tool_call>',
        ),
        ("llama3_json", "Plain words {not json}"),
    ],
)
@pytest.mark.parametrize("step", [1, 3, 7, 1000])
def test_streaming_gives_what_a_whole_completion_gives(parser, text, step):
    whole = parse_tool_calls(text, parser, TOOLS)
    deltas, calls = _stream(text, parser, step)
    assert [(c.name, c.arguments) for c in calls] == [(c.name, c.arguments) for c in whole.tool_calls]
    assert "".join(deltas) == (whole.content or "")


def test_streaming_releases_text_that_cannot_be_a_call_at_once():
    assembler = ToolCallAssembler(make_parser("hermes"), TOOLS)
    assert assembler.feed("Hello <tool").content == "Hello "  # "<tool" may still open a call
    assert assembler.feed("Hello <tooth").content == "<tooth"
    llama = ToolCallAssembler(make_parser("llama3_json"), TOOLS)
    assert llama.feed('{"name": "get_wea').content == ""  # held: it may be a call
    assert ToolCallAssembler(make_parser("llama3_json"), TOOLS).feed("Thou").content == "Thou"


def test_a_hermes_call_is_released_as_soon_as_it_closes():
    assembler = ToolCallAssembler(make_parser("hermes"), TOOLS)
    first = HERMES_TWO[: HERMES_TWO.index("</tool_call>") + len("</tool_call>")]
    update = assembler.feed(first)
    assert [c.name for c in update.calls] == ["get_weather"]
    assert [c.name for c in assembler.feed(HERMES_TWO, final=True).calls] == ["generate_text"]
