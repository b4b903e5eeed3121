"""Read tool calls out of a model's generated text, as it streams or all at once.

Two formats, chosen per model (``tool_parser`` in ``serve_config.yaml``):

- ``hermes``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``, one or more; text before the first
  call is the message's content; whitespace between and after calls is dropped.
- ``llama3_json``: the whole output is a JSON object ``{"name": ..., "parameters": {...}}``, or several
  separated by ``;``, optionally after ``<|python_tag|>``; output that starts otherwise is plain text.

One code path serves both streaming and whole completions (:class:`ToolCallAssembler`): a whole completion
is one feed, so both give the same calls. Text is released as content as soon as it cannot be part of a
call; only text that might still become a call is held back. A call that does not parse (bad JSON, no name,
arguments not an object, a name not among the request's tools, cut off by the token limit) is never an
error: its raw text becomes content.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Protocol

HERMES_OPEN, HERMES_CLOSE = "<tool_call>", "</tool_call>"
PYTHON_TAG = "<|python_tag|>"


@dataclass(frozen=True)
class Candidate:
    """A span the parser takes for a call: its decoded JSON (None if it does not decode) and its raw text."""

    payload: object
    raw: str


Piece = str | Candidate  # content text, or a possible call


class ToolParser(Protocol):
    """Stateful over one output: ``feed`` gets the whole text so far and returns the new pieces it can settle."""

    def feed(self, text: str, final: bool) -> list[Piece]: ...


def _held_prefix(text: str, marker: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``marker`` (it may still become it)."""
    for n in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:n]):
            return n
    return 0


def _decode(body: str) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


class HermesParser:
    def __init__(self) -> None:
        self._pos = 0  # text before this is settled
        self._after_call = False  # whitespace after a call is dropped

    def feed(self, text: str, final: bool) -> list[Piece]:
        pieces: list[Piece] = []
        while True:
            if self._after_call:
                stripped = len(text) - len(text[self._pos :].lstrip())
                self._pos = max(self._pos, stripped)
            start = text.find(HERMES_OPEN, self._pos)
            if start < 0:
                end = len(text) if final else len(text) - _held_prefix(text[self._pos :], HERMES_OPEN)
                if end > self._pos:
                    pieces.append(text[self._pos : end])
                    self._pos, self._after_call = end, False
                return pieces
            if start > self._pos:
                pieces.append(text[self._pos : start])
                self._pos, self._after_call = start, False
            close = text.find(HERMES_CLOSE, start)
            if close < 0:
                if final:  # cut off inside a call
                    pieces.append(Candidate(None, text[start:]))
                    self._pos = len(text)
                return pieces
            end = close + len(HERMES_CLOSE)
            pieces.append(Candidate(_decode(text[start + len(HERMES_OPEN) : close]), text[start:end]))
            self._pos, self._after_call = end, True


class Llama3JsonParser:
    def __init__(self) -> None:
        self._content: bool | None = None  # None until the output's start tells
        self._sent = 0

    def feed(self, text: str, final: bool) -> list[Piece]:
        if self._content is None:
            head = text.lstrip()
            could_be_call = head.startswith(("{", PYTHON_TAG)) or (head and PYTHON_TAG.startswith(head))
            if head and not could_be_call:
                self._content = True
            elif not final:
                return []  # possibly a call: hold it all
            else:
                self._content = False
                return _llama3_calls(text) if head else ([text] if text else [])
        if self._content:
            new, self._sent = text[self._sent :], len(text)
            return [new] if new else []
        return []


def _llama3_calls(text: str) -> list[Piece]:
    """Every ``;``-separated JSON object as a candidate; anything else makes the whole text one bad candidate."""
    body = text.strip().removeprefix(PYTHON_TAG).strip()
    decoder, calls, pos = json.JSONDecoder(), [], 0
    while pos < len(body):
        try:
            payload, end = decoder.raw_decode(body, pos)
        except ValueError:
            return [Candidate(None, text)]
        calls.append(Candidate(payload, body[pos:end]))
        rest = body[end:].lstrip()
        if rest and not rest.startswith(";"):
            return [Candidate(None, text)]
        pos = len(body) - len(rest.removeprefix(";").lstrip())
    return calls or [Candidate(None, text)]


PARSERS: dict[str, type] = {"hermes": HermesParser, "llama3_json": Llama3JsonParser}


def make_parser(name: str) -> ToolParser:
    if name not in PARSERS:
        raise ValueError(f"unknown tool parser {name!r}; known: {sorted(PARSERS)}")
    return PARSERS[name]()


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON object, as a string (as OpenAI sends it)

    def as_openai(self) -> dict:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


def _as_call(payload: object, tool_names: frozenset[str] | None) -> ToolCall | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
        return None
    args = payload.get("arguments", payload.get("parameters", {}))
    if isinstance(args, str):  # some models write the arguments as a JSON string
        args = _decode(args)
    if not isinstance(args, dict) or (tool_names is not None and payload["name"] not in tool_names):
        return None
    return ToolCall(f"call_{uuid.uuid4().hex[:24]}", payload["name"], json.dumps(args, ensure_ascii=False))


@dataclass
class Update:
    """What one feed settled: content text and new calls, in order of the output."""

    content: str = ""
    calls: list[ToolCall] = field(default_factory=list)


class ToolCallAssembler:
    """Feed the text generated so far (``final`` at the end); get the content and calls it settles.

    ``tool_names`` are the request's tools; ``None`` accepts any name.
    """

    def __init__(self, parser: ToolParser, tool_names: frozenset[str] | None = None):
        self._parser = parser
        self._tool_names = tool_names
        self.calls: list[ToolCall] = []

    def feed(self, text: str, final: bool = False) -> Update:
        update = Update()
        for piece in self._parser.feed(text, final):
            call = _as_call(piece.payload, self._tool_names) if isinstance(piece, Candidate) else None
            if call is not None:
                update.calls.append(call)
            else:
                update.content += piece.raw if isinstance(piece, Candidate) else piece
        self.calls += update.calls
        return update


@dataclass(frozen=True)
class ParsedMessage:
    content: str | None  # None when the output was only calls
    tool_calls: list[ToolCall]


def parse_tool_calls(text: str, parser: str, tool_names: frozenset[str] | None = None) -> ParsedMessage:
    """A whole completion's content and calls."""
    assembler = ToolCallAssembler(make_parser(parser), tool_names)
    content = assembler.feed(text, final=True).content
    if assembler.calls and not content.strip():
        return ParsedMessage(None, assembler.calls)
    return ParsedMessage(content, assembler.calls)
