"""The ledger's answers as Muse's API shows them: ``LedgerService`` builds each answer through one of these models
and hands it on as its JSON form (what the idempotency store keeps and a repeat returns); the HTTP routes
declare them as their response models, so ``/openapi.json`` documents every answer of the ledger."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ledger.types import License, Terms

UseName = Literal["personal", "commercial", "derivative"]


class TermsView(BaseModel):
    template: str
    fee_wei: int = Field(description="price of a license, in wei")
    rev_share_bps: int = Field(description="share of derivatives' license revenue owed to this work")
    duration_s: int = Field(description="license lifetime; 0 = perpetual")
    transferable: bool
    active: bool = Field(description="on sale; the owner can grant licenses either way")
    commercial: bool = Field(description="the template allows commercial use")
    derivatives: bool = Field(description="the template allows derivatives")

    @classmethod
    def of(cls, terms: Terms) -> TermsView:
        return cls(
            template=terms.template.value,
            fee_wei=terms.fee_wei,
            rev_share_bps=terms.rev_share_bps,
            duration_s=terms.duration_s,
            transferable=terms.transferable,
            active=terms.active,
            commercial=terms.commercial,
            derivatives=terms.derivatives,
        )


class ProvenanceView(BaseModel):
    origin: str
    model_id: str
    prompt_hash: str = Field(description="hex sha256 of the prompt; zeros when none was declared")


class ContributorView(BaseModel):
    address: str
    share_bps: int


class ParentView(BaseModel):
    work_id: int
    share_bps: int = Field(description="the parent's share of this work's license revenue")


class WorkView(BaseModel):
    """A work as the chain records it."""

    id: int
    title: str
    media_type: str
    owner: str
    content_hash: str = Field(description="hex sha256 of the content's bytes")
    metadata_uri: str
    provenance: ProvenanceView
    contributors: list[ContributorView]
    parents: list[ParentView]
    registered_at: int = Field(description="unix seconds")
    registered_block: int
    terms: TermsView | None = Field(description="the current offer; null without one")


class LicenseView(BaseModel):
    """A holder's license on a work, as the chain records it."""

    work_id: int
    holder: str
    terms: TermsView = Field(description="of the latest purchase or grant")
    issued_at: int = Field(description="unix seconds, of the latest purchase or grant")
    expires_at: int | None = Field(description="when the last use ends; null = never")
    uses: dict[UseName, int | None] = Field(description="each use the license covers and its end (null = never)")
    rev_share_bps: int = Field(description="what a derivative registered under this license owes the work")
    transferable: bool

    @classmethod
    def of(cls, lic: License) -> LicenseView:
        return cls(
            work_id=lic.work_id,
            holder=lic.holder,
            terms=TermsView.of(lic.terms),
            issued_at=lic.issued_at,
            expires_at=lic.expires_at,
            uses={use.value: end for use, end in lic.until.items()},
            rev_share_bps=lic.rev_share_bps,
            transferable=lic.transferable,
        )


class Offer(BaseModel):
    template: str
    fee_wei: int
    active: bool


class WorkListing(BaseModel):
    """A work as the index lists it."""

    id: int
    owner: str
    title: str
    media_type: str
    content_hash: str
    registered_block: int
    offer: Offer | None = Field(description="the current terms in brief; null without any")


class LicenseRecord(BaseModel):
    """A license as the index lists it."""

    work_id: int
    title: str
    holder: str
    template: str
    paid_wei: int
    expires_at: int | None = Field(description="when the last use ends; null = never")
    expired: bool
    uses: dict[UseName, int | None]
    issued_block: int


class WorkPage(BaseModel):
    items: list[WorkListing]
    total: int
    limit: int
    offset: int


class LicensePage(BaseModel):
    items: list[LicenseRecord]
    total: int
    limit: int
    offset: int


class Account(BaseModel):
    address: str
    balance_wei: int
    royalties_wei: int = Field(description="royalties owed, to withdraw")


class Withdrawal(Account):
    withdrawn_wei: int


class Verification(BaseModel):
    valid: bool
    work_id: int
    holder: str
    use: UseName
    source: Literal["chain", "index"]
    license: LicenseView | None = Field(
        description="the holder's license, from the chain; null from the index or without one"
    )


class LedgerStatus(BaseModel):
    contract: str
    chain_id: int
    embedded: bool = Field(description="the embedded chain (else a JSON-RPC node)")
    block: int
    works: int
