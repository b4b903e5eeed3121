"""Measuring JSON nesting without parsing: brackets inside strings do not count, escapes do not fool it."""

from __future__ import annotations

import json

import pytest

from common.json_depth import json_depth


@pytest.mark.parametrize(
    "document, depth",
    [
        (b'{"a": 1}', 1),
        (b'[[1, [2]], {"a": {"b": "[[[["}}]', 3),
        (b'{"a": "x\\"[[[", "b": ["]"]}', 2),  # an escaped quote does not end the string
        (b'"just a string [[["', 0),
        (b"[" * 100_000 + b"]" * 100_000, 100_000),
    ],
)
def test_depth(document, depth):
    assert json_depth(document) == depth


def test_agrees_with_a_parser_on_a_real_body():
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "{[(" * 100}]}]}
    assert json_depth(json.dumps(body).encode()) == 5


def test_few_brackets_are_counted_not_measured():
    assert json_depth(b'[{"a": "]]]]"}]', at_least=2) == 2  # at most 2 levels: no scan needed
    assert json_depth(b"[[[]]]", at_least=2) == 3
