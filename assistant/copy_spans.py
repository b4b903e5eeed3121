"""Tool schemas for one request that make a planner copy its spans from the request (constrained decoding).

Topics and texts are copied from the request (issue 12), and so are addresses. A model reached by tool calling
gets, with each request, Muse's tools marked ``"strict": true`` (OpenAI's Structured Outputs; Muse's server then
constrains any call the model makes to them, ``models/text/grammar.py``) whose copy arguments only admit spans
of that request:

- ``topic``, ``query``, ``like_item``: a span of the request: whole words of an English one (the first may
  lose its leading punctuation, the last its trailing one), any characters of a Chinese one; at most
  ``MAX_SPAN_WORDS`` words or ``MAX_SPAN_CHARS`` characters;
- ``content``: such a span, a passage of the request in quotes (any length), or a reference to an earlier call's
  result (``"$1.text"``); ``title``: a span, the start of a quoted passage, possibly ended with "…" (the title
  the rules give an untitled text), or a reference;
- addresses (``grant_license``, ``verify_license``'s holder, also ``"me"``, co-authors): one of the request's;
  with none in the request they stay as their tool has them;
- percentages (co-authors' shares, a revenue share): one of the request's numbers written with "%" or
  "percent", when it has any (a share written in words stays free);
- work ids: one of the whole numbers written in digits in the request (not part of a decimal or a word), or a
  reference; with none in the request (a work named in words, or "my latest work") they stay as their tool
  has them;
- every other argument: as its tool has it, or a reference ``"$N.path"`` (the contract's data flow).

A span pattern is a trie of the request's spans written as a regular expression, at most
``MAX_PATTERN_CHARS`` long: a longer request gets shorter spans, and past that a free (bounded) string.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool

from assistant.intents import Language, language_of
from assistant.tools import TOOLS
from ledger.inputs import ADDRESS_REGEX

MAX_SPAN_WORDS = 8  # an English span
MAX_SPAN_CHARS = 16  # a Chinese span
MAX_PATTERN_CHARS = 4_000  # the span pattern, and the quotes' one: a tool's schema stays under the server's 16 KiB
QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|‘([^’]+)’|「([^」]+)」|『([^』]+)』|《([^》]+)》|(?<!\w)\'([^\']+)\'(?!\w)')
REFERENCE = r"\$[1-8]\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*"
ADDRESS = re.compile(ADDRESS_REGEX)
PERCENTAGE = re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)?)\s*(?:%|％|percent\b|per cent\b)", re.IGNORECASE)
WHOLE_NUMBER = re.compile(r"(?<![0-9A-Za-z.])[0-9]+(?![0-9A-Za-z]|\.[0-9])")
EDGE_PUNCTUATION = "\"'“”‘’「」『』《》()[].,;:!?。，；：！？、（）"
_REGEX_SPECIAL = set("\\.+*?()|[]{}^$#&-~")

# (tool, argument) -> how it is constrained
SPANS = {("generate_text", "topic"), ("search_catalogue", "query"), ("recommend", "query"), ("recommend", "like_item")}
TEXTS = {("register_work", "title"), ("register_work", "content")}
ADDRESSES = {("grant_license", "address"), ("verify_license", "holder")}
WORK_IDS = {
    (tool, "work_id")
    for tool in ("set_license_terms", "buy_license", "grant_license", "verify_license", "work_details", "my_earnings")
}
# A strict schema fixes the order of arguments; where the planner writes them in another order than the tool
# declares them (the contract's corpus, models/planner/corpus.py), its order.
ORDER = {"recommend": ("k", "query", "like_item")}
_BASE_TOOLS = [convert_to_openai_tool(t) for t in TOOLS]


def request_tools(request: str) -> list[dict[str, Any]]:
    """Muse's tools as OpenAI tool dicts, strict, with the copy arguments constrained to ``request``."""
    language = language_of(request)
    patterns = Patterns(span_pattern(request, language), *quote_patterns(request, language))
    copied = Copied(
        addresses=list(dict.fromkeys(ADDRESS.findall(request))),
        numbers=list(dict.fromkeys(int(n) for n in WHOLE_NUMBER.findall(ADDRESS.sub(" ", request)))),
        percentages=list(dict.fromkeys(float(n) for n in PERCENTAGE.findall(request))),
    )
    tools = copy.deepcopy(_BASE_TOOLS)
    for tool in tools:
        function = tool["function"]
        function["strict"] = True
        properties = function["parameters"].get("properties", {})
        order = ORDER.get(function["name"], tuple(properties))
        function["parameters"]["properties"] = {
            name: _argument(function["name"], name, properties[name], patterns, copied) for name in order
        }
    return tools


@dataclass(frozen=True)
class Patterns:
    """Regular expressions (without anchors) of one request's spans, quoted passages and their starts; None
    where the request's would be too long."""

    span: str | None
    quote: str | None
    quote_start: str | None

    def content(self) -> str | None:
        return _either(self.span, self.quote)

    def title(self) -> str | None:
        either = _either(self.span, self.quote_start)
        return None if either is None else f"(?:{either})…?"


def _either(*patterns: str | None) -> str | None:
    if None in patterns:
        return None
    given = [p for p in patterns if p]
    return "|".join(given) if given else None


@dataclass(frozen=True)
class Copied:
    """The values of one request that arguments may be limited to: its addresses, its whole numbers (work ids)
    and its percentages."""

    addresses: list[str]
    numbers: list[int]
    percentages: list[float]

    def percentage(self) -> dict:
        """One of the percentages. Under llguidance a whole one has one spelling (30, not 30.0): same value."""
        return {"enum": self.percentages}


def _argument(tool: str, name: str, schema: dict, patterns: Patterns, copied: Copied) -> dict:
    reference = {"type": "string", "pattern": f"^{REFERENCE}$"}
    if (tool, name) in SPANS and patterns.span is not None:
        text = {"type": "string", "pattern": f"^(?:{patterns.span})$"}
        return {"anyOf": [text, {"type": "null"}], "default": None} if "anyOf" in schema else text
    text_pattern = patterns.title() if name == "title" else patterns.content()
    if (tool, name) in TEXTS and text_pattern is not None:
        return {"type": "string", "pattern": f"^(?:{text_pattern}|{REFERENCE})$"}
    if (tool, name) in ADDRESSES and copied.addresses:
        return {"anyOf": [{"enum": copied.addresses + (["me"] if name == "holder" else [])}, reference]}
    if (tool, name) in WORK_IDS and copied.numbers:
        options = [{"enum": copied.numbers}, reference] + ([{"type": "null"}] if "anyOf" in schema else [])
        return {"anyOf": options, "default": None} if "anyOf" in schema else {"anyOf": options}
    if (tool, name) == ("set_license_terms", "rev_share_percent") and copied.percentages:
        return {"anyOf": [copied.percentage(), reference], "default": 0}
    if (tool, name) == ("register_work", "co_authors") and (copied.addresses or copied.percentages):
        schema = copy.deepcopy(schema)
        for option in schema["anyOf"]:
            if option.get("type") == "array":
                if copied.addresses:
                    option["items"]["properties"]["address"] = {"enum": copied.addresses}
                if copied.percentages:
                    option["items"]["properties"]["share_percent"] = copied.percentage()
        return schema
    return {"anyOf": [schema, reference]}


def span_pattern(request: str, language: Language) -> str | None:
    """The spans of ``request`` (see the module's docstring), or None when even one-word spans would make a
    pattern longer than ``MAX_PATTERN_CHARS``."""
    units = _units(request, language)
    longest = MAX_SPAN_CHARS if language == "zh" else MAX_SPAN_WORDS
    while longest >= 1:
        pattern = _trie_regex(_spans(units, language, longest))
        if len(pattern) <= MAX_PATTERN_CHARS:
            return pattern
        longest //= 2
    return None


def quote_patterns(request: str, language: Language) -> tuple[str | None, str | None]:
    """The request's quoted passages, and their starts (a unit or more; None: too long, "": no quotes)."""
    quotes = [next(g for g in found.groups() if g) for found in QUOTED.finditer(request)]
    whole = _trie_regex([[quote] for quote in quotes])
    starts = _trie_regex(
        [units[:n] for units in (_units(q, language) for q in quotes) for n in range(1, len(units) + 1)]
    )
    return tuple(p if len(p) <= MAX_PATTERN_CHARS else None for p in (whole, starts))


def _units(text: str, language: Language) -> list[str]:
    """Characters of a Chinese text (a run of Latin letters, digits or spaces is one unit); words of an English
    one, each after the whitespace before it."""
    if language == "zh":
        return [found.group() for found in re.finditer(r"[A-Za-z0-9_.%$-]+|[ \t]+|.", text, re.DOTALL)]
    return [found.group() for found in re.finditer(r"\s*\S+", text)]


def _spans(units: list[str], language: Language, longest: int) -> list[list[str]]:
    """Every span of at most ``longest`` units, as its pieces."""
    if language == "zh":
        return [units[i:j] for i in range(len(units)) for j in range(i + 1, min(i + longest, len(units)) + 1)]
    spans = []
    for i, first in enumerate(units):
        for j in range(i, min(i + longest, len(units))):
            for start in _variants(first.lstrip(), lead=True):
                if j == i:
                    spans.extend([piece] for piece in _variants(start, lead=False))
                    continue
                spans.extend([start, *units[i + 1 : j], end] for end in _variants(units[j], lead=False))
    return spans


def _variants(word: str, lead: bool) -> set[str]:
    """``word`` as it is and without its leading (or trailing) punctuation, if anything is left."""
    stripped = word.lstrip(EDGE_PUNCTUATION) if lead else word.rstrip(EDGE_PUNCTUATION)
    return {word, stripped} if stripped.strip() else {word}


def _trie_regex(spans: list[list[str]]) -> str:
    root: dict = {}
    for pieces in spans:
        node = root
        for piece in pieces:
            node = node.setdefault(piece, {})
        node[None] = {}  # a span ends here
    return _node_regex(root)


def _node_regex(node: dict) -> str:
    branches = [
        _escape(piece) + _node_regex(child) for piece, child in sorted(node.items(), key=_key) if piece is not None
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if None not in node:
        return body
    return f"(?:{body})?" if len(branches) == 1 else f"{body}?"


def _key(item: tuple) -> str:
    return "" if item[0] is None else item[0]


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in text)
