"""Ledger routes: works, terms, licenses and accounts. Every change acts as the caller, signed with the
caller's own key (unlocked by the API key the request carries); reading is public. Every change takes an
``Idempotency-Key`` header: a repeat with the same key returns the first answer and changes nothing again.

The routes call the Ledger deployment (``request.app.state.ledger``, a handle or anything with the same
``method.remote(...)`` shape); its errors become 4xx in ``deployments.errors``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import from_json
from starlette.datastructures import UploadFile

from deployments.api.auth import Caller, RequiredCaller, bearer
from deployments.api.openapi_docs import inline_schema
from deployments.errors import ApiError
from ledger.earnings import MAX_DAYS, MAX_LICENSES, MAX_WORKS, Earnings, Page
from ledger.idempotency import MAX_KEY_CHARS
from ledger.inputs import ADDRESS_PATTERN, MAX_PROVENANCE_PROMPT_CHARS, Address, content_hash, prompt_digest
from ledger.metadata import MAX_MEDIA_TYPE_CHARS, MAX_TITLE_BYTES, Metadata
from ledger.service import Credentials
from ledger.views import Account, LedgerStatus, LicensePage, LicenseView, Verification, Withdrawal, WorkPage, WorkView
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
from core.users import User
from core.work_texts import text_of

MAX_CONTENT_BYTES = 1 << 20  # a registered work's content (text or file): 1 MiB
MAX_WEI = 2**256 - 1
MAX_PAGE = 100
MAX_WORK_ID = 2**63 - 1

router = APIRouter(tags=["ledger"])
WorkId = Annotated[int, Path(ge=1, le=MAX_WORK_ID, description="a work's id (from 1)")]
HexDigest = Annotated[str, Field(pattern=r"^(0x)?[0-9a-fA-F]{64}$")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_CHARS,
        pattern=r"^[!-~]+$",
        description=f"any 1 to {MAX_KEY_CHARS} printable ASCII characters chosen by the client: a repeat with the "
        "same key returns the first answer and changes nothing again",
    ),
]


class ProvenanceBody(BaseModel):
    """How the work was made. For AI origins give the generator's model id, and the prompt (hashed here;
    only its sha256 goes on the ledger) or its ``prompt_hash``."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    origin: Origin = Origin.HUMAN
    model_id: str = Field("", max_length=MAX_MODEL_ID_BYTES)
    prompt: str | None = Field(None, max_length=MAX_PROVENANCE_PROMPT_CHARS)
    prompt_hash: HexDigest | None = None

    def to_ledger(self) -> Provenance:
        if self.prompt is not None and self.prompt_hash is not None:
            raise ApiError(422, "give prompt or prompt_hash, not both", param="provenance.prompt_hash")
        digest = (
            prompt_digest(self.prompt)
            if self.prompt_hash is None
            else bytes.fromhex(self.prompt_hash.removeprefix("0x"))
        )
        return Provenance(self.origin, self.model_id, digest)


class ContributorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: Address
    share_bps: int = Field(ge=1, le=BPS, description="share of license revenue, in basis points (100 = 1%)")


class WorkMetadataBody(BaseModel):
    """A registration without its content (``content`` in JSON, or the ``file`` part of a multipart form)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE_BYTES, description=f"at most {MAX_TITLE_BYTES} UTF-8 bytes")
    media_type: str = Field("text/plain", min_length=1, max_length=MAX_MEDIA_TYPE_CHARS)
    provenance: ProvenanceBody = ProvenanceBody()
    contributors: list[ContributorBody] | None = Field(
        None,
        min_length=1,
        max_length=MAX_CONTRIBUTORS,
        description=f"shares must sum to {BPS} bps; default: the caller alone",
    )
    parents: list[Annotated[int, Field(ge=1, le=MAX_WORK_ID)]] = Field(
        [], max_length=MAX_PARENTS, description="works this one derives from (needs a license allowing it)"
    )


class RegisterBody(WorkMetadataBody):
    content: str = Field(min_length=1, max_length=MAX_CONTENT_BYTES, description="the work's text")


class TermsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: Template
    fee_wei: int = Field(0, ge=0, le=MAX_WEI, description="price of a license, in wei (1 ether = 10^18 wei)")
    rev_share_bps: int = Field(0, ge=0, le=BPS, description="share of derivatives' license revenue owed to this work")
    duration_s: int = Field(0, ge=0, le=MAX_DURATION_S, description="license lifetime; 0 = perpetual")
    transferable: bool = True
    active: bool = Field(True, description="on sale; the owner can grant licenses either way")


class LicenseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grant_to: Address | None = Field(
        None,
        description="the owner grants a free license to this address; "
        "without it the caller buys one at the current fee",
    )
    max_fee_wei: int | None = Field(
        None,
        ge=0,
        le=MAX_WEI,
        description="the most the buyer agrees to pay: a higher current fee is refused with 409 and nothing is paid",
    )


def _ledger(request: Request) -> Any:
    return request.app.state.ledger


async def _credentials(
    user: RequiredCaller, key: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]
) -> Credentials:
    if not user.address:
        raise ApiError(
            403,
            f"user {user.name} has no ledger account (created before the ledger existed); "
            "create a new user with `muse users add`",
            kind="permission_error",
        )
    return Credentials(user.address, key.credentials)


Signer = Annotated[Credentials, Depends(_credentials)]


def _owner_filter(value: str | None, caller: User | None) -> str | None:
    """``me`` stands for the caller's own address."""
    if value != "me":
        return value
    if caller is None or not caller.address:
        raise ApiError(401, "'me' needs an API key with a ledger account", param="owner", kind="authentication_error")
    return caller.address


_REGISTER_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": inline_schema(RegisterBody, "validation")},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["title", "file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"at most {MAX_CONTENT_BYTES} bytes",
                        },
                        "title": {"type": "string"},
                        "metadata": {"type": "string", "description": "JSON: the other fields of the JSON form"},
                    },
                }
            },
        },
    }
}


@router.post(
    "/v1/works",
    status_code=201,
    summary="Register a work as the caller's",
    openapi_extra=_REGISTER_DOC,
    response_model=WorkView,
)
async def register_work(request: Request, caller: Signer, key: IdempotencyKey = None) -> dict:
    """The work (with ``id`` and ``content_hash``, the hex sha256 of the content's bytes). Send JSON with
    ``content`` text, or a multipart form with a ``file``, a ``title`` and optional ``metadata`` JSON. Text that
    is a near-copy of another user's work (the same once case, spacing and punctuation are set aside, or most of
    its character sequences shared) is a 409 whose error names that ``work_id``: register it as a derivative,
    with that work in ``parents``."""
    content, fields = await _read_registration(request)
    digest = content_hash(content)
    if text := text_of(content, fields.media_type):  # for the recommender, before the work can be indexed
        request.app.state.work_texts.remember(digest, text)
    return await _ledger(request).register.remote(
        caller,
        digest,
        Metadata(fields.title, fields.media_type),
        fields.provenance.to_ledger(),
        None if fields.contributors is None else [Contributor(c.address, c.share_bps) for c in fields.contributors],
        fields.parents,
        text=_text(content),
        idempotency_key=key,
    )


def _text(content: bytes) -> str | None:
    """The content as text, for the near-copy check, when it is UTF-8: whatever media type is declared (a
    declaration is the registrant's to choose, so it cannot be what lets a copy through). Other bytes (images,
    audio) keep the exact-hash check alone."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


async def _read_registration(request: Request) -> tuple[bytes, WorkMetadataBody]:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "a multipart registration needs a 'file' part", param="file")
        content = await upload.read(MAX_CONTENT_BYTES + 1)
        try:  # pydantic's parser: its nesting is bounded (json's is not, with py_ecc's recursion limit)
            extra = from_json(str(form.get("metadata") or "{}"))
        except ValueError as exc:
            raise ApiError(422, f"metadata is not JSON: {exc}", param="metadata") from exc
        fields = WorkMetadataBody.model_validate(
            {**extra, "title": form.get("title")} if isinstance(extra, dict) else extra
        )
    else:
        try:
            body = RegisterBody.model_validate_json(await request.body())
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise ApiError(422, "the body is not JSON (send JSON, or a multipart form with a file)") from exc
            raise
        content, fields = body.content.encode(), body
    if not content or len(content) > MAX_CONTENT_BYTES:
        raise ApiError(413 if content else 422, f"content must have 1 to {MAX_CONTENT_BYTES} bytes", param="content")
    return content, fields


@router.get("/v1/works", summary="List works (from the index)", response_model=WorkPage)
async def list_works(
    request: Request,
    caller: Caller,
    owner: Annotated[str | None, Query(max_length=42, description="an address, or 'me'")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="words in titles")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict:
    return await _ledger(request).works.remote(_owner_filter(owner, caller), q, limit, offset)


@router.get(
    "/v1/works/{work_id}",
    summary="A work, its provenance, contributors and current terms (from the chain)",
    response_model=WorkView,
)
async def get_work(request: Request, work_id: WorkId) -> dict:
    return await _ledger(request).work.remote(work_id)


@router.put(
    "/v1/works/{work_id}/terms", summary="Set the terms a license is sold on (owner only)", response_model=WorkView
)
async def set_terms(
    request: Request, work_id: WorkId, body: TermsBody, caller: Signer, key: IdempotencyKey = None
) -> dict:
    terms = Terms(body.template, body.fee_wei, body.rev_share_bps, body.duration_s, body.transferable, body.active)
    return await _ledger(request).set_terms.remote(caller, work_id, terms, idempotency_key=key)


@router.post(
    "/v1/works/{work_id}/licenses",
    status_code=201,
    summary="Buy a license, or grant one (owner)",
    response_model=LicenseView,
)
async def license_work(
    request: Request, work_id: WorkId, caller: Signer, body: LicenseBody | None = None, key: IdempotencyKey = None
) -> dict:
    """Without ``grant_to`` the caller buys a license at the work's current fee (paid from its account, split
    among the contributors), at most ``max_fee_wei`` when given; with ``grant_to`` the owner issues a free license
    to that address. A license only grows: buying or granting again adds uses and time, never takes any away."""
    if body is not None and body.grant_to:
        if body.max_fee_wei is not None:
            raise ApiError(422, "max_fee_wei is for purchases; a grant is free", param="max_fee_wei")
        return await _ledger(request).grant_license.remote(caller, work_id, body.grant_to, idempotency_key=key)
    return await _ledger(request).buy_license.remote(
        caller, work_id, body.max_fee_wei if body else None, idempotency_key=key
    )


@router.get("/v1/licenses/verify", summary="Whether an address may use a work so (public)", response_model=Verification)
async def verify_license(
    request: Request,
    work_id: Annotated[int, Query(ge=1, le=MAX_WORK_ID)],
    holder: Annotated[str, Query(pattern=ADDRESS_PATTERN)],
    use: Literal["personal", "commercial", "derivative"] = "commercial",
    source: Annotated[
        Literal["chain", "index"], Query(description="chain: the contract's answer; index: the off-chain index's")
    ] = "chain",
) -> dict:
    return await _ledger(request).verify.remote(work_id, holder, use, source)


@router.get("/v1/licenses", summary="List licenses (from the index)", response_model=LicensePage)
async def list_licenses(
    request: Request,
    caller: Caller,
    holder: Annotated[str | None, Query(max_length=42, description="an address, or 'me'")] = None,
    work_id: Annotated[int | None, Query(ge=1, le=MAX_WORK_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict:
    return await _ledger(request).licenses.remote(_owner_filter(holder, caller), work_id, limit, offset)


@router.get("/v1/account", summary="The caller's address, balance and royalties owed", response_model=Account)
async def account(request: Request, caller: Signer) -> dict:
    return await _ledger(request).account.remote(caller.address)


@router.get(
    "/v1/account/earnings",
    summary="What the caller earned on its works, and who licensed them",
    response_model=Earnings,
)
async def earnings(
    request: Request,
    caller: Signer,
    work_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_WORK_ID, description="one of the caller's works (owned or co-created); default: all"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_WORKS, description="works per page")] = 20,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    licenses: Annotated[int, Query(ge=0, le=MAX_LICENSES, description="latest license issues listed per work")] = 20,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="days in the daily series")] = 90,
) -> Earnings:
    """``total_wei`` is everything the ledger credited the caller (withdrawn or not) on the selected works,
    revenue share from their derivatives included; ``works`` is a page of them, newest first; ``daily`` sums
    the credits per UTC day."""
    return await _ledger(request).earnings.remote(caller.address, work_id, Page(limit, offset, licenses, days))


@router.post("/v1/account/withdraw", summary="Pay the caller's royalties into its account", response_model=Withdrawal)
async def withdraw(request: Request, caller: Signer, key: IdempotencyKey = None) -> dict:
    return await _ledger(request).withdraw.remote(caller, idempotency_key=key)


@router.get("/v1/ledger", summary="The ledger's contract, chain and size", response_model=LedgerStatus)
async def ledger_status(request: Request) -> dict:
    return await _ledger(request).status.remote()
