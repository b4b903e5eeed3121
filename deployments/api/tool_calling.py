"""Tool calling on ``/v1/chat/completions``, as OpenAI's API and vLLM do it.

Request side: ``tools`` (functions with a JSON schema), ``tool_choice`` (``auto``, ``none``, ``required``, or
one function by name), ``parallel_tool_calls``, ``response_format``. Answer side: the model's output read by
its tool parser (``models/text/tool_parsers.py``) into ``message.tool_calls``, or streamed as
``delta.tool_calls``. Calls are read only when the request has tools and ``tool_choice`` is not ``none``:
with ``auto`` by the model's own parser (none configured: plain text), with a forced choice by its parser or
hermes. A forced ``tool_choice`` and a JSON ``response_format`` constrain the output with a grammar
(``models/text/grammar.py``): forced calls in the model's format (hermes without a parser), valid JSON. Under
``auto``, tools marked ``"strict": true`` (OpenAI's Structured Outputs) constrain a call the model makes to their
schema, while it may still answer in plain text; without ``strict`` (or on a model that writes no calls) the
output is free. Limits are the constants below (README: Limits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from deployments.errors import ApiError
from models.text.grammar import (
    GrammarError,
    json_object_grammar,
    json_schema_grammar,
    optional_tool_call_grammar,
    tool_call_grammar,
)
from models.text.params import MAX_PROMPT_CHARS
from models.text.tool_parsers import ToolCall, ToolCallAssembler, make_parser, parse_tool_calls

MAX_TOOLS = 32  # per request
MAX_TOOL_NAME_CHARS = 64  # as OpenAI: letters, digits, _ and -
MAX_TOOL_DESCRIPTION_CHARS = 2_000
MAX_SCHEMA_BYTES = 16 * 1024  # one tool's parameters, or response_format's json_schema, as JSON
MAX_TOOLS_BYTES = 64 * 1024  # all the tools of a request, as JSON
MAX_TOOL_CALLS = 16  # in one assistant message of the history
MAX_TOOL_CALL_ID_CHARS = 128
FORCED_CALL_PARSER = "hermes"  # how a model without a parser writes a forced call
# What a schema leaves open, constrained output bounds: a small model may never close a string or an array, and
# a call cut off by the token limit is lost. Objects take no properties beyond theirs unless they say so.
CONSTRAINED_STRING_CHARS = 200  # a string without maxLength (nor enum, const, pattern, format)
CONSTRAINED_ARRAY_ITEMS = 16  # an array without maxItems
CONSTRAINED_NUMBER_BOUND = 2**53 - 1  # a number or integer without minimum/maximum stays within +-this

ToolName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=MAX_TOOL_NAME_CHARS)]


def bounded_schema(schema: Any) -> Any:
    """``schema`` with the bounds above added where it sets none (a copy; JSON Schema keywords only)."""
    if isinstance(schema, list):
        return [bounded_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: bounded_schema(value) for key, value in schema.items()}
    kind = schema.get("type")
    if (kind == "object" or "properties" in schema) and "additionalProperties" not in schema:
        bounded["additionalProperties"] = False
    if kind == "string" and not {"maxLength", "enum", "const", "pattern", "format"} & schema.keys():
        bounded["maxLength"] = CONSTRAINED_STRING_CHARS
    if kind == "array" and "maxItems" not in schema:
        bounded["maxItems"] = CONSTRAINED_ARRAY_ITEMS
    if kind in ("integer", "number"):
        bounded.setdefault("minimum", -CONSTRAINED_NUMBER_BOUND)
        bounded.setdefault("maximum", CONSTRAINED_NUMBER_BOUND)
    return bounded


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def _bounded_schema(schema: dict[str, Any]) -> dict[str, Any]:
    size = _json_size(schema)
    if size > MAX_SCHEMA_BYTES:
        raise ValueError(f"the schema takes {size} bytes as JSON; the limit is {MAX_SCHEMA_BYTES}")
    return schema


Schema = Annotated[dict[str, Any], AfterValidator(_bounded_schema)]


class FunctionDefinition(BaseModel):
    name: ToolName
    description: str | None = Field(None, max_length=MAX_TOOL_DESCRIPTION_CHARS)
    parameters: Schema | None = None
    strict: bool | None = None


class Tool(BaseModel):
    type: Literal["function"]
    function: FunctionDefinition


class FunctionName(BaseModel):
    name: ToolName


class NamedToolChoice(BaseModel):
    type: Literal["function"]
    function: FunctionName


class CalledFunction(BaseModel):
    name: ToolName
    arguments: str = Field(max_length=MAX_PROMPT_CHARS)  # a JSON object, as a string


class MessageToolCall(BaseModel):
    """A call in an assistant message of the history."""

    id: str = Field(min_length=1, max_length=MAX_TOOL_CALL_ID_CHARS)
    type: Literal["function"] = "function"
    function: CalledFunction

    def for_template(self) -> dict:
        try:
            arguments: Any = json.loads(self.function.arguments)
        except ValueError:
            arguments = self.function.arguments
        return {"id": self.id, "type": "function", "function": {"name": self.function.name, "arguments": arguments}}


class JsonSchemaFormat(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_TOOL_NAME_CHARS)
    description: str | None = Field(None, max_length=MAX_TOOL_DESCRIPTION_CHARS)
    schema_: Schema | None = Field(None, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> ResponseFormat:
        if (self.type == "json_schema") != (self.json_schema is not None):
            raise ValueError("json_schema is required with type json_schema, and only with it")
        return self


@dataclass(frozen=True)
class CallReading:
    """How to read calls out of one request's output."""

    parser: str
    tool_names: frozenset[str]
    parallel: bool


class ToolFields(BaseModel):
    """The tool fields of a chat request."""

    tools: Annotated[list[Tool], Field(max_length=MAX_TOOLS)] | None = None
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None

    @model_validator(mode="after")
    def _tools_consistent(self) -> ToolFields:
        names = [t.function.name for t in self.tools or ()]
        if len(set(names)) != len(names):
            raise ValueError("tool names must be unique")
        if self.tools and (size := _json_size([t.model_dump(exclude_none=True) for t in self.tools])) > MAX_TOOLS_BYTES:
            raise ValueError(f"the tools take {size} bytes as JSON; the limit is {MAX_TOOLS_BYTES}")
        if self.forced and not self.tools:
            raise ValueError("tool_choice 'required' or a named function needs tools")
        named = self.named_tool
        if named is not None and named not in names:
            raise ValueError(f"tool_choice names '{named}', which is not among the tools")
        if self.forced and self.response_format is not None and self.response_format.type != "text":
            raise ValueError("a forced tool_choice and a JSON response_format cannot both constrain the output")
        return self

    @property
    def named_tool(self) -> str | None:
        return self.tool_choice.function.name if isinstance(self.tool_choice, NamedToolChoice) else None

    @property
    def forced(self) -> bool:
        return self.tool_choice == "required" or self.named_tool is not None

    def template_tools(self) -> list[dict] | None:
        """The tools as chat templates take them (OpenAI's shape), unless the request turns them off."""
        if not self.tools or self.tool_choice == "none":
            return None
        return [t.model_dump(exclude_none=True) for t in self.tools]

    def grammar(self, model_parser: str | None) -> str | None:
        """The grammar the output must follow, if any: a 400 for tools or a schema it cannot be built from."""
        parallel, strict = self.parallel_tool_calls is not False, self.strict_calls(model_parser)
        try:
            if self.forced:
                return tool_call_grammar(
                    self._bounded_tools(), model_parser or FORCED_CALL_PARSER, self.named_tool, parallel
                )
            if strict:
                return optional_tool_call_grammar(self._bounded_tools(), model_parser, parallel)
            if self.response_format is None or self.response_format.type == "text":
                return None
            schema = self.response_format.json_schema.schema_ if self.response_format.json_schema else None
            return json_schema_grammar(bounded_schema(schema)) if schema else json_object_grammar()
        except GrammarError as exc:
            raise ApiError(400, str(exc), param="tools" if self.forced or strict else "response_format") from exc

    def strict_calls(self, model_parser: str | None) -> bool:
        """Whether calls under ``auto`` are constrained: a strict tool, a model that writes calls, and no JSON
        ``response_format`` (which then constrains the output instead, as before)."""
        return (
            self.tool_choice in (None, "auto")
            and model_parser is not None
            and any(t.function.strict for t in self.tools or ())
            and (self.response_format is None or self.response_format.type == "text")
        )

    def _bounded_tools(self) -> list[dict]:
        return [bounded_schema(t.model_dump(exclude_none=True)) for t in self.tools]

    def call_reading(self, model_parser: str | None) -> CallReading | None:
        """None when the output is plain text: no tools, ``tool_choice: none``, or ``auto`` on a model that
        writes no calls."""
        if not self.tools or self.tool_choice == "none":
            return None
        parser = model_parser or (FORCED_CALL_PARSER if self.forced else None)
        if parser is None:
            return None
        names = frozenset([self.named_tool] if self.named_tool else (t.function.name for t in self.tools))
        return CallReading(parser, names, self.parallel_tool_calls is not False)


def chat_message(text: str, finish_reason: str, calls: CallReading | None) -> tuple[dict, str]:
    """A whole completion's ``message`` and ``finish_reason`` (``tool_calls`` when it made any)."""
    if calls is None:
        return {"role": "assistant", "content": text}, finish_reason
    parsed = parse_tool_calls(text, calls.parser, calls.tool_names)
    found = parsed.tool_calls if calls.parallel else parsed.tool_calls[:1]
    if not found:
        return {"role": "assistant", "content": text}, finish_reason
    return (
        {"role": "assistant", "content": parsed.content, "tool_calls": [c.as_openai() for c in found]},
        "tool_calls",
    )


class ChatDeltas:
    """Turns a stream's text chunks into ``delta`` objects: content as soon as it cannot be part of a call, and
    each call, once complete, as two deltas (``index``, ``id``, ``function.name``; then ``function.arguments``)."""

    def __init__(self, calls: CallReading | None):
        self._reading = calls
        self._assembler = ToolCallAssembler(make_parser(calls.parser), calls.tool_names) if calls else None
        self._text = ""
        self._calls: list[ToolCall] = []

    def feed(self, text: str, final: bool) -> list[dict]:
        if self._assembler is None:
            return [{"content": text}] if text else []
        self._text += text
        update = self._assembler.feed(self._text, final)
        deltas = [{"content": update.content}] if update.content else []
        for call in update.calls:
            if self._calls and not self._reading.parallel:
                break
            index = len(self._calls)
            self._calls.append(call)
            deltas.append(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": call.arguments}}]})
        return deltas

    def finish_reason(self, model_reason: str) -> str:
        return "tool_calls" if self._calls else model_reason
