"""The ledger's records as Python values, mirroring the structs of ``contracts/Ledger.vy``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from collections.abc import Mapping
from typing import Any, TypeVar

BPS = 10_000
ZERO_HASH = bytes(32)
# Bounds the contract enforces; the client checks them first (over-long arrays and strings revert without a reason).
MAX_CONTRIBUTORS = 8
MAX_PARENTS = 4
MAX_URI_BYTES = 256
MAX_MODEL_ID_BYTES = 64
MAX_DURATION_S = 2**64 - 1
PERPETUAL = 2**256 - 1  # the contract's end of a use that never ends

E = TypeVar("E", bound=StrEnum)


class Origin(StrEnum):
    """How a work was made (C2PA digital source type, simplified). Declaration order is the on-chain code."""

    HUMAN = "human"
    AI_GENERATED = "ai_generated"
    AI_ASSISTED = "ai_assisted"


class Template(StrEnum):
    """Story Protocol PIL flavours. Declaration order is the on-chain code.

    The template fixes the rights a license grants (personal use always):

    - ``non_commercial_remix``: derivatives, no commercial use;
    - ``commercial_use``: commercial use, no derivatives;
    - ``commercial_remix``: commercial use and derivatives, which typically owe the work a revenue share;
    - ``cc_by``: commercial use and derivatives, with attribution; meant to be free.

    Derivatives registered under any template owe the parent the terms' ``rev_share_bps`` of their license revenue.
    """

    NON_COMMERCIAL_REMIX = "non_commercial_remix"
    COMMERCIAL_USE = "commercial_use"
    COMMERCIAL_REMIX = "commercial_remix"
    CC_BY = "cc_by"

    @property
    def commercial(self) -> bool:
        return self is not Template.NON_COMMERCIAL_REMIX

    @property
    def derivatives(self) -> bool:
        return self is not Template.COMMERCIAL_USE


class Use(StrEnum):
    """What a holder wants to do with a work, as checked by ``Ledger.verify``. Declaration order is the code."""

    PERSONAL = "personal"
    COMMERCIAL = "commercial"
    DERIVATIVE = "derivative"


def code(member: StrEnum) -> int:
    """The uint8 the contract uses for an enum member."""
    return list(type(member)).index(member)


def from_code(enum: type[E], value: int) -> E:
    return list(enum)[value]


@dataclass(frozen=True)
class Provenance:
    """A work's declared origin; AI origins name the generator model and may carry the prompt's sha256."""

    origin: Origin = Origin.HUMAN
    model_id: str = ""
    prompt_hash: bytes = ZERO_HASH


@dataclass(frozen=True)
class Contributor:
    account: str
    share_bps: int


@dataclass(frozen=True)
class Parent:
    work_id: int
    share_bps: int  # share of the derivative's license revenue that goes to this parent


@dataclass(frozen=True)
class Work:
    id: int
    owner: str
    content_hash: bytes
    metadata_uri: str
    provenance: Provenance
    contributors: tuple[Contributor, ...]
    parents: tuple[Parent, ...]
    registered_block: int
    registered_at: int  # unix seconds


@dataclass(frozen=True)
class Terms:
    """License terms a work's owner offers; ``Terms(template)`` gives the PIL defaults.

    Defaults: free (``fee_wei=0``), no revenue share, perpetual (``duration_s=0``), transferable, offered.
    Commercial use and derivatives follow from the template (see ``Template``).
    ``rev_share_bps`` is the share of a derivative's license revenue owed to this work.
    """

    template: Template
    fee_wei: int = 0
    rev_share_bps: int = 0
    duration_s: int = 0
    transferable: bool = True
    active: bool = True  # on offer for ``buy``; owners may still grant licenses when inactive

    @property
    def commercial(self) -> bool:
        return self.template.commercial

    @property
    def derivatives(self) -> bool:
        return self.template.derivatives


@dataclass(frozen=True)
class License:
    """A holder's license on a work: every use it was ever granted, each with its own end.

    Licenses only grow: a later purchase or grant adds uses or moves their ends later, never the other way
    (see ``contracts/Ledger.vy``). ``until`` maps each use granted so far to its end in unix seconds, None
    for never; personal use comes with every license and lasts at least as long as the others.
    """

    work_id: int
    holder: str
    terms: Terms  # of the latest purchase or grant
    issued_at: int  # of the latest purchase or grant
    until: Mapping[Use, int | None]
    rev_share_bps: int  # what a derivative registered under this license owes the work
    transferable: bool

    @property
    def expires_at(self) -> int | None:
        """When the whole license ends (its last use); None = never."""
        return self.until[Use.PERSONAL]

    def allows(self, use: Use, at: int) -> bool:
        """Whether the license covers ``use`` at unix time ``at``."""
        if use not in self.until:
            return False
        end = self.until[use]
        return end is None or end > at


@dataclass(frozen=True)
class LedgerEvent:
    """A decoded contract event; ``args`` as web3 decodes them (bytes stay bytes, structs become dicts)."""

    name: str
    args: dict[str, Any]
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class LedgerAddresses:
    """Where a deployment lives; ``deployed_block`` is where an indexer starts reading events."""

    ledger: str
    deployed_block: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerAddresses:
        return cls(ledger=data["ledger"], deployed_block=int(data["deployed_block"]))
