"""A work's metadata (title and media type), kept on chain as a ``data:`` URI in the work's metadata field.

On chain, so that the off-chain index can be rebuilt from the chain alone, on any node. The contract keeps
at most 256 bytes of URI; a title of up to ``MAX_TITLE_BYTES`` UTF-8 bytes always fits.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from ledger.errors import InvalidRequest
from ledger.types import MAX_URI_BYTES

PREFIX = "data:application/json;base64,"
MAX_TITLE_BYTES = 100
MAX_MEDIA_TYPE_CHARS = 40


@dataclass(frozen=True)
class Metadata:
    title: str
    media_type: str = "text/plain"


def encode(metadata: Metadata) -> str:
    """The URI of ``metadata``. JSON escapes quotes, backslashes and control characters, so a title within
    ``MAX_TITLE_BYTES`` can still encode past the contract's 256 bytes: the encoded length is what counts."""
    if not metadata.title.strip() or len(metadata.title.encode()) > MAX_TITLE_BYTES:
        raise InvalidRequest(f"a title has 1 to {MAX_TITLE_BYTES} UTF-8 bytes", param="title")
    if not 0 < len(metadata.media_type) <= MAX_MEDIA_TYPE_CHARS or not metadata.media_type.isascii():
        raise InvalidRequest(f"a media type has 1 to {MAX_MEDIA_TYPE_CHARS} ASCII characters", param="media_type")
    document = json.dumps(
        {"title": metadata.title, "media_type": metadata.media_type}, ensure_ascii=False, separators=(",", ":")
    )
    uri = PREFIX + base64.b64encode(document.encode()).decode()
    if len(uri) > MAX_URI_BYTES:
        raise InvalidRequest(
            f"the title and media type take {len(uri)} bytes on the ledger once encoded, over its "
            f"{MAX_URI_BYTES}: quotes, backslashes and control characters count several bytes each",
            param="title",
        )
    return uri


def decode(uri: str) -> Metadata:
    """The metadata of a URI written by ``encode``; any other URI (a work registered by another client)
    becomes its own title."""
    if uri.startswith(PREFIX):
        try:
            document = json.loads(base64.b64decode(uri[len(PREFIX) :], validate=True))
            return Metadata(str(document["title"]), str(document.get("media_type", "application/octet-stream")))
        except (binascii.Error, ValueError, KeyError, TypeError):
            pass
    return Metadata(title=uri, media_type="application/octet-stream")
