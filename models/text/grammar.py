"""Grammars for constrained decoding (llguidance), built from what the OpenAI routes receive.

Each builder returns the grammar as a string (llguidance's grammar JSON), ready for
``GenerationParams.grammar``, or raises :class:`GrammarError` (a ``ValueError``: HTTP 400) for a schema or a
tool list it cannot compile. The text they allow:

- JSON is compact, the way ``json.dumps`` writes it: ``", "`` between items, ``": "`` after keys, no other
  whitespace; properties in the order of the schema's ``properties`` (required ones always present).
- Hermes tool calls: ``<tool_call>{"name": "f", "arguments": {...}}</tool_call>``, several, each after the
  previous one or after ``"\\n"``. Llama 3.x JSON tool calls: ``{"name": "f", "parameters": {...}}``, several
  separated by ``"; "`` (what vLLM's ``llama3_json`` parser reads). The arguments follow the tool's
  ``parameters`` schema.
- Optional calls (``tool_choice: "auto"`` with ``strict`` tools, as OpenAI's Structured Outputs): either a plain
  text, in which the parser would find no call, or calls as above.
"""

from __future__ import annotations

import json
import re
from typing import Literal

import llguidance

from models.text.params import MAX_GRAMMAR_CHARS

ToolStyle = Literal["hermes", "llama3_json"]

# Parser limits: llguidance's defaults bound each mask step (about 15 ms of work at most); short errors say
# what failed without echoing the parser's state.
LIMITS = llguidance.LLParserLimits(verbose_errors=False)
MAX_TOOL_CALLS = 8  # the most calls one constrained reply may hold

_JSON_FORMAT = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # OpenAI's rule for function names
# style -> (opening marker, the call's JSON before its arguments, after them, closing marker, separator between
# calls as lark). Hermes markers may stand on their own lines, as Qwen writes them; either way, no byte after
# "<tool_call>" is forced, and llguidance then lets a token run on into the call (muse-planner writes
# '{"name": "generate_text", "arguments": {' as one token, which a forced '{"name": "' would rule out).
_CALL_FORMATS = {
    "hermes": ("<tool_call>", '{{"name": {name}, "arguments": ', "}", "</tool_call>", '"\\n"?'),
    "llama3_json": ("", '{{"name": {name}, "parameters": ', "}", "", '"; "'),
}
# A plain text, under optional calls: one the style's parser reads as content only (``tool_parsers.py``).
_PLAIN_TEXT = {
    "hermes": r"/(?s:.*)/ & ~/(?s:.*)<tool_call>(?s:.*)/",
    "llama3_json": r"/(?s:.*)/ & ~/\s*(\{|<\|python_tag\|>)(?s:.*)/",
}
_ANY_ARGUMENTS = {"type": "object"}
_NO_ARGUMENTS = {"type": "object", "properties": {}, "additionalProperties": False}


class GrammarError(ValueError):
    """A schema, tool list or grammar that cannot be compiled into a grammar."""


def json_object_grammar() -> str:
    """Any JSON object (OpenAI ``response_format: {"type": "json_object"}``)."""
    return json_schema_grammar({"type": "object"})


def json_schema_grammar(schema: dict) -> str:
    """JSON valid under ``schema`` (OpenAI ``response_format.json_schema.schema``)."""
    return _checked(json.dumps({"grammars": [{"name": "json", "json_schema": _compact(schema)}]}, ensure_ascii=False))


def tool_call_grammar(tools: list[dict], style: ToolStyle, name: str | None = None, parallel: bool = True) -> str:
    """Tool calls only: for ``tool_choice: "required"`` (``name=None``: one or more calls, each to any of
    ``tools``, at most ``MAX_TOOL_CALLS``; exactly one when ``parallel`` is False, as with OpenAI's
    ``parallel_tool_calls: false``) or a named function (``name``: exactly one call, to that function).

    ``tools`` are OpenAI tool dicts: ``{"type": "function", "function": {"name", "description", "parameters"}}``.
    """
    functions = _functions(tools)
    if name is not None:
        if name not in functions:
            raise GrammarError(f"tool_choice names {name!r}, which is not one of the tools")
        functions = {name: functions[name]}
    return _calls_grammar(functions, style, parallel=name is None and parallel, text=False)


def optional_tool_call_grammar(tools: list[dict], style: ToolStyle, parallel: bool = True) -> str:
    """``tool_choice: "auto"`` with ``strict`` tools: a plain text, or calls as :func:`tool_call_grammar`
    allows, whose arguments follow the schemas of the tools marked ``"strict": true`` (any JSON object for the
    others)."""
    functions = _functions(tools)
    strict = {t["function"]["name"] for t in tools if t["function"].get("strict") is True}
    return _calls_grammar(
        {f: p if f in strict else _ANY_ARGUMENTS for f, p in functions.items()}, style, parallel, text=True
    )


def _calls_grammar(functions: dict[str, dict], style: ToolStyle, parallel: bool, text: bool) -> str:
    if style not in _CALL_FORMATS:
        raise GrammarError(f"tool call style must be one of {sorted(_CALL_FORMATS)}, not {style!r}")
    opening, before, after, closing, separator = _CALL_FORMATS[style]
    around = '"\\n"?' if opening else ""
    rules = []
    for i, (function, parameters) in enumerate(functions.items()):
        head = before.format(name=json.dumps(function))
        # The arguments' JSON inline (%json), not a nested grammar: a token may then run from the call's head
        # into its arguments, as muse-planner's does.
        arguments = _compact(parameters, f"the parameters of tool {function!r}")
        rules.append(f"call_{i}: {json.dumps(head)} args_{i} {json.dumps(after)}")
        rules.append(f"args_{i}: %json {json.dumps(arguments, ensure_ascii=False)}")
    marked = f"{json.dumps(opening)} {around} call_body {around} {json.dumps(closing)}" if opening else "call_body"
    repeat = f"({separator} call){{0,{MAX_TOOL_CALLS - 1}}}" if parallel else ""
    start = (
        ["start: TEXT | calls", f"TEXT: {_PLAIN_TEXT[style]}", f"calls: call {repeat}"]
        if text
        else [f"start: call {repeat}"]
    )
    lark = "\n".join(
        [*start, f"call: {marked}", "call_body: " + " | ".join(f"call_{i}" for i in range(len(functions))), *rules]
    )
    return _checked(json.dumps({"grammars": [{"name": "calls", "lark_grammar": lark}]}, ensure_ascii=False))


def _functions(tools: list[dict]) -> dict[str, dict]:
    """``{name: parameters schema}`` of OpenAI tool dicts, refusing malformed ones."""
    if not isinstance(tools, list) or not tools:
        raise GrammarError("tools must be a non-empty list")
    functions: dict[str, dict] = {}
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict):
            raise GrammarError(f'tools[{i}] must be {{"type": "function", "function": {{...}}}}')
        name = function.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise GrammarError(f"tools[{i}].function.name must be 1-64 letters, digits, '_' or '-'")
        if name in functions:
            raise GrammarError(f"tools[{i}]: two tools are named {name!r}")
        parameters = function.get("parameters", _NO_ARGUMENTS)
        if not isinstance(parameters, dict):
            raise GrammarError(f"tools[{i}].function.parameters must be a JSON schema object")
        functions[name] = parameters
    return functions


def _compact(schema: dict, what: str = "the JSON schema") -> dict:
    """``schema`` written compactly (``_JSON_FORMAT``)."""
    if not isinstance(schema, dict):
        raise GrammarError(f"{what} must be a JSON object")
    return {**schema, "x-guidance": _JSON_FORMAT}


def _checked(grammar: str) -> str:
    """The grammar, once llguidance has compiled it (without a tokenizer: the generator checks it again)."""
    if len(grammar) > MAX_GRAMMAR_CHARS:
        raise GrammarError(f"the grammar has {len(grammar)} characters; the limit is {MAX_GRAMMAR_CHARS}")
    error = llguidance.LLMatcher.validate_grammar(grammar, limits=LIMITS)
    if error:
        raise GrammarError(f"cannot constrain the output to this schema: {error}")
    return grammar
