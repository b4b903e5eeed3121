"""The HTTP layer's limits, with their defaults: request body sizes, JSON nesting and request rates.

They are the ``limits:`` block of an application's ``args`` in ``serve_config.yaml`` (a profile can change
them); README.md lists them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MIB = 1 << 20
MAX_BODY_BYTES = 2 * MIB  # any request body
MAX_UPLOAD_BYTES = 4 * MIB  # POST /v1/works (1 MiB of content; JSON escapes can triple it) and the demo's uploads
MAX_JSON_DEPTH = 32  # nesting of arrays and objects in a JSON body (Muse's own bodies nest 4 deep at most)


class Rate(BaseModel):
    """A token bucket: ``burst`` requests at once, refilled at ``per_s`` a second."""

    model_config = ConfigDict(extra="forbid")

    per_s: float = Field(gt=0)
    burst: int = Field(ge=1)


class RequestLimits(BaseModel):
    """Limits of every Muse HTTP application (the recommender's has only these)."""

    model_config = ConfigDict(extra="forbid")

    max_body_bytes: int = Field(MAX_BODY_BYTES, ge=1024)
    max_json_depth: int = Field(MAX_JSON_DEPTH, ge=4, le=1000)


class UploadLimits(RequestLimits):
    """Limits of an application that takes uploads (the gateway's works, the demo's files)."""

    max_upload_bytes: int = Field(MAX_UPLOAD_BYTES, ge=1024)


class GatewayLimits(UploadLimits):
    """The gateway's limits. Rates are per caller (an API key's user, else the client's address) and per
    gateway replica; they apply to the routes that change something or generate (not to GET)."""

    generation: Rate = Rate(per_s=200, burst=400)  # /v1/generate, /v1/completions, /v1/chat/completions
    chat: Rate = Rate(per_s=100, burst=200)  # POST /v1/chat, POST /v1/chat/{id}/approve
    ledger_writes: Rate = Rate(per_s=10, burst=30)  # POST/PUT of works, terms, licenses, withdrawals
