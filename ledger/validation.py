"""Client-side checks, raising ``InvalidRequest`` before anything is sent.

They cover what the ABI cannot say (negative numbers, over-long strings and arrays, malformed addresses: the
contract would revert without a reason) and the share rules, so a bad registration costs no round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from web3 import Web3

from ledger.errors import InvalidRequest
from ledger.types import (
    BPS,
    MAX_CONTRIBUTORS,
    MAX_DURATION_S,
    MAX_MODEL_ID_BYTES,
    MAX_PARENTS,
    Contributor,
    Origin,
    Provenance,
    Template,
    Terms,
)

UINT256_MAX = 2**256 - 1


def address(value: str, what: str) -> str:
    """The checksummed address; the zero address is refused."""
    if not isinstance(value, str) or not Web3.is_address(value):
        raise InvalidRequest(f"{what} is not an address: {value!r}")
    if int(value, 16) == 0:
        raise InvalidRequest(f"{what} is the zero address")
    return Web3.to_checksum_address(value)


def uint(value: int, what: str, maximum: int = UINT256_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidRequest(f"{what} must be an integer from 0 to {maximum}, not {value!r}")
    return value


def member(enum: type[StrEnum], value: StrEnum, what: str) -> None:
    if not isinstance(value, enum):
        raise InvalidRequest(f"{what} must be one of {', '.join(enum)}, not {value!r}")


def work_id(value: int) -> int:
    if uint(value, "work id") == 0:
        raise InvalidRequest("work ids start at 1")
    return value


def hash32(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise InvalidRequest(f"{what} must be 32 bytes (a sha256 digest)")
    return value


def text(value: str, what: str, max_bytes: int) -> str:
    if not isinstance(value, str) or len(value.encode()) > max_bytes:
        raise InvalidRequest(f"{what} must be a string of at most {max_bytes} UTF-8 bytes")
    return value


def provenance(value: Provenance) -> Provenance:
    member(Origin, value.origin, "origin")
    text(value.model_id, "model id", MAX_MODEL_ID_BYTES)
    hash32(value.prompt_hash, "prompt hash")
    if value.origin is not Origin.HUMAN and not value.model_id:
        raise InvalidRequest("AI provenance needs a model id")
    return value


def contributors(value: Sequence[Contributor]) -> list[Contributor]:
    """1 to 8 distinct non-zero accounts with positive shares summing to exactly 10,000 bps."""
    if not 1 <= len(value) <= MAX_CONTRIBUTORS:
        raise InvalidRequest(f"a work has 1 to {MAX_CONTRIBUTORS} contributors")
    checked = [Contributor(address(c.account, "contributor"), uint(c.share_bps, "share", BPS)) for c in value]
    if any(c.share_bps == 0 for c in checked):
        raise InvalidRequest("contributor share is zero")
    if len({c.account for c in checked}) != len(checked):
        raise InvalidRequest("duplicate contributor")
    if sum(c.share_bps for c in checked) != BPS:
        raise InvalidRequest(f"shares must sum to {BPS} bps")
    return checked


def parents(value: Sequence[int]) -> list[int]:
    if len(value) > MAX_PARENTS:
        raise InvalidRequest(f"a work has at most {MAX_PARENTS} parents")
    checked = [work_id(p) for p in value]
    if len(set(checked)) != len(checked):
        raise InvalidRequest("duplicate parent")
    return checked


def terms(value: Terms) -> Terms:
    member(Template, value.template, "template")
    uint(value.fee_wei, "fee")
    uint(value.rev_share_bps, "revenue share", BPS)
    uint(value.duration_s, "duration", MAX_DURATION_S)
    return value
