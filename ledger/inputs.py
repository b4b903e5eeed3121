"""What callers hand the ledger, prepared the same way by every caller (the HTTP routes, the assistant's tools):
the address type, a work's content hash and a prompt's digest for its provenance."""

from __future__ import annotations

import hashlib
from typing import Annotated

from pydantic import Field

from ledger.types import ZERO_HASH

MAX_PROVENANCE_PROMPT_CHARS = 20_000  # a generator prompt declared in a work's provenance (only its hash is kept)
ADDRESS_REGEX = r"0x[0-9a-fA-F]{40}"  # an address anywhere in a text
ADDRESS_PATTERN = rf"^{ADDRESS_REGEX}$"  # a value that is an address
Address = Annotated[str, Field(pattern=ADDRESS_PATTERN, description="an EVM address, 0x + 40 hex digits")]


def content_hash(content: bytes) -> str:
    """The hex sha256 of a work's content, which the ledger registers it by."""
    return hashlib.sha256(content).hexdigest()


def prompt_digest(prompt: str | None) -> bytes:
    """A generator prompt as a work's provenance keeps it: its sha256 only (zeros when none is declared)."""
    return ZERO_HASH if prompt is None else hashlib.sha256(prompt.encode()).digest()
