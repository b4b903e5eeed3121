"""How deeply a JSON document nests, measured without parsing it.

A JSON parser recurses once per level of arrays and objects. Python's recursion limit normally stops it at
about 1,000 levels, but importing ``py_ecc`` (through web3/py-evm, for the ledger) raises that limit to
100,000 for the whole process: a document nested 100,000 deep then overflows the C stack and the process
dies. Measuring the nesting first lets a server refuse such a document instead.
"""

from __future__ import annotations

import re

import numpy as np

# A JSON string: quotes around anything but quotes and backslashes, or escapes (written unrolled: linear time).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, dtype=np.int32)  # +1 for an opening bracket, -1 for a closing one
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1


def json_depth(document: bytes, at_least: int = 0) -> int:
    """The deepest nesting of arrays and objects in ``document`` (brackets inside strings do not count).

    A document with at most ``at_least`` opening brackets cannot nest deeper than that: the count is
    returned without measuring, so that a caller comparing with a limit pays for a scan only above it."""
    opening = document.count(b"[") + document.count(b"{")
    if opening <= at_least:
        return opening
    brackets = _STRING.sub(b"", document).translate(None, _NOT_BRACKETS)
    return int(np.cumsum(_STEP[np.frombuffer(brackets, dtype=np.uint8)]).max(initial=0))
