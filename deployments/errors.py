"""One error shape for every route: ``{"error": {"message", "type", "param", "code"}}`` (as OpenAI's API does).

Invalid input is a 422 on Muse's own routes and a 400 on the OpenAI-compatible ones (routes tagged
``OPENAI_TAG``), since OpenAI, vLLM and the ``openai`` client (``BadRequestError``) expect 400 there.

Bad input is a 4xx that names the field; nothing a caller sends should become a 500. Errors say what, not
how: a failure of Muse itself reaches the client as what failed and the request id, never as exception text;
the details go to the log under the same id. Ledger refusals keep their message: it is the reason, meant for
the caller.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ray.serve.exceptions import BackPressureError
from starlette.exceptions import HTTPException

from common.request_ids import HEADER, hidden_failure
from ledger.chain import ChainError
from models.recsys.errors import UnknownItem
from ledger.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    InvalidRequest,
    LedgerError,
    NotFound,
)


log = logging.getLogger("ray.serve")

# The error type of an HTTPException's status (raised by Starlette, FastAPI and Muse's own limits).
_HTTP_KINDS = {404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error"}


OPENAI_TAG = "openai-compatible"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        kind: str = "invalid_request_error",
        code: str | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.param, self.kind, self.code = status, message, param, kind, code


def error_body(message: str, kind: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class ErrorDetail(BaseModel):
    """A refusal's reason; a ledger refusal may add what it is about (a near-copy's ``work_id``, the current
    ``fee_wei`` above a buyer's ``max_fee_wei``)."""

    model_config = ConfigDict(extra="allow")

    message: str
    type: str
    param: str | None = Field(description="the field at fault, when one is")
    code: str | None = Field(description="a machine-readable reason, on the OpenAI-compatible routes")


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict] = {
    "4XX": {
        "model": ErrorBody,
        "description": "refused: bad input (422, or 400 on the OpenAI-compatible routes), "
        "no or another user's key, not found, conflict, too large, too many requests",
    },
    "5XX": {"model": ErrorBody, "description": "Muse failed (the message names the request id) or is overloaded"},
}


_LOCATIONS = {"body", "query", "path", "header"}


def _field(loc: tuple) -> str:
    """``("body", "prompt", "list[str]", 0)`` -> ``prompt.0``: drop the location and union-member tags
    (``list[str]``, ``constrained-str``); a header keeps its dashed name (``idempotency-key``)."""
    parts = [str(p) for p in loc if p not in _LOCATIONS]
    return ".".join(
        p for p in parts if not ("[" in p or p.startswith("constrained-") or p in {"str", "int", "float", "bool"})
    )


def _validation_status(request: Request) -> int:
    route = request.scope.get("route")
    return 400 if OPENAI_TAG in (getattr(route, "tags", None) or ()) else 422


def _validation_response(request: Request, errors: list[dict]) -> JSONResponse:
    first = errors[0]
    param = _field(tuple(first.get("loc", ())))
    message = "; ".join(f"{_field(tuple(e.get('loc', ()))) or 'body'}: {e['msg']}" for e in errors)
    return JSONResponse(
        error_body(message, "invalid_request_error", param or None), status_code=_validation_status(request)
    )


# Ledger errors by type (the contract's revert categories); any other revert is a request the ledger refused.
_LEDGER_STATUS: list[tuple[type[LedgerError], int, str]] = [
    (Forbidden, 403, "permission_error"),
    (NotFound, 404, "not_found_error"),
    (Conflict, 409, "conflict_error"),
    (InsufficientFunds, 402, "insufficient_funds"),
    (InvalidRequest, 400, "invalid_request_error"),
    (LedgerError, 400, "ledger_error"),
]


def _ledger_response(exc: LedgerError) -> JSONResponse:
    """The error's own message: a Ray Serve handle re-raises a replica's exception as a subclass of both
    RayTaskError and the original type, whose ``cause`` is the original (its str carries a traceback)."""
    cause = getattr(exc, "cause", exc)
    status, kind = next((status, kind) for error, status, kind in _LEDGER_STATUS if isinstance(cause, error))
    body = error_body(str(cause), kind, getattr(cause, "param", None))
    body["error"].update(getattr(cause, "details", {}))
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, exc.kind, exc.param, exc.code), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(request, list(exc.errors()))

    @app.exception_handler(ValidationError)
    async def _model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return _validation_response(request, exc.errors())

    @app.exception_handler(LedgerError)
    async def _ledger_error(_: Request, exc: LedgerError) -> JSONResponse:
        return _ledger_response(exc)

    @app.exception_handler(UnknownItem)
    async def _unknown_item(_: Request, exc: UnknownItem) -> JSONResponse:
        """Items a recommendation request names that the catalogue does not hold (raised by the Recommender, in
        this process or behind a handle)."""
        return JSONResponse(
            error_body(str(getattr(exc, "cause", exc)), "not_found_error", "liked_items"), status_code=404
        )

    @app.exception_handler(BackPressureError)
    async def _overloaded(_: Request, exc: BackPressureError) -> JSONResponse:
        """A deployment behind the gateway has its queue full (``max_queued_requests``): its configured status
        (503) and ``Retry-After``, as Serve's proxy answers for the gateway itself."""
        headers = {"Retry-After": str(math.ceil(exc.retry_after_s))} if exc.retry_after_s is not None else None
        return JSONResponse(
            error_body("overloaded, try again later", "overloaded_error"), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(ChainError)
    async def _chain_error(_: Request, exc: ChainError) -> JSONResponse:
        message = hidden_failure(log, "the ledger's chain is not answering", getattr(exc, "cause", exc))
        return JSONResponse(error_body(message, "service_unavailable"), status_code=503)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        kind = _HTTP_KINDS.get(exc.status_code, "invalid_request_error")
        return JSONResponse(
            error_body(str(exc.detail), kind), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        """Anything else is Muse's fault: a 500 that says so with the request id; the details go to the log.
        Starlette runs this handler outside every middleware, so the id comes from the request's headers."""
        message = hidden_failure(log, "internal error", exc, request.headers.get(HEADER))
        return JSONResponse(error_body(message, "server_error"), status_code=500)
