# pragma version 0.4.3
"""
@title Muse licensing ledger
@notice Registered works are ERC-721 tokens carrying a content hash, AI
        provenance, contributor shares and parent works. Owners offer
        PIL-like license terms; fees are split among contributors (after the
        parents' revenue shares) and withdrawn by pull payment.
        A license only ever grows: each use it allows (personal, commercial, derivative) has its own end,
        and a later purchase or grant can add uses and push ends later, never remove or shorten one.
@dev Revert reasons start with "forbidden:", "not found:", "invalid:" or "conflict:".
"""

import erc721
import splits

initializes: erc721
initializes: splits

exports: (
    erc721.__interface__,
    splits.withdraw,
    splits.royaltiesOwed,
)

MAX_PARENTS: constant(uint256) = 4

# Provenance codes (C2PA-style digital source type): 0 human, 1 ai_generated, 2 ai_assisted
HUMAN: constant(uint8) = 0
AI_ASSISTED: constant(uint8) = 2  # the highest code

# Template codes (Story Protocol PIL flavours): 0 non_commercial_remix, 1 commercial_use, 2 commercial_remix, 3 cc_by
NON_COMMERCIAL_REMIX: constant(uint8) = 0
COMMERCIAL_USE: constant(uint8) = 1
CC_BY: constant(uint8) = 3  # the highest code

# Uses checked by verify()
USE_PERSONAL: constant(uint8) = 0
USE_COMMERCIAL: constant(uint8) = 1
USE_DERIVATIVE: constant(uint8) = 2

PERPETUAL: constant(uint256) = max_value(uint256)

INTERFACE_IDS: constant(bytes4[4]) = [
    0x01ffc9a7,  # ERC-165
    0x80ac58cd,  # ERC-721
    0x5b5e139f,  # ERC-721 Metadata
    0x2a55205a,  # EIP-2981
]

struct Parent:
    work_id: uint256
    share_bps: uint256  # share of this work's license revenue owed to the parent

struct Work:
    content_hash: bytes32
    metadata_uri: String[256]
    provenance: uint8
    model_id: String[64]
    prompt_hash: bytes32
    contributors: DynArray[splits.Contributor, splits.MAX_CONTRIBUTORS]
    parents: DynArray[Parent, MAX_PARENTS]
    registered_block: uint256
    registered_at: uint256

struct Terms:
    template: uint8
    fee: uint256
    commercial: bool
    derivatives: bool
    rev_share_bps: uint256  # share of a derivative's revenue owed to this work
    duration: uint256  # seconds; 0 = perpetual
    transferable: bool
    active: bool  # offered for sale

struct License:
    terms: Terms  # of the latest purchase or grant
    issued_at: uint256  # of the latest purchase or grant; 0 = never licensed
    personal_until: uint256  # when each use ends: 0 = never granted, PERPETUAL = never ends
    commercial_until: uint256
    derivative_until: uint256
    rev_share_bps: uint256  # owed by derivatives: the lowest share of the derivative rights held without a gap
    transferable: bool

event WorkRegistered:
    work_id: indexed(uint256)
    owner: indexed(address)
    content_hash: indexed(bytes32)
    metadata_uri: String[256]
    provenance: uint8
    model_id: String[64]
    prompt_hash: bytes32
    contributors: DynArray[splits.Contributor, splits.MAX_CONTRIBUTORS]
    parents: DynArray[Parent, MAX_PARENTS]

event TermsSet:
    work_id: indexed(uint256)
    terms: Terms

event LicenseIssued:
    work_id: indexed(uint256)
    holder: indexed(address)
    paid: uint256
    license: License  # the holder's license after this issue: the old one's rights plus the new terms'

event LicenseTransferred:
    work_id: indexed(uint256)
    sender: indexed(address)
    receiver: indexed(address)

name: public(constant(String[10])) = "Muse Works"
symbol: public(constant(String[4])) = "MUSE"

workCount: public(uint256)
workByHash: public(HashMap[bytes32, uint256])
_works: HashMap[uint256, Work]
_terms: HashMap[uint256, Terms]
hasTerms: public(HashMap[uint256, bool])
_licenses: HashMap[uint256, HashMap[address, License]]


@view
@external
def supportsInterface(interface_id: bytes4) -> bool:
    return interface_id in INTERFACE_IDS


@view
@external
def tokenURI(work_id: uint256) -> String[256]:
    erc721._owner_of(work_id)
    return self._works[work_id].metadata_uri


@view
@external
def royaltyInfo(work_id: uint256, sale_price: uint256) -> (address, uint256):
    """EIP-2981: the work's first contributor receives its terms' revenue share of a sale."""
    erc721._owner_of(work_id)
    receiver: address = self._works[work_id].contributors[0].account
    return receiver, sale_price * self._terms[work_id].rev_share_bps // splits.BPS


@view
@external
def work(work_id: uint256) -> Work:
    erc721._owner_of(work_id)
    return self._works[work_id]


@view
@external
def terms(work_id: uint256) -> Terms:
    """All zero until set: see hasTerms."""
    erc721._owner_of(work_id)
    return self._terms[work_id]


@view
@external
def license(work_id: uint256, holder: address) -> License:
    """All zero (issued_at == 0) when the holder has no license."""
    erc721._owner_of(work_id)
    return self._licenses[work_id][holder]


@view
@external
def termsHash(work_id: uint256) -> bytes32:
    """What ``buy`` expects as ``terms_hash``: keccak256 of the ABI-encoded current terms."""
    erc721._owner_of(work_id)
    return keccak256(abi_encode(self._terms[work_id]))


@view
@external
def verify(work_id: uint256, holder: address, use: uint8) -> bool:
    """Whether `holder` may use the work for `use` (0 personal, 1 commercial, 2 derivative)."""
    assert use <= USE_DERIVATIVE, "invalid: unknown use"
    if self._is_owner_or_contributor(work_id, holder):
        return True
    return self._allows(self._licenses[work_id][holder], use)


@external
def register(content_hash: bytes32, metadata_uri: String[256], provenance: uint8, model_id: String[64],
             prompt_hash: bytes32, contributors: DynArray[splits.Contributor, splits.MAX_CONTRIBUTORS],
             parents: DynArray[uint256, MAX_PARENTS]) -> uint256:
    """
    @notice Register a work owned by the caller. For each parent of a derivative the caller needs an unexpired
            license allowing derivatives (whose revenue share the parent then takes) or to own or co-create it.
    """
    assert content_hash != empty(bytes32), "invalid: content hash is empty"
    assert self.workByHash[content_hash] == 0, "invalid: content already registered"
    assert provenance <= AI_ASSISTED, "invalid: unknown provenance"
    assert provenance == HUMAN or len(model_id) > 0, "invalid: AI provenance needs a model id"
    splits._check_shares(contributors)
    linked: DynArray[Parent, MAX_PARENTS] = []
    total_share: uint256 = 0
    for parent_id: uint256 in parents:
        for earlier: Parent in linked:
            assert earlier.work_id != parent_id, "invalid: duplicate parent"
        share: uint256 = self._parent_share(parent_id, msg.sender)
        total_share += share
        linked.append(Parent(work_id=parent_id, share_bps=share))
    assert total_share <= splits.BPS, "invalid: parent shares exceed 100%"

    work_id: uint256 = self.workCount + 1
    self.workCount = work_id
    self.workByHash[content_hash] = work_id
    self._works[work_id] = Work(
        content_hash=content_hash, metadata_uri=metadata_uri, provenance=provenance, model_id=model_id,
        prompt_hash=prompt_hash, contributors=contributors, parents=linked,
        registered_block=block.number, registered_at=block.timestamp,
    )
    erc721._mint(msg.sender, work_id)
    log WorkRegistered(
        work_id=work_id, owner=msg.sender, content_hash=content_hash, metadata_uri=metadata_uri,
        provenance=provenance, model_id=model_id, prompt_hash=prompt_hash, contributors=contributors, parents=linked,
    )
    return work_id


@external
def setTerms(work_id: uint256, terms: Terms):
    """The rights flags must match the template, so the template name never misstates them."""
    assert erc721._is_authorized(msg.sender, work_id), "forbidden: only the owner can set terms"
    assert terms.template <= CC_BY, "invalid: unknown template"
    assert terms.commercial == (terms.template != NON_COMMERCIAL_REMIX), "invalid: commercial flag must match template"
    assert terms.derivatives == (terms.template != COMMERCIAL_USE), "invalid: derivatives flag must match template"
    assert terms.rev_share_bps <= splits.BPS, "invalid: revenue share over 10000 bps"
    assert terms.duration <= convert(max_value(uint64), uint256), "invalid: duration too long"
    self._terms[work_id] = terms
    self.hasTerms[work_id] = True
    log TermsSet(work_id=work_id, terms=terms)


@payable
@external
def buy(work_id: uint256, terms_hash: bytes32):
    """
    @notice Buy (or extend) a license on the offered terms, paying exactly the fee. ``terms_hash`` is the
            ``termsHash`` of the terms the buyer agreed to: if the owner changed them since, nothing is bought.
    """
    erc721._owner_of(work_id)
    terms: Terms = self._terms[work_id]
    assert terms.active, "not found: work has no terms on offer"
    assert keccak256(abi_encode(terms)) == terms_hash, "conflict: the terms changed since the buyer read them"
    assert msg.value == terms.fee, "invalid: payment must equal the fee"
    self._issue(work_id, msg.sender, terms, msg.value)
    self._distribute(work_id, msg.value)


@external
def grant(work_id: uint256, holder: address):
    """Issue a free license on the current terms, offered or not."""
    assert erc721._is_authorized(msg.sender, work_id), "forbidden: only the owner can grant"
    assert self.hasTerms[work_id], "not found: no terms set for this work"
    assert holder != empty(address), "invalid: holder is zero address"
    self._issue(work_id, holder, self._terms[work_id], 0)


@external
def transferLicense(work_id: uint256, receiver: address):
    lic: License = self._licenses[work_id][msg.sender]
    assert lic.issued_at != 0, "not found: no license to transfer"
    assert lic.transferable, "forbidden: license not transferable"
    assert self._allows(lic, USE_PERSONAL), "invalid: license has expired"
    assert receiver != empty(address) and receiver != msg.sender, "invalid: bad receiver"
    assert not self._allows(self._licenses[work_id][receiver], USE_PERSONAL), "invalid: receiver already licensed"
    self._licenses[work_id][receiver] = lic
    self._licenses[work_id][msg.sender] = empty(License)
    log LicenseTransferred(work_id=work_id, sender=msg.sender, receiver=receiver)


@view
@internal
def _is_owner_or_contributor(work_id: uint256, account: address) -> bool:
    if erc721._owner_of(work_id) == account:
        return True
    for c: splits.Contributor in self._works[work_id].contributors:
        if c.account == account:
            return True
    return False


@view
@internal
def _allows(lic: License, use: uint8) -> bool:
    if use == USE_COMMERCIAL:
        return lic.commercial_until > block.timestamp
    if use == USE_DERIVATIVE:
        return lic.derivative_until > block.timestamp
    return lic.personal_until > block.timestamp


@view
@internal
def _parent_share(parent_id: uint256, registrant: address) -> uint256:
    """The parent's revenue share: from the registrant's license, else from the parent's terms."""
    assert erc721._owners[parent_id] != empty(address), "not found: parent work does not exist"
    lic: License = self._licenses[parent_id][registrant]
    if self._allows(lic, USE_DERIVATIVE):
        return lic.rev_share_bps
    assert self._is_owner_or_contributor(parent_id, registrant), "forbidden: no derivative license on parent"
    return self._terms[parent_id].rev_share_bps


@view
@internal
def _extended(until: uint256, duration: uint256) -> uint256:
    """A use's new end after an issue that grants it: perpetual stays perpetual, an unexpired end keeps its
    time left (the new duration is added after it), an expired or never-granted one starts now."""
    if until == PERPETUAL or duration == 0:
        return PERPETUAL
    return max(until, block.timestamp) + duration


@internal
def _issue(work_id: uint256, holder: address, terms: Terms, paid: uint256):
    """Merge ``terms`` into the holder's license: it gains the uses the terms allow (or their time), and keeps
    every use and every end it had. Mixing transferable and non-transferable rights is refused, since the
    merged license could then be neither without taking something from its holder."""
    lic: License = self._licenses[work_id][holder]
    held: bool = self._allows(lic, USE_PERSONAL)
    assert not held or lic.transferable == terms.transferable, \
        "invalid: the holder's current license and these terms differ in transferability; they cannot be merged"
    if terms.derivatives:
        if self._allows(lic, USE_DERIVATIVE):
            lic.rev_share_bps = min(lic.rev_share_bps, terms.rev_share_bps)
        else:
            lic.rev_share_bps = terms.rev_share_bps
        lic.derivative_until = self._extended(lic.derivative_until, terms.duration)
    if terms.commercial:
        lic.commercial_until = self._extended(lic.commercial_until, terms.duration)
    lic.personal_until = self._extended(lic.personal_until, terms.duration)
    lic.terms = terms
    lic.issued_at = block.timestamp
    lic.transferable = terms.transferable
    self._licenses[work_id][holder] = lic
    log LicenseIssued(work_id=work_id, holder=holder, paid=paid, license=lic)


@internal
def _distribute(work_id: uint256, amount: uint256):
    """Parents first take their revenue shares; the rest goes to the work's own contributors."""
    rest: uint256 = amount
    for parent: Parent in self._works[work_id].parents:
        part: uint256 = amount * parent.share_bps // splits.BPS
        splits._split(parent.work_id, work_id, part, self._works[parent.work_id].contributors)
        rest -= part
    splits._split(work_id, work_id, rest, self._works[work_id].contributors)
